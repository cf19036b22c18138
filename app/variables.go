package app

import (
	"time"

	"taskapi/metrics"
)

// Variable is one environment variable the binary reads: the single
// declaration from which LoadConfig parses and checks it, taskapi --help
// and docs/configuration.md describe it (taskapi config-doc writes that
// table), and the tests check every deployment description (ECS task
// definitions, the SAM template) against it.
type Variable struct {
	Name string
	// Default is the value an unset (or blank) variable takes, written as
	// one would set it; empty means none.
	Default string
	// DefaultDoc is how the documentation words a default that is not
	// one fixed value (computed, or set by make run); empty shows Default.
	DefaultDoc string
	// Auth and Task say which service uses it (SERVICE=all uses both);
	// giving a service a variable it does not use is a deployment mistake.
	Auth, Task bool
	// Secret values come from Secrets Manager and are never logged.
	Secret bool
	// Doc is one line of Markdown: what the value means.
	Doc string
	// Help lists the variable in taskapi --help, for a first run.
	Help bool

	parse parser
	// derive computes the default of a variable whose default depends on
	// the machine or on a variable above it in the table.
	derive func(c *Config) string
	// check judges the value against the rest of the configuration once
	// every variable is read, and returns the problem, or "".
	check func(c *Config) string
}

// The names other code needs: the health check reads the listening
// address alone, the Lambda runtime has its own database path, and the
// benchmark driver (cmd/taskbench) starts servers with these set.
const (
	EnvService            = "SERVICE"
	EnvHost               = "HOST"
	EnvPort               = "PORT"
	EnvDatabaseURL        = "DATABASE_URL"
	EnvSQLitePath         = "SQLITE_PATH"
	EnvDBMaxOpenConns     = "DB_MAX_OPEN_CONNS"
	EnvDBMigrate          = "DB_MIGRATE"
	EnvJWTSecret          = "JWT_SECRET"
	EnvBcryptCost         = "BCRYPT_COST"
	EnvBcryptConcurrency  = "BCRYPT_CONCURRENCY"
	EnvBcryptQueueTimeout = "BCRYPT_QUEUE_TIMEOUT"
	EnvTaskQuota          = "TASK_QUOTA"
	EnvRegisterIPMax      = "REGISTER_IP_MAX"
	EnvAuthServiceURL     = "AUTH_SERVICE_URL"
	EnvLogFormat          = "LOG_FORMAT"
	EnvTrustedProxyHops   = "TRUSTED_PROXY_HOPS"
)

// minJWTSecretBytes: HS256 keys shorter than the hash (32 bytes) weaken it.
const minJWTSecretBytes = 32

// Variables is every environment variable LoadConfig reads, in the order
// docs/configuration.md lists them. A variable's default may depend only
// on those above it.
var Variables = []Variable{
	{Name: EnvService, Default: serviceAll, Auth: true, Task: true, Help: true,
		Doc:   "`auth`, `task`, or `all` (both in one process)",
		parse: oneOf(func(c *Config) *string { return &c.Service }, serviceAll, serviceAuth, serviceTask)},
	{Name: EnvHost, DefaultDoc: "every interface (`127.0.0.1` under `make run`)", Auth: true, Task: true, Help: true,
		Doc:   "listening address, e.g. `127.0.0.2`; `0.0.0.0` for every IPv4 interface",
		parse: text(func(c *Config) *string { return &c.Host })},
	{Name: EnvPort, Default: "3000", Auth: true, Task: true, Help: true,
		Doc:   "listening port (`0` picks a free one)",
		parse: integer(func(c *Config) *int { return &c.Port }, 0, 65535)},

	{Name: EnvDatabaseURL, Auth: true, Task: true, Secret: true, Help: true,
		Doc:   "PostgreSQL URL, `postgres://user:pass@host:5432/db?sslmode=require`; wins over `DB_*`",
		parse: text(func(c *Config) *string { return &c.database.URL })},
	{Name: "DB_HOST", Auth: true, Task: true,
		Doc:   "PostgreSQL host; setting it (or `DATABASE_URL`) switches from SQLite to PostgreSQL",
		parse: text(func(c *Config) *string { return &c.database.Postgres.Host })},
	{Name: "DB_PORT", Default: "5432", Auth: true, Task: true,
		Doc:   "PostgreSQL port",
		parse: text(func(c *Config) *string { return &c.database.Postgres.Port })},
	{Name: "DB_NAME", Default: "taskmanagement", Auth: true, Task: true,
		Doc:   "PostgreSQL database",
		parse: text(func(c *Config) *string { return &c.database.Postgres.Name })},
	{Name: "DB_USER", Default: "dbadmin", Auth: true, Task: true,
		Doc:   "PostgreSQL role",
		parse: text(func(c *Config) *string { return &c.database.Postgres.User })},
	{Name: "DB_PASSWORD", Auth: true, Task: true, Secret: true,
		Doc:   "PostgreSQL password, taken verbatim (not trimmed)",
		parse: verbatimText(func(c *Config) *string { return &c.database.Postgres.Password })},
	{Name: "DB_SSLMODE", Default: "require", Auth: true, Task: true,
		Doc:   "lib/pq sslmode; `disable` for a local server without TLS",
		parse: text(func(c *Config) *string { return &c.database.Postgres.SSLMode })},
	{Name: "DB_SSLROOTCERT", Auth: true, Task: true,
		Doc:   "CA bundle (PEM) the server's certificate is checked against with `DB_SSLMODE=verify-full`; on ECS the image's `/etc/ssl/certs/rds-global-bundle.pem`",
		parse: text(func(c *Config) *string { return &c.database.Postgres.SSLRootCert })},
	{Name: EnvSQLitePath, Default: "data/taskapi.db", DefaultDoc: "`data/taskapi.db` (`" + lambdaSQLitePath + "` on Lambda)", Auth: true, Task: true, Help: true,
		Doc:   "the embedded database file, used when no PostgreSQL is configured (its directory is created)",
		parse: text(func(c *Config) *string { return &c.database.SQLitePath })},
	// A db.t3.micro allows about 87 connections: 2 services x 10 tasks x 3
	// stays under the 80 % alarm with room for migrations and an operator.
	{Name: EnvDBMaxOpenConns, Default: "3", Auth: true, Task: true,
		Doc:   "PostgreSQL pool size per process (see [Pool size](#pool-size))",
		parse: integer(func(c *Config) *int { return &c.DB.MaxOpenConns }, 1, 1000)},
	{Name: "DB_MAX_IDLE_CONNS", DefaultDoc: "= `DB_MAX_OPEN_CONNS`", Auth: true, Task: true,
		Doc:    "idle connections kept",
		parse:  integer(func(c *Config) *int { return &c.DB.MaxIdleConns }, 1, 1000),
		derive: func(c *Config) string { return itoa(c.DB.MaxOpenConns) }},
	{Name: "DB_CONN_MAX_LIFETIME", Default: "30m", Auth: true, Task: true,
		Doc:   "a connection is closed after this long",
		parse: duration(func(c *Config) *time.Duration { return &c.DB.ConnMaxLifetime })},
	{Name: "DB_CONN_MAX_IDLE_TIME", Default: "5m", Auth: true, Task: true,
		Doc:   "an idle connection is closed after this long",
		parse: duration(func(c *Config) *time.Duration { return &c.DB.ConnMaxIdleTime })},
	{Name: "DB_CONNECT_TIMEOUT", Default: "30s", Auth: true, Task: true,
		Doc:   "how long start-up waits for the database before exiting 1; also caps each connection attempt (see [Database connects](#database-connects))",
		parse: duration(func(c *Config) *time.Duration { return &c.DBWaitLimit })},
	{Name: EnvDBMigrate, Default: "true", Auth: true, Task: true,
		Doc:   "apply the migrations at start-up (concurrent starts are safe); `taskapi migrate` applies them and exits",
		parse: boolean(func(c *Config) *bool { return &c.Migrate })},

	{Name: EnvJWTSecret, Auth: true, Secret: true, Help: true,
		Doc:   "HMAC key of the tokens, 32 bytes or more; required with PostgreSQL. On SQLite without it a random key is made per process: tokens stop working when the process stops",
		parse: minBytes(func(c *Config) *[]byte { return &c.JWTSecret }, minJWTSecretBytes),
		check: func(c *Config) string {
			if c.Service != serviceTask && len(c.JWTSecret) == 0 {
				return "is required when a database is configured"
			}
			return ""
		}},
	{Name: "JWT_EXPIRATION", Default: "3600", Auth: true,
		Doc:   "token lifetime in seconds (`exp - iat`), 60 to 604800",
		parse: seconds(func(c *Config) *time.Duration { return &c.JWTExpiration }, 60, 7*24*3600)},
	{Name: EnvBcryptCost, Default: "10", Auth: true,
		Doc:   "bcrypt work factor, 4 to 14",
		parse: integer(func(c *Config) *int { return &c.BcryptCost }, 4, 14)},
	{Name: EnvBcryptConcurrency, DefaultDoc: "max(2, CPUs)", Auth: true,
		Doc:    "bcrypt operations at once; half of it while other requests are in flight (see [Logins under load](#logins-under-load))",
		parse:  integer(func(c *Config) *int { return &c.Abuse.BcryptConcurrency }, 1, 1024),
		derive: func(*Config) string { return itoa(max(2, cpus())) }},
	{Name: EnvBcryptQueueTimeout, Default: "1s", Auth: true,
		Doc:   "longest wait for a bcrypt slot, then 503 with `Retry-After`",
		parse: duration(func(c *Config) *time.Duration { return &c.Abuse.BcryptQueueTimeout })},
	{Name: "LOGIN_MAX_FAILURES", Default: "5", Auth: true,
		Doc:   "failed password checks per (account, client address) pair per window; then that pair gets 429 until the window ends, while the owner elsewhere is not blocked ([operations](operations.md#login-and-registration-limits))",
		parse: integer(func(c *Config) *int { return &c.Abuse.LoginMaxFailures }, 1, 1000)},
	{Name: "LOGIN_ACCOUNT_MAX_FAILURES", Default: "20", Auth: true,
		Doc:   "failed password checks per account from all addresses per window; past it each attempt on the account waits for the one before (backoff from 1 s, doubling), except from an address that logged in to it within 30 days",
		parse: integer(func(c *Config) *int { return &c.Abuse.LoginAccountMaxFailures }, 1, 100000)},
	{Name: "LOGIN_ACCOUNT_BACKOFF_MAX", Default: "1m", Auth: true,
		Doc:   "the longest backoff between attempts on an account",
		parse: duration(func(c *Config) *time.Duration { return &c.Abuse.LoginAccountBackoffMax })},
	{Name: "LOGIN_IP_MAX_FAILURES", Default: "20", Auth: true,
		Doc:   "failed password checks per client address (IPv6: per /64) across accounts per window before 429",
		parse: integer(func(c *Config) *int { return &c.Abuse.LoginIPMaxFailures }, 1, 100000)},
	{Name: "LOGIN_FAILURE_WINDOW", Default: "15m", Auth: true,
		Doc:   "the window of the three login limits; it starts at the first failure counted in it",
		parse: duration(func(c *Config) *time.Duration { return &c.Abuse.LoginWindow })},
	{Name: EnvRegisterIPMax, Default: "10", Auth: true,
		Doc:   "registrations per client address (IPv6: per /64) per window before 429 (a taken name's 409 counts too)",
		parse: integer(func(c *Config) *int { return &c.Abuse.RegisterIPMax }, 1, 100000)},
	{Name: "REGISTER_IP_WINDOW", Default: "1h", Auth: true,
		Doc:   "the registration window; it starts at the first registration counted in it",
		parse: duration(func(c *Config) *time.Duration { return &c.Abuse.RegisterIPWindow })},
	{Name: EnvTrustedProxyHops, Default: "0", Auth: true,
		Doc:   "proxies in front that append to `X-Forwarded-For`: the client address is that many entries from the right. `0`: the peer address, `X-Forwarded-For` ignored. The ECS task definition sets `2` (CloudFront, then the ALB); never more than the proxies really in front. The start-up line says which (`client_address`)",
		parse: integer(func(c *Config) *int { return &c.Abuse.TrustedProxyHops }, 0, 10)},
	{Name: "CORS_ALLOWED_ORIGINS", DefaultDoc: "– (CORS off)", Auth: true, Task: true,
		Doc:   "comma-separated exact origins whose pages may call the API, e.g. the web app's copy on S3/CloudFront ([webapp.md](webapp.md#static-build-for-s3cloudfront))",
		parse: origins(func(c *Config) *[]string { return &c.Abuse.CORSAllowedOrigins })},
	{Name: EnvTaskQuota, Default: "10000", Task: true,
		Doc:   "tasks one user may hold (403 beyond it)",
		parse: integer(func(c *Config) *int { return &c.Abuse.TaskQuota }, 1, 10000000)},
	// A thousand a day is far more than a client retrying its own creates
	// needs, and bounds each user's idempotency_keys rows (up to ~10 kB
	// each) to about 10 MB.
	{Name: "IDEMPOTENCY_KEYS_PER_USER", Default: "1000", Task: true,
		Doc:   "`Idempotency-Key`s one user may have remembered at once (each for 24 h, whether its task still exists or not): past it a keyed create is 429 with `Retry-After` (when the oldest key expires); creates without a key are not affected",
		parse: integer(func(c *Config) *int { return &c.Abuse.IdempotencyKeysPerUser }, 1, 10000000)},

	{Name: EnvAuthServiceURL, Task: true, Help: true,
		Doc:   "base URL of the auth service, required for `SERVICE=task`, e.g. `http://auth-service.task-management.local:3000`",
		parse: httpURL(func(c *Config) *string { return &c.AuthServiceURL }, "http://auth-service.task-management.local:3000"),
		check: func(c *Config) string {
			if c.Service == serviceTask && c.AuthServiceURL == "" {
				return "is required when SERVICE=task"
			}
			return ""
		}},
	{Name: "AUTH_TIMEOUT", Default: "2s", Task: true,
		Doc:   "bound on each call to the auth service",
		parse: duration(func(c *Config) *time.Duration { return &c.AuthClient.Timeout })},
	{Name: "AUTH_BUDGET", Default: "2.5s", Task: true,
		Doc:   "bound on one whole token validation: attempts, backoff, DNS lookup and a breaker trial share it ([operations](operations.md#resilience-how-the-task-service-calls-the-auth-service))",
		parse: duration(func(c *Config) *time.Duration { return &c.AuthClient.Budget })},
	{Name: "AUTH_RETRIES", Default: "2", Task: true,
		Doc:   "extra attempts after a transient failure (`0`: none)",
		parse: integer(func(c *Config) *int { return &c.AuthClient.Retries }, 0, 10)},
	{Name: "AUTH_DNS_REFRESH", Default: "10s", Task: true,
		Doc:   "how long looked-up auth addresses are reused (under Cloud Map's 60 s TTL)",
		parse: duration(func(c *Config) *time.Duration { return &c.AuthClient.DNSRefresh })},
	{Name: "AUTH_DNS_SERVER", DefaultDoc: "the system's resolver", Task: true,
		Doc:   "`host:port` of a DNS server to ask instead (for local discovery tests)",
		parse: hostPort(func(c *Config) *string { return &c.AuthClient.DNSServer }, "10.0.0.2:53")},
	{Name: "AUTH_BREAKER_FAILURES", Default: "5", Task: true,
		Doc:   "consecutive failed validations that open the circuit",
		parse: integer(func(c *Config) *int { return &c.AuthClient.BreakerFailures }, 1, 1000)},
	{Name: "AUTH_BREAKER_OPEN", Default: "10s", Task: true,
		Doc:   "how long the circuit stays open before one trial call",
		parse: duration(func(c *Config) *time.Duration { return &c.AuthClient.BreakerOpen })},
	{Name: "AUTH_CACHE_TTL", Default: "30s", Task: true,
		Doc:   "how long a successful validation is reused (`0`: no cache), by the task service and by `SERVICE=all` for its own routes; on PostgreSQL revocations reach the cache at once, and this is the bound only while that channel is down, or between processes sharing one SQLite file ([operations](operations.md#resilience-how-the-task-service-calls-the-auth-service))",
		parse: durationOrOff(func(c *Config) *time.Duration { return &c.AuthClient.CacheTTL })},
	{Name: "AUTH_CACHE_SIZE", Default: "10000", Task: true,
		Doc:   "most validations cached (least recently used evicted)",
		parse: integer(func(c *Config) *int { return &c.AuthClient.CacheSize }, 1, 1000000)},

	{Name: "REQUEST_TIMEOUT", Default: "10s", Auth: true, Task: true,
		Doc:   "deadline for the work of one request (database and auth calls)",
		parse: duration(func(c *Config) *time.Duration { return &c.RequestTimeout })},
	{Name: "SHUTDOWN_TIMEOUT", Default: "20s", Auth: true, Task: true,
		Doc:   "on SIGTERM, how long in-flight requests may take to finish (ECS waits 30 s)",
		parse: duration(func(c *Config) *time.Duration { return &c.ShutdownTimeout })},
	{Name: "LOG_LEVEL", Default: "info", Auth: true, Task: true, Help: true,
		Doc:   "`debug`, `info`, `warn` or `error`",
		parse: logLevel(func(c *Config) *string { return &c.LogLevel })},
	{Name: EnvLogFormat, Default: "json", DefaultDoc: "`json` (`text` under `make run`)", Auth: true, Task: true, Help: true,
		Doc:   "`json` for CloudWatch (with the EMF metric records), `text` for people (metrics as one short line per busy service and interval)",
		parse: oneOf(func(c *Config) *string { return &c.LogFormat }, "json", "text")},
	{Name: "METRICS_NAMESPACE", Default: metrics.DefaultNamespace, Auth: true, Task: true,
		Doc:   "CloudWatch namespace of the EMF metrics (the alarms read this one)",
		parse: text(func(c *Config) *string { return &c.MetricsNamespace })},
	{Name: "METRICS_INTERVAL", Default: "60s", Auth: true, Task: true,
		Doc:   "how often aggregated metrics are written (and once more at shutdown)",
		parse: duration(func(c *Config) *time.Duration { return &c.MetricsInterval })},
}
