package store_test

import (
	"os"
	"testing"

	"github.com/lib/pq"

	"taskapi/store"
)

func TestPostgresParamsDSN(t *testing.T) {
	// Keep the environment from filling in what the DSN leaves out;
	// t.Setenv restores each variable afterwards.
	for _, k := range []string{"PGHOST", "PGPORT", "PGDATABASE", "PGUSER", "PGPASSWORD", "PGSSLMODE", "PGSERVICE", "PGPASSFILE"} {
		t.Setenv(k, "")
		_ = os.Unsetenv(k)
	}
	for _, password := range []string{
		"plain",
		`p@ss w/rd`,
		`it's "quoted"`,
		`back\slash\`,
		`'`,
		`a=b c='d'`,
	} {
		dsn := store.PostgresParams{Host: "db.internal", Port: "6543", Name: "task db", User: "app user", Password: password, SSLMode: "require"}.DSN()
		cfg, err := pq.NewConfig(dsn)
		if err != nil {
			t.Fatalf("password %q: DSN %s does not parse: %v", password, dsn, err)
		}
		if cfg.Host != "db.internal" || cfg.Port != 6543 || cfg.Database != "task db" ||
			cfg.User != "app user" || cfg.Password != password || cfg.SSLMode != "require" {
			t.Errorf("password %q: parsed %+v", password, cfg)
		}
	}
	if got := (store.PostgresParams{Host: "/var/run/postgresql", Name: "tasks"}).DSN(); got != "host='/var/run/postgresql' dbname='tasks'" {
		t.Errorf("empty parts: %q", got)
	}
}
