package app

import (
	"crypto/rand"
	"errors"
	"fmt"
	"net/http"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"taskapi/store"
)

// Which parts of the API a process serves.
const (
	serviceAll  = "all"
	serviceAuth = "auth"
	serviceTask = "task"
)

// Config is everything the process reads from its environment, as
// Variables describes it.
type Config struct {
	Service string
	Host    string // listen address; empty means every interface
	Port    int

	DB          store.Config
	Embedded    bool // no database configured: the local SQLite default
	Migrate     bool
	DBWaitLimit time.Duration

	JWTSecret []byte
	// JWTEphemeral: no key configured on the embedded default, so
	// JWTSecret is random, made at start-up; every token dies with the
	// process.
	JWTEphemeral  bool
	JWTExpiration time.Duration
	BcryptCost    int

	AuthServiceURL string
	AuthClient     AuthClientConfig

	RequestTimeout  time.Duration
	ShutdownTimeout time.Duration
	// ReadHeaderTimeout bounds how long a client may take to send its
	// headers (slowloris); fixed at 5 s, tests shorten it.
	ReadHeaderTimeout time.Duration
	LogLevel          string
	LogFormat         string

	// PruneInterval is how often expired side-table rows are deleted;
	// fixed at pruneInterval, tests shorten it.
	PruneInterval time.Duration

	MetricsNamespace string
	MetricsInterval  time.Duration

	Abuse AbuseConfig

	database databaseEnv

	// wrapAPI, when set, wraps the API's handler: the integration tests
	// check every request and answer against the OpenAPI document with it.
	wrapAPI func(http.Handler) http.Handler
}

// EphemeralKeyNote is what the start-up line says when no token key is
// set on the embedded default.
const EphemeralKeyNote = "random per process (no " + EnvJWTSecret + "): tokens stop working when the process stops; set " + EnvJWTSecret + " to keep them across restarts"

// LogValues is the configuration as start-up log attributes: what an
// operator needs to see, and never a secret (no JWT secret, no password,
// no DSN, which may hold one).
func (c Config) LogValues() []any {
	v := []any{
		"service", c.Service, "port", c.Port, "database", c.DB.Driver, "db_migrate", c.Migrate,
		"request_timeout", c.RequestTimeout.String(), "log_level", c.LogLevel,
		"metrics_namespace", c.MetricsNamespace, "metrics_interval", c.MetricsInterval.String(),
	}
	if c.DB.Driver == store.DriverPostgres { // SQLite always uses one connection
		v = append(v, "db_max_open_conns", c.DB.MaxOpenConns)
	}
	if c.Service != serviceTask {
		v = append(v, "jwt_expiration_s", int(c.JWTExpiration.Seconds()), "bcrypt_cost", c.BcryptCost,
			"client_address", c.Abuse.ClientAddressMode())
	}
	if c.JWTEphemeral {
		// Said at start-up because the consequence shows only later: after
		// a restart every token the client holds is refused.
		v = append(v, "jwt_key", EphemeralKeyNote)
	}
	if c.Service == serviceTask {
		v = append(v, "auth_service_url", c.AuthServiceURL)
	}
	return v
}

// LoadConfig reads the configuration from getenv: every variable of the
// table, then the choices that depend on several of them. It reports
// every problem at once, so a bad deployment shows all its mistakes in
// one start-up attempt.
func LoadConfig(getenv func(string) string) (Config, error) {
	c := Config{ReadHeaderTimeout: 5 * time.Second, PruneInterval: pruneInterval}
	errs := readVariables(&c, getenv, Variables)
	c.settle()
	for _, v := range Variables {
		if v.check == nil {
			continue
		}
		if problem := v.check(&c); problem != "" {
			errs = append(errs, fmt.Errorf("%s %s", v.Name, problem))
		}
	}
	return c, errors.Join(errs...)
}

// readVariables parses vars from getenv into c, in order, and returns
// every value that does not parse.
func readVariables(c *Config, getenv func(string) string, vars []Variable) []error {
	var errs []error
	for _, v := range vars {
		value := getenv(v.Name)
		if !v.parse.verbatim {
			value = strings.TrimSpace(value)
		}
		if value == "" {
			value = v.Default
			if v.derive != nil {
				value = v.derive(c)
			}
		}
		if value == "" {
			continue
		}
		if err := v.parse.set(c, value); err != nil {
			errs = append(errs, fmt.Errorf("%s=%q: %w", v.Name, value, err))
		}
	}
	return errs
}

// settle makes the choices that follow from several variables: which
// database (a PostgreSQL URL, else PostgreSQL by parts, else the
// embedded SQLite file), the connection attempt bound, and the random
// token key of the embedded default.
func (c *Config) settle() {
	switch d := c.database; {
	case d.URL != "":
		c.DB.Driver, c.DB.DSN = store.DriverPostgres, d.URL
	case d.Postgres.Host != "":
		c.DB.Driver, c.DB.DSN = store.DriverPostgres, d.Postgres.DSN()
	default:
		c.DB.Driver, c.DB.DSN = store.DriverSQLite, filepath.Clean(d.SQLitePath)
	}
	c.Embedded = c.DB.Driver == store.DriverSQLite
	// A connection attempt longer than a request's whole budget serves no
	// request: the pool's background attempts (which have no deadline of
	// their own) stop there too, so after an outage the pool's slots are
	// free again within the request timeout.
	c.DB.ConnectTimeout = min(c.DBWaitLimit, c.RequestTimeout)
	// Only the embedded local default may run without a configured key,
	// and then gets a random one: tokens die with the process, but no
	// guessable key is ever in use.
	if c.Service != serviceTask && len(c.JWTSecret) == 0 && c.Embedded {
		c.JWTSecret = make([]byte, minJWTSecretBytes)
		_, _ = rand.Read(c.JWTSecret)
		c.JWTEphemeral = true
	}
}

// databaseEnv is the database as the variables describe it; settle turns
// it into Config.DB.
type databaseEnv struct {
	URL        string
	Postgres   store.PostgresParams
	SQLitePath string
}

func itoa(n int) string { return strconv.Itoa(n) }

func cpus() int { return runtime.GOMAXPROCS(0) }
