package app

import (
	"crypto/rand"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"taskapi/metrics"
	"taskapi/store"
)

// Which parts of the API a process serves.
const (
	serviceAll  = "all"
	serviceAuth = "auth"
	serviceTask = "task"
)

// Config is everything the process reads from its environment. docs/configuration.md
// lists every variable with its default; keep the two in step.
type Config struct {
	Service string
	Host    string // listen address; empty means every interface
	Port    int

	DB          store.Config
	Embedded    bool // no database configured: the local SQLite default
	Migrate     bool
	DBWaitLimit time.Duration

	JWTSecret []byte
	// JWTEphemeral: no JWT_SECRET on the embedded default, so JWTSecret
	// is random, made at start-up; every token dies with the process.
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

	MetricsNamespace string
	MetricsInterval  time.Duration

	Abuse AbuseConfig

	// wrapAPI, when set, wraps the API's handler: the integration tests
	// check every request and answer against the OpenAPI document with it.
	wrapAPI func(http.Handler) http.Handler
}

// EphemeralKeyNote is what the start-up line says when no JWT_SECRET is
// set on the embedded default.
const EphemeralKeyNote = "random per process (no JWT_SECRET): tokens stop working when the process stops; set JWT_SECRET to keep them across restarts"

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
		v = append(v, "jwt_expiration_s", int(c.JWTExpiration.Seconds()), "bcrypt_cost", c.BcryptCost)
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

// envReader reads variables and collects every problem, so a bad
// deployment reports all its mistakes in one start-up attempt.
type envReader struct {
	getenv func(string) string
	errs   []error
	seen   map[string]bool // every name asked for, for the inventory test
}

func (e *envReader) raw(name string) string {
	if e.seen != nil {
		e.seen[name] = true
	}
	return e.getenv(name)
}

func (e *envReader) str(name, def string) string {
	if v := strings.TrimSpace(e.raw(name)); v != "" {
		return v
	}
	return def
}

func (e *envReader) int(name string, def, min, max int) int {
	v := e.str(name, "")
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < min || n > max {
		e.errs = append(e.errs, fmt.Errorf("%s=%q: want an integer from %d to %d", name, v, min, max))
		return def
	}
	return n
}

func (e *envReader) duration(name string, def time.Duration) time.Duration {
	v := e.str(name, "")
	if v == "" {
		return def
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		e.errs = append(e.errs, fmt.Errorf("%s=%q: want a positive duration such as 30s", name, v))
		return def
	}
	return d
}

// durationOrOff is duration, but also accepts 0 (written "0" or "0s") to
// switch a feature off; off is then returned as -1.
func (e *envReader) durationOrOff(name string, def time.Duration) time.Duration {
	if v := e.str(name, ""); v == "0" || v == "0s" {
		return -1
	}
	return e.duration(name, def)
}

func (e *envReader) bool(name string, def bool) bool {
	v := e.str(name, "")
	if v == "" {
		return def
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		e.errs = append(e.errs, fmt.Errorf("%s=%q: want true or false", name, v))
		return def
	}
	return b
}

func (e *envReader) fail(format string, args ...any) {
	e.errs = append(e.errs, fmt.Errorf(format, args...))
}

// Defaults that are not obvious. dbMaxConns: a db.t3.micro allows about
// 87 connections; 2 services x 10 tasks x 3 stays under the 80 % alarm
// with room for migrations and an operator's psql.
const (
	defaultDBMaxConns = 3
	defaultSQLitePath = "data/taskapi.db"
	minJWTSecretBytes = 32
)

// LoadConfig reads the configuration from getenv.
func LoadConfig(getenv func(string) string) (Config, error) {
	return loadConfig(&envReader{getenv: getenv})
}

func loadConfig(e *envReader) (Config, error) {
	c := Config{
		Service:           e.str("SERVICE", serviceAll),
		Host:              e.str("HOST", ""),
		Port:              e.int("PORT", 3000, 0, 65535),
		Migrate:           e.bool("DB_MIGRATE", true),
		DBWaitLimit:       e.duration("DB_CONNECT_TIMEOUT", 30*time.Second),
		JWTExpiration:     time.Duration(e.int("JWT_EXPIRATION", 3600, 60, 7*24*3600)) * time.Second,
		BcryptCost:        e.int("BCRYPT_COST", 10, 4, 14),
		AuthServiceURL:    e.str("AUTH_SERVICE_URL", ""),
		AuthClient:        loadAuthClientConfig(e),
		RequestTimeout:    e.duration("REQUEST_TIMEOUT", 10*time.Second),
		ShutdownTimeout:   e.duration("SHUTDOWN_TIMEOUT", 20*time.Second),
		ReadHeaderTimeout: 5 * time.Second,
		LogLevel:          e.str("LOG_LEVEL", "info"),
		LogFormat:         e.str("LOG_FORMAT", "json"),

		MetricsNamespace: e.str("METRICS_NAMESPACE", metrics.DefaultNamespace),
		MetricsInterval:  e.duration("METRICS_INTERVAL", 60*time.Second),

		Abuse: loadAbuseConfig(e),
	}
	switch c.Service {
	case serviceAll, serviceAuth, serviceTask:
	default:
		e.fail("SERVICE=%q: want all, auth or task", c.Service)
	}
	c.DB = loadDBConfig(e)
	// A connection attempt longer than a request's whole budget serves no
	// request: the pool's background attempts (which have no deadline of
	// their own) stop there too, so after an outage the pool's slots are
	// free again within REQUEST_TIMEOUT.
	c.DB.ConnectTimeout = min(c.DBWaitLimit, c.RequestTimeout)
	c.Embedded = c.DB.Driver == store.DriverSQLite

	// A JWT secret is needed wherever tokens are issued or checked
	// in-process. Only the embedded local default may run without one, and
	// then gets a random one: tokens die with the process, but no
	// guessable secret is ever in use.
	if c.Service != serviceTask {
		secret := e.str("JWT_SECRET", "")
		switch {
		case secret == "" && c.Embedded:
			c.JWTSecret = make([]byte, 32)
			_, _ = rand.Read(c.JWTSecret)
			c.JWTEphemeral = true
		case secret == "":
			e.fail("JWT_SECRET is required when a database is configured")
		case len(secret) < minJWTSecretBytes:
			e.fail("JWT_SECRET must be at least %d bytes", minJWTSecretBytes)
		default:
			c.JWTSecret = []byte(secret)
		}
	}
	if c.Service == serviceTask {
		if c.AuthServiceURL == "" {
			e.fail("AUTH_SERVICE_URL is required when SERVICE=task")
		} else if u, err := url.Parse(c.AuthServiceURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			e.fail("AUTH_SERVICE_URL=%q: want an http(s) URL such as http://auth-service.task-management.local:3000", c.AuthServiceURL)
		}
	}
	return c, errors.Join(e.errs...)
}

// loadDBConfig picks the database: DATABASE_URL, else DB_HOST and friends,
// else the embedded SQLite file.
func loadDBConfig(e *envReader) store.Config {
	maxConns := e.int("DB_MAX_OPEN_CONNS", defaultDBMaxConns, 1, 1000)
	db := store.Config{
		MaxOpenConns:    maxConns,
		MaxIdleConns:    e.int("DB_MAX_IDLE_CONNS", maxConns, 1, 1000),
		ConnMaxLifetime: e.duration("DB_CONN_MAX_LIFETIME", 30*time.Minute),
		ConnMaxIdleTime: e.duration("DB_CONN_MAX_IDLE_TIME", 5*time.Minute),
	}
	switch dsn, host := e.str("DATABASE_URL", ""), e.str("DB_HOST", ""); {
	case dsn != "":
		db.Driver, db.DSN = store.DriverPostgres, dsn
	case host != "":
		db.Driver = store.DriverPostgres
		db.DSN = store.PostgresParams{
			Host:     host,
			Port:     e.str("DB_PORT", "5432"),
			Name:     e.str("DB_NAME", "taskmanagement"),
			User:     e.str("DB_USER", "dbadmin"),
			Password: e.raw("DB_PASSWORD"), // not trimmed: a password may end in a space
			SSLMode:  e.str("DB_SSLMODE", "require"),
			// The RDS CA bundle, for DB_SSLMODE=verify-full (the ECS task
			// definitions set both; the image ships the bundle).
			SSLRootCert: e.str("DB_SSLROOTCERT", ""),
		}.DSN()
	default:
		db.Driver = store.DriverSQLite
		db.DSN = filepath.Clean(e.str("SQLITE_PATH", defaultSQLitePath))
	}
	return db
}
