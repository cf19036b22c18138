package app

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"log/slog"
	"math/big"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"taskapi/internal/syncbuf"
	"taskapi/internal/testdb"
)

// openWith runs the start-up's database wait against databaseURL with a
// 30 s limit, and returns how long it took, the warnings and its error.
func openWith(t *testing.T, databaseURL string) (time.Duration, string, error) {
	t.Helper()
	cfg, err := LoadConfig(func(k string) string {
		return map[string]string{EnvDatabaseURL: databaseURL, EnvJWTSecret: testSecret, "DB_CONNECT_TIMEOUT": "30s"}[k]
	})
	if err != nil {
		t.Fatal(err)
	}
	logs := &syncbuf.Buffer{}
	start := time.Now()
	db, err := openStore(t.Context(), cfg, slog.New(slog.NewTextHandler(logs, nil)))
	if err == nil {
		db.Close()
	}
	return time.Since(start), logs.String(), err
}

// TestPermanentDatabaseErrorsFailFast: an unknown role or database, or
// TLS that cannot verify the server, ends start-up at once (not after
// DB_CONNECT_TIMEOUT of retries) with the server's own message.
func TestPermanentDatabaseErrorsFailFast(t *testing.T) {
	base, err := url.Parse(testdb.Postgres(t))
	if err != nil {
		t.Fatal(err)
	}
	with := func(edit func(u *url.URL, q url.Values)) string {
		u := *base
		q := u.Query()
		q.Del("search_path")
		edit(&u, q)
		u.RawQuery = q.Encode()
		return u.String()
	}
	otherCA := writeCA(t)
	for name, c := range map[string]struct {
		url  string
		want string
	}{
		"unknown role":     {with(func(u *url.URL, _ url.Values) { u.User = url.User("no_such_role_h22") }), `role "no_such_role_h22" does not exist`},
		"unknown database": {with(func(u *url.URL, _ url.Values) { u.Path = "/no_such_database_h22" }), `database "no_such_database_h22" does not exist`},
		"certificate of another CA": {with(func(_ *url.URL, q url.Values) {
			q.Set("sslmode", "verify-ca")
			q.Set("sslrootcert", otherCA)
		}), "certificate"},
		"missing CA file": {with(func(_ *url.URL, q url.Values) {
			q.Set("sslmode", "verify-full")
			q.Set("sslrootcert", filepath.Join(t.TempDir(), "none.pem"))
		}), "no such file"},
	} {
		t.Run(name, func(t *testing.T) {
			took, warnings, err := openWith(t, c.url)
			if err == nil {
				t.Fatalf("the start-up accepted %s", name)
			}
			if !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "not retried") {
				t.Errorf("err = %v, want the server's %q and that it was not retried", err, c.want)
			}
			if took > 10*time.Second || warnings != "" {
				t.Errorf("took %v, warned %q: a permanent error was retried", took, warnings)
			}
		})
	}
}

// TestUnreachableDatabaseKeepsTheCause: a database that refuses
// connections is retried until the limit, and the error then says what
// the attempts met, not just that the deadline passed.
func TestUnreachableDatabaseKeepsTheCause(t *testing.T) {
	// A second of refused connections to a closed port of its own: it
	// times nothing but its own limit, shares nothing and sets no
	// environment (TestRunLambdaReturnsInitErrors does the same in parallel).
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := ln.Addr().String()
	ln.Close()
	cfg, err := LoadConfig(func(k string) string {
		return map[string]string{EnvDatabaseURL: "postgres://u@" + dead + "/x?sslmode=disable", EnvJWTSecret: testSecret, "DB_CONNECT_TIMEOUT": "1s"}[k]
	})
	if err != nil {
		t.Fatal(err)
	}
	logs := &syncbuf.Buffer{}
	_, err = openStore(t.Context(), cfg, slog.New(slog.NewTextHandler(logs, nil)))
	if err == nil || !strings.Contains(err.Error(), "database unreachable after 1s") || !strings.Contains(err.Error(), "connection refused") {
		t.Errorf("err = %v, want the limit and the refused connection", err)
	}
	if !strings.Contains(logs.String(), "retrying") {
		t.Errorf("a refused connection was not retried: %q", logs.String())
	}
}

// TestStopLineFollowsTheLogFormat: the last line of a failed run is text
// under make run's LOG_FORMAT=text, JSON otherwise.
func TestStopLineFollowsTheLogFormat(t *testing.T) {
	for format, prefix := range map[string]string{"text": "time=", "": `{"time":`, "json": `{"time":`, "bogus": `{"time":`} {
		var b strings.Builder
		StopLogger(&b, func(k string) string { return map[string]string{EnvLogFormat: format}[k] }).Error("taskapi stopped", "error", "x")
		if !strings.HasPrefix(b.String(), prefix) {
			t.Errorf("format %q: %q, want it to start %q", format, b.String(), prefix)
		}
	}
}

// writeCA writes the certificate of a new CA that signed nothing the
// server shows, and returns its path.
func writeCA(t *testing.T) string {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "another CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}
