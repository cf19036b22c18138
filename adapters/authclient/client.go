// Package authclient is the task service's outbound adapter to the auth
// service: a handlers.TokenValidator that asks POST /auth/validate, made
// for a network that fails. It finds the auth tasks through DNS (Cloud
// Map), spreads calls over them, bounds every attempt in time, retries
// transient failures with backoff and jitter, stops calling a dead service
// through a circuit breaker. It does not cache: the process wraps it in
// the binary's one validation cache (handlers.ValidationCache), which is
// told about revocations.
package authclient

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/sony/gobreaker/v2"

	"taskapi"
	"taskapi/handlers"
	"taskapi/tokens"
)

// maxResponseBytes caps what is read from the auth service: a validate
// answer is a few hundred bytes, and a misbehaving peer must not make the
// task service buffer megabytes.
const maxResponseBytes = 16 << 10

// Options configure a Client. Zero values take the defaults in brackets.
type Options struct {
	// BaseURL is the auth service, e.g.
	// http://auth-service.task-management.local:3000.
	BaseURL string
	// Timeout bounds each attempt.
	Timeout time.Duration
	// Budget bounds one whole validation: every attempt, the waits
	// between them, the DNS lookup and a circuit breaker trial share it,
	// so an auth service that accepts connections and never answers
	// costs a request at most this long, not (1+Retries) × Timeout. An
	// attempt gets what is left of it when that is less than Timeout.
	Budget time.Duration
	// Retries is how many times a transient failure is retried (0: none).
	Retries int
	// BackoffBase and BackoffMax shape the wait between attempts.
	BackoffBase, BackoffMax time.Duration
	// Resolver looks up the service's host; nil is net.DefaultResolver.
	Resolver Resolver
	// DNSRefresh is how long looked-up addresses are used before the next
	// lookup; keep it under the record's TTL.
	DNSRefresh time.Duration
	// BreakerFailures is how many consecutive failed calls open the
	// circuit; BreakerOpen how long it stays open before one trial call.
	BreakerFailures uint32
	BreakerOpen     time.Duration
	// RequestID reads the current request's correlation id from a context,
	// so that it travels on to the auth service; nil sends none.
	RequestID func(context.Context) string
	// Logger receives breaker state changes; nil is slog.Default().
	Logger *slog.Logger
}

// check refuses options that cannot work: every duration and count is
// the caller's to give (the configuration's table holds the defaults),
// and a zero there is a mistake, not a request for some default.
func (o Options) check() error {
	var errs []error
	for _, d := range []struct {
		name string
		v    time.Duration
	}{{"Timeout", o.Timeout}, {"Budget", o.Budget}, {"BackoffBase", o.BackoffBase}, {"BackoffMax", o.BackoffMax},
		{"DNSRefresh", o.DNSRefresh}, {"BreakerOpen", o.BreakerOpen}} {
		if d.v <= 0 {
			errs = append(errs, fmt.Errorf("option %s is %v: want a positive duration", d.name, d.v))
		}
	}
	if o.Retries < 0 {
		errs = append(errs, fmt.Errorf("option Retries is %d: want 0 or more", o.Retries))
	}
	if o.BreakerFailures == 0 {
		errs = append(errs, errors.New("option BreakerFailures is 0: want 1 or more"))
	}
	return errors.Join(errs...)
}

// Client validates tokens by calling the auth service. It is safe for
// concurrent use.
type Client struct {
	opts    Options
	base    *url.URL
	http    *http.Client
	disc    *discovery // nil for https, where the name must stay in the URL for TLS
	breaker *gobreaker.CircuitBreaker[taskapi.Principal]
}

// New returns a client for the auth service described by opts.
func New(opts Options) (*Client, error) {
	if err := opts.check(); err != nil {
		return nil, fmt.Errorf("auth client: %w", err)
	}
	if opts.Resolver == nil {
		opts.Resolver = net.DefaultResolver
	}
	if opts.RequestID == nil {
		opts.RequestID = func(context.Context) string { return "" }
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	base, err := url.Parse(strings.TrimRight(opts.BaseURL, "/"))
	if err != nil || (base.Scheme != "http" && base.Scheme != "https") || base.Hostname() == "" {
		return nil, fmt.Errorf("auth service URL %q: want http(s)://host[:port]", opts.BaseURL)
	}
	c := &Client{
		opts: opts,
		base: base,
		http: &http.Client{
			// A validate call is never redirected: following one would send
			// the caller's token wherever the redirect points.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
			Transport:     &http.Transport{MaxIdleConnsPerHost: 32, IdleConnTimeout: 30 * time.Second},
		},
	}
	if base.Scheme == "http" {
		port := base.Port()
		if port == "" {
			port = "80"
		}
		c.disc = newDiscovery(base.Hostname(), port, opts.Resolver, opts.DNSRefresh)
		c.disc.timeout = min(opts.Timeout, maxLookupTimeout)
	}
	c.breaker = gobreaker.NewCircuitBreaker[taskapi.Principal](gobreaker.Settings{
		Name:        "auth-service",
		MaxRequests: 1,
		Timeout:     opts.BreakerOpen,
		ReadyToTrip: func(counts gobreaker.Counts) bool {
			return counts.ConsecutiveFailures >= opts.BreakerFailures
		},
		// A 401 is the auth service working as it should: it must never
		// open the circuit, or a burst of bad tokens would lock everyone out.
		IsSuccessful: func(err error) bool {
			return err == nil || taskapi.ErrorCode(err) == taskapi.EUNAUTHORIZED
		},
		// The caller giving up (client gone) says nothing about the service.
		IsExcluded: func(err error) bool { return errors.Is(err, context.Canceled) },
		OnStateChange: func(name string, from, to gobreaker.State) {
			opts.Logger.Warn("circuit breaker state changed", "breaker", name, "from", from.String(), "to", to.String())
		},
	})
	return c, nil
}

// ValidateToken asks the auth service whether token is valid. A 401 is
// passed on with the auth service's message; when the service cannot be
// reached or answers nonsense the result is EUNAVAILABLE (503): the task
// service fails closed and never serves a request it could not
// authenticate.
//
// A token that no auth service would accept (empty, or longer than
// tokens.MaxTokenLength) is refused here with the auth service's own 401,
// without a call: an oversized header is not forwarded, and a flood of
// them costs neither the auth service nor the breaker anything.
func (c *Client) ValidateToken(ctx context.Context, token string) (taskapi.Principal, error) {
	switch {
	case token == "":
		return taskapi.Principal{}, taskapi.Errorf(taskapi.EUNAUTHORIZED, "%s", taskapi.MsgNoToken)
	case len(token) > tokens.MaxTokenLength:
		return taskapi.Principal{}, taskapi.Errorf(taskapi.EUNAUTHORIZED, "%s", taskapi.MsgInvalidToken)
	}
	ctx, cancel := context.WithTimeout(ctx, c.opts.Budget)
	defer cancel()
	p, err := c.breaker.Execute(func() (taskapi.Principal, error) { return c.validateWithRetries(ctx, token) })
	switch {
	case errors.Is(err, gobreaker.ErrOpenState), errors.Is(err, gobreaker.ErrTooManyRequests):
		return taskapi.Principal{}, unavailable(err)
	case err != nil:
		return taskapi.Principal{}, err
	}
	return p, nil
}

// validateWithRetries makes up to 1+Retries attempts, each to the next
// address in the rotation, retrying only transient failures.
func (c *Client) validateWithRetries(ctx context.Context, token string) (taskapi.Principal, error) {
	targets := []string{c.base.Host}
	if c.disc != nil {
		var err error
		if targets, err = c.disc.rotation(ctx); err != nil {
			return taskapi.Principal{}, unavailable(err)
		}
	}
	var last error
	for attempt := 0; attempt <= c.opts.Retries; attempt++ {
		if attempt > 0 {
			if err := sleep(ctx, backoff(attempt, c.opts.BackoffBase, c.opts.BackoffMax)); err != nil {
				break
			}
		}
		target := targets[attempt%len(targets)]
		p, err := c.attempt(ctx, target, token)
		var transient *transientError
		if !errors.As(err, &transient) {
			return p, err
		}
		if transient.connect && c.disc != nil {
			c.disc.markFailed(target)
		}
		last = err
	}
	if last == nil {
		last = ctx.Err()
	}
	return taskapi.Principal{}, unavailable(last)
}

// validateAnswer is the auth service's answer: handlers.ValidateResponse
// on success, the API's error body (its message) otherwise.
type validateAnswer struct {
	handlers.ValidateResponse
	Message string `json:"message"`
}

// attempt makes one call to the auth task at target (host:port), bounded
// by the attempt timeout. Every failure is a *taskapi.Error or a
// *transientError.
func (c *Client) attempt(parent context.Context, target, token string) (taskapi.Principal, error) {
	ctx, cancel := context.WithTimeout(parent, c.opts.Timeout)
	defer cancel()
	u := *c.base
	u.Host = target
	u.Path += "/auth/validate"
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), nil)
	if err != nil {
		return taskapi.Principal{}, unavailable(err)
	}
	req.Host = c.base.Host // the service's name, whichever task answers
	req.Header.Set("Authorization", "Bearer "+token)
	if id := c.opts.RequestID(ctx); id != "" {
		req.Header.Set("X-Request-ID", id)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		// The parent's context, not the attempt's: an attempt that timed
		// out is worth another try, a caller that gave up is not.
		return taskapi.Principal{}, classifyTransport(parent, err)
	}
	defer resp.Body.Close()
	if transientStatus(resp.StatusCode) {
		return taskapi.Principal{}, &transientError{err: fmt.Errorf("auth service at %s answered %d", target, resp.StatusCode)}
	}
	var answer validateAnswer
	body := io.LimitReader(resp.Body, maxResponseBytes)
	if err := json.NewDecoder(body).Decode(&answer); err != nil {
		return taskapi.Principal{}, unavailable(fmt.Errorf("auth service at %s answered %d with an unreadable body: %w", target, resp.StatusCode, err))
	}
	switch {
	case resp.StatusCode == http.StatusUnauthorized:
		msg := answer.Message
		if msg != taskapi.MsgTokenExpired && msg != taskapi.MsgNoToken {
			msg = taskapi.MsgInvalidToken
		}
		return taskapi.Principal{}, taskapi.Errorf(taskapi.EUNAUTHORIZED, "%s", msg)
	case resp.StatusCode != http.StatusOK || !answer.Valid || answer.User.UserID <= 0:
		return taskapi.Principal{}, unavailable(fmt.Errorf("auth service at %s answered %d without a valid user", target, resp.StatusCode))
	}
	return answer.Principal(), nil
}

func unavailable(cause error) error {
	return taskapi.Wrap(cause, taskapi.EUNAVAILABLE, taskapi.MsgAuthDown)
}
