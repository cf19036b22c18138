package app

import (
	"log/slog"
	"net/http"
	"sync/atomic"
	"time"

	"taskapi/adapters/httpapi"
	"taskapi/handlers"
	"taskapi/metrics"
	"taskapi/password"
	"taskapi/store"
	"taskapi/throttle"
	"taskapi/tokens"
	"taskapi/web"
)

// BuildAPI wires the handlers this process serves into the HTTP adapter.
// Every finished request is reported to recorder, if it is non-nil.
func BuildAPI(cfg Config, db *store.DB, logger *slog.Logger, recorder *metrics.Recorder) (http.Handler, error) {
	api, _, err := buildHandler(cfg, db, logger, recorder, false)
	return api, err
}

// BuildServer is what the HTTP server serves: the API and, in the
// all-in-one process (make run), the web app at /. On AWS the ALB sends
// only /auth and /tasks to the split services and the app is hosted on
// S3/CloudFront; Lambda functions serve the API alone (BuildAPI).
func BuildServer(cfg Config, db *store.DB, logger *slog.Logger, recorder *metrics.Recorder) (http.Handler, error) {
	api, _, err := buildServer(cfg, db, logger, recorder)
	return api, err
}

// buildServer is BuildServer that also returns the process's validation
// cache (nil without one), for Serve to keep told about revocations.
func buildServer(cfg Config, db *store.DB, logger *slog.Logger, recorder *metrics.Recorder) (http.Handler, *handlers.ValidationCache, error) {
	return buildHandler(cfg, db, logger, recorder, cfg.Service == serviceAll)
}

func buildHandler(cfg Config, db *store.DB, logger *slog.Logger, recorder *metrics.Recorder, withWebApp bool) (http.Handler, *handlers.ValidationCache, error) {
	now := time.Now
	var cache *handlers.ValidationCache
	opts := httpapi.Options{
		Logger:             logger,
		Service:            serviceName(cfg.Service),
		TrustedProxyHops:   cfg.Abuse.TrustedProxyHops,
		CORSAllowedOrigins: cfg.Abuse.CORSAllowedOrigins,
	}
	if recorder != nil {
		opts.Metrics = recorder
	}
	opts.Health = handlers.NewHealth(serviceName(cfg.Service), db)
	// Requests in flight that check no password, for bcrypt to give way
	// to (see AbuseConfig.hasher).
	others := new(atomic.Int64)
	if cfg.Service != serviceTask {
		signer := tokens.NewHS256(cfg.JWTSecret, cfg.JWTExpiration, now)
		// Every token this process accepts, on /auth/validate, on the
		// account routes and, all in one process, on /tasks (validated
		// in-process, no network hop), is checked against the revocations
		// in the database.
		validator := handlers.RejectingRevoked(signer, db)
		hasher := cfg.Abuse.hasher(cfg.BcryptCost, others)
		// Counted in the database, once for every auth instance.
		logins := throttle.New(db, cfg.Abuse.loginPolicy(), now, logger)
		auth, err := handlers.NewAuth(db, hasher, signer, validator, now, handlers.WithLoginThrottle(logins),
			handlers.WithDummyHasher(password.Bcrypt{Cost: cfg.BcryptCost}),
			handlers.WithRegistrationThrottle(throttle.New(db, cfg.Abuse.registrationPolicy(), now, logger)))
		if err != nil {
			return nil, nil, err
		}
		opts.Auth = auth
		opts.AuthHealth = handlers.NewHealth("auth-service", db)
		opts.Tokens = validator
		accountStore := accountStoreFor(db)
		if cfg.Service == serviceAll && cfg.AuthClient.CacheTTL > 0 {
			// One process: /tasks and the account routes remember a
			// validation for the cache TTL, as the split task service
			// does, instead of querying the revocations on every request.
			// Logouts, password changes and deletions made here forget
			// the token at once, other processes' through notifications
			// (Serve); /auth/validate stays uncached.
			cache = handlers.CacheValidations(validator, cfg.AuthClient.CacheTTL, cfg.AuthClient.CacheSize, now)
			opts.Tokens = cache
			accountStore.cache = cache
		}
		opts.Account = handlers.NewAccount(accountStore, hasher, accountStore, now, handlers.WithPasswordThrottle(logins))
	}
	if cfg.Service != serviceAuth {
		opts.Tasks = handlers.NewTasks(db, now, handlers.WithQuota(cfg.Abuse.TaskQuota),
			handlers.WithIdempotencyKeyLimit(cfg.Abuse.IdempotencyKeysPerUser))
		opts.TaskHealth = handlers.NewHealth("task-service", db)
		if cfg.Service == serviceTask {
			client, err := newAuthClient(cfg, logger)
			if err != nil {
				return nil, nil, err
			}
			opts.Tokens = client
			if cfg.AuthClient.CacheTTL > 0 {
				// The same cache as the all-in-one process's, in front of
				// the auth service instead of the local check: told about
				// every revocation by notifications (Serve).
				cache = handlers.CacheValidations(client, cfg.AuthClient.CacheTTL, cfg.AuthClient.CacheSize, now)
				opts.Tokens = cache
			}
		}
	}
	if withWebApp {
		site, err := web.Load()
		if err != nil {
			return nil, nil, err
		}
		opts.Site = site
	}
	api := httpapi.CountOthers(httpapi.WithRequestTimeout(httpapi.NewServer(opts), cfg.RequestTimeout), others)
	if cfg.wrapAPI != nil {
		api = cfg.wrapAPI(api)
	}
	return api, cache, nil
}
