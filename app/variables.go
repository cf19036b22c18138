package app

// Variable describes one environment variable the binary reads. The list
// is the contract with every deployment description (ECS task definitions,
// the SAM template, docs/configuration.md): tests check each of them against it.
type Variable struct {
	Name string
	// Auth and Task say which service uses it (SERVICE=all uses both);
	// giving a service a variable it does not use is a deployment mistake.
	Auth, Task bool
	// Secret values come from Secrets Manager and must never be logged.
	Secret bool
}

// Variables is every environment variable LoadConfig reads.
// TestVariablesInventory keeps it exact.
var Variables = []Variable{
	{Name: "SERVICE", Auth: true, Task: true},
	{Name: "HOST", Auth: true, Task: true},
	{Name: "PORT", Auth: true, Task: true},
	{Name: "DATABASE_URL", Auth: true, Task: true, Secret: true},
	{Name: "DB_HOST", Auth: true, Task: true},
	{Name: "DB_PORT", Auth: true, Task: true},
	{Name: "DB_NAME", Auth: true, Task: true},
	{Name: "DB_USER", Auth: true, Task: true},
	{Name: "DB_PASSWORD", Auth: true, Task: true, Secret: true},
	{Name: "DB_SSLMODE", Auth: true, Task: true},
	{Name: "DB_SSLROOTCERT", Auth: true, Task: true},
	{Name: "SQLITE_PATH", Auth: true, Task: true},
	{Name: "DB_MAX_OPEN_CONNS", Auth: true, Task: true},
	{Name: "DB_MAX_IDLE_CONNS", Auth: true, Task: true},
	{Name: "DB_CONN_MAX_LIFETIME", Auth: true, Task: true},
	{Name: "DB_CONN_MAX_IDLE_TIME", Auth: true, Task: true},
	{Name: "DB_CONNECT_TIMEOUT", Auth: true, Task: true},
	{Name: "DB_MIGRATE", Auth: true, Task: true},
	{Name: "JWT_SECRET", Auth: true, Secret: true},
	{Name: "JWT_EXPIRATION", Auth: true},
	{Name: "BCRYPT_COST", Auth: true},
	{Name: "AUTH_SERVICE_URL", Task: true},
	{Name: "AUTH_TIMEOUT", Task: true},
	{Name: "AUTH_BUDGET", Task: true},
	{Name: "AUTH_RETRIES", Task: true},
	{Name: "AUTH_DNS_REFRESH", Task: true},
	{Name: "AUTH_DNS_SERVER", Task: true},
	{Name: "AUTH_BREAKER_FAILURES", Task: true},
	{Name: "AUTH_BREAKER_OPEN", Task: true},
	{Name: "AUTH_CACHE_TTL", Task: true},
	{Name: "AUTH_CACHE_SIZE", Task: true},
	{Name: "REQUEST_TIMEOUT", Auth: true, Task: true},
	{Name: "SHUTDOWN_TIMEOUT", Auth: true, Task: true},
	{Name: "LOG_LEVEL", Auth: true, Task: true},
	{Name: "LOG_FORMAT", Auth: true, Task: true},
	{Name: "METRICS_NAMESPACE", Auth: true, Task: true},
	{Name: "METRICS_INTERVAL", Auth: true, Task: true},
	{Name: "LOGIN_MAX_FAILURES", Auth: true},
	{Name: "LOGIN_IP_MAX_FAILURES", Auth: true},
	{Name: "LOGIN_FAILURE_WINDOW", Auth: true},
	{Name: "REGISTER_IP_MAX", Auth: true},
	{Name: "REGISTER_IP_WINDOW", Auth: true},
	{Name: "BCRYPT_CONCURRENCY", Auth: true},
	{Name: "BCRYPT_QUEUE_TIMEOUT", Auth: true},
	{Name: "TRUSTED_PROXY_HOPS", Auth: true},
	{Name: "CORS_ALLOWED_ORIGINS", Auth: true, Task: true},
	{Name: "TASK_QUOTA", Task: true},
}
