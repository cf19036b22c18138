package store

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// Revocations travel between processes as PostgreSQL notifications: the
// transaction that stores one (RevokeToken, UpdatePassword, DeleteUser)
// also queues a NOTIFY, which the server delivers to every listening
// connection when, and only when, that transaction commits. The channel
// is named after the schema, so deployments (or tests) sharing one
// database in separate schemas do not hear each other.
const channelPrefix = "revoked_"

// A payload says what to forget: "t:" and a token id, or "u:" and a user
// id (every token of that user: deleted, or the password changed).
func tokenRevoked(jti string) string  { return "t:" + jti }
func userRevoked(userID int64) string { return "u:" + strconv.FormatInt(userID, 10) }

// notifyRevocation queues the notification in tx. SQLite has no
// notifications: processes sharing a file rely on their cache's TTL
// (docs/operations.md says so).
func (db *DB) notifyRevocation(ctx context.Context, tx *sqlx.Tx, payload string) error {
	if db.driver != DriverPostgres {
		return nil
	}
	_, err := tx.ExecContext(ctx, "SELECT pg_notify($1 || current_schema(), $2)", channelPrefix, payload)
	return err
}

// Notifies reports whether the engine tells other processes about
// revocations (WatchRevocations has something to watch).
func (db *DB) Notifies() bool { return db.driver == DriverPostgres }

// RevocationSink is told what to forget.
type RevocationSink interface {
	// ForgetToken drops what is cached about token jti.
	ForgetToken(jti string)
	// ForgetUser drops what is cached about every token of userID.
	ForgetUser(userID int64)
	// ForgetAll drops everything: notifications may have been missed.
	ForgetAll()
}

// WatchOptions tune WatchRevocations; zero values take the defaults in
// brackets.
type WatchOptions struct {
	// MinReconnect and MaxReconnect bound the wait between attempts to
	// get the listening connection back [100ms, 5s].
	MinReconnect, MaxReconnect time.Duration
	// PingEvery is how often an idle connection is checked [5s]: a
	// connection that died without a word is noticed within about this
	// long, and the sink flushed.
	PingEvery time.Duration
	// DialTimeout bounds each connection attempt [5s].
	DialTimeout time.Duration
	// OnConnected, if set, is called each time the connection listens
	// (first time and after every reconnect), after the sink was flushed.
	OnConnected func()
}

// WatchRevocations keeps a connection of its own to PostgreSQL (dsn, the
// same database and schema as db) listening for revocations and passes
// each to sink, until ctx is done. When the connection is lost, the sink
// is flushed (what was missed cannot be known) and the connection
// re-established with backoff; once it listens again the sink is flushed
// once more, for what happened while it was down. In between, the
// caller's cache TTL is the bound on how long a revocation can go
// unnoticed.
//
// It returns when ctx is done, or at once with an error when db is not
// PostgreSQL or the channel cannot be named (the database is down: the
// caller retries).
func (db *DB) WatchRevocations(ctx context.Context, dsn string, sink RevocationSink, opts WatchOptions, logger *slog.Logger) error {
	if !db.Notifies() {
		return errors.New("store: this engine has no notifications")
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&opts.MinReconnect, 100*time.Millisecond)
	def(&opts.MaxReconnect, 5*time.Second)
	def(&opts.PingEvery, 5*time.Second)
	def(&opts.DialTimeout, 5*time.Second)

	var schema string
	if err := db.x.GetContext(ctx, &schema, "SELECT current_schema()"); err != nil {
		return classify(err)
	}
	channel := channelPrefix + schema

	events := make(chan pq.ListenerEventType, 16)
	l := pq.NewDialListener(dialer{timeout: opts.DialTimeout}, dsn, opts.MinReconnect, opts.MaxReconnect,
		func(ev pq.ListenerEventType, err error) {
			switch ev {
			case pq.ListenerEventDisconnected:
				logger.Warn("revocation notifications lost; cached validations flushed, reconnecting", "err", err)
			case pq.ListenerEventConnectionAttemptFailed:
				logger.Debug("revocation notifications: reconnect failed", "err", err)
			}
			select {
			case events <- ev:
			default: // the loop below is behind; it flushes anyway
			}
		})
	defer l.Close()
	// Listen blocks until the first connection is made; it runs aside
	// so that ctx can still end the watch while the database is away.
	listening := make(chan error, 1)
	go func() { listening <- l.Listen(channel) }()

	ping := time.NewTicker(opts.PingEvery)
	defer ping.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case err := <-listening:
			if err != nil {
				return err
			}
			logger.Info("listening for revocations", "channel", channel)
			sink.ForgetAll()
			if opts.OnConnected != nil {
				opts.OnConnected()
			}
		case ev := <-events:
			switch ev {
			case pq.ListenerEventDisconnected:
				sink.ForgetAll()
			case pq.ListenerEventReconnected:
				// pq has listened again on the channel before this event.
				logger.Info("revocation notifications back; cached validations flushed", "channel", channel)
				sink.ForgetAll()
				if opts.OnConnected != nil {
					opts.OnConnected()
				}
			}
		case n := <-l.Notify:
			if n == nil { // sent after a reconnect: handled by its event
				continue
			}
			apply(sink, n.Extra)
		case <-ping.C:
			// A failed ping makes the listener drop the connection, which
			// the events above report.
			_ = l.Ping()
		}
	}
}

// apply passes one payload to sink. An unknown payload flushes everything:
// forgetting too much costs a validation, forgetting too little lets a
// revoked token through.
func apply(sink RevocationSink, payload string) {
	kind, subject, _ := strings.Cut(payload, ":")
	switch kind {
	case "t":
		sink.ForgetToken(subject)
		return
	case "u":
		if id, err := strconv.ParseInt(subject, 10, 64); err == nil {
			sink.ForgetUser(id)
			return
		}
	}
	sink.ForgetAll()
}

// dialer bounds each listener connection attempt.
type dialer struct{ timeout time.Duration }

func (d dialer) Dial(network, address string) (net.Conn, error) {
	return net.DialTimeout(network, address, d.timeout)
}

func (d dialer) DialTimeout(network, address string, timeout time.Duration) (net.Conn, error) {
	return net.DialTimeout(network, address, min(timeout, d.timeout))
}
