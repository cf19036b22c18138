package store

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/lib/pq"
)

// guardedConnector opens lib/pq connections that never hang: the opening
// itself (TCP dial, TLS, PostgreSQL's start-up exchange) is bounded, and
// on an open connection socket reads and writes are cut short when the
// calling context ends.
//
// lib/pq answers a cancelled context only by sending PostgreSQL a cancel
// request and waiting for the reply to the query: a server that is hung,
// or a network that drops every packet, never sends one, so the call (and
// the HTTP request above it) would hang far past its deadline. Here a
// context that ends sets a past deadline on the connection's socket, so a
// blocked read fails at once and the pool discards the connection.
type guardedConnector struct {
	dsn string
	// timeout bounds each connection attempt, on top of the caller's
	// context. It matters most for the connections database/sql opens in
	// the background for queued requests: their context never ends, so
	// without it a server that accepts TCP and never answers would hold
	// that pool slot forever. Zero means no bound beyond the context.
	timeout time.Duration
}

func (c guardedConnector) Driver() driver.Driver { return &pq.Driver{} }

// Connect opens one connection within ctx and c.timeout. lib/pq bounds by
// its context only the TCP dial; the TLS and start-up exchange that follow
// would wait for the server forever, so when the bound ends the socket
// gets a past deadline and the blocked read fails at once.
func (c guardedConnector) Connect(ctx context.Context) (driver.Conn, error) {
	pc, err := pq.NewConnector(c.dsn)
	if err != nil {
		return nil, err
	}
	if c.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.timeout)
		defer cancel()
	}
	d := &captureDialer{}
	pc.Dialer(d)
	stop := context.AfterFunc(ctx, d.cut)
	conn, err := pc.Connect(ctx)
	if !stop() {
		// The bound ended: whatever lib/pq made of the cut, the attempt
		// is over, and a connection that made it just in time is not
		// handed out with a socket that may already have a past deadline.
		d.seal()
		if err == nil {
			_ = conn.Close()
			err = errors.New("opened just as the bound ended")
		}
		return nil, fmt.Errorf("pq: connect: %w: %v", context.Cause(ctx), err)
	}
	nc := d.seal()
	if err != nil {
		return nil, err
	}
	if nc == nil { // cannot happen with a TCP or Unix socket; keep lib/pq as is
		return conn, nil
	}
	return &guardedConn{Conn: conn, nc: nc}, nil
}

// captureDialer remembers the socket of the connection being opened, and
// cuts it when the attempt's bound ends. Sockets it dials after seal are
// lib/pq's cancel requests: those get a deadline, so a cancel that a hung
// server never acknowledges does not hold a goroutine forever.
type captureDialer struct {
	mu     sync.Mutex
	last   net.Conn
	sealed bool
	ended  bool // the attempt's bound ended before seal
}

func (d *captureDialer) Dial(network, address string) (net.Conn, error) {
	return d.DialContext(context.Background(), network, address)
}

func (d *captureDialer) DialTimeout(network, address string, timeout time.Duration) (net.Conn, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	return d.DialContext(ctx, network, address)
}

func (d *captureDialer) DialContext(ctx context.Context, network, address string) (net.Conn, error) {
	nc, err := (&net.Dialer{KeepAlive: 30 * time.Second}).DialContext(ctx, network, address)
	if err != nil {
		return nil, err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	switch {
	case d.sealed:
		_ = nc.SetDeadline(time.Now().Add(10 * time.Second))
	case d.ended: // the bound ended while dialing: do not start the exchange
		_ = nc.SetDeadline(time.Unix(1, 0))
	default:
		d.last = nc
	}
	return nc, nil
}

// cut fails the attempt's blocked socket reads and writes at once.
func (d *captureDialer) cut() {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.sealed {
		return
	}
	d.ended = true
	if d.last != nil {
		_ = d.last.SetDeadline(time.Unix(1, 0))
	}
}

func (d *captureDialer) seal() net.Conn {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.sealed = true
	return d.last
}

type guardedConn struct {
	driver.Conn
	nc net.Conn
	// cut is set once a context's end has put a past deadline on the
	// socket. The deadline may land just after the statement finished, so
	// the connection would go back to the pool with a socket that fails
	// the next, unrelated query: a cut connection is never reused.
	cut atomic.Bool
}

// watch cuts the socket short when ctx ends, until the returned stop.
// If the cut has begun by the time stop is called, stop waits for it to
// finish, so that cut is set before database/sql decides whether to pool
// the connection (IsValid) and the past deadline can never surprise a
// later statement.
func (c *guardedConn) watch(ctx context.Context) (stop func() bool) {
	if ctx.Done() == nil {
		return func() bool { return true }
	}
	done := make(chan struct{})
	cancel := context.AfterFunc(ctx, func() {
		defer close(done)
		c.cut.Store(true)
		_ = c.nc.SetDeadline(time.Unix(1, 0))
	})
	return func() bool {
		if cancel() {
			return true
		}
		<-done
		return false
	}
}

func (c *guardedConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	stop := c.watch(ctx)
	rows, err := c.Conn.(driver.QueryerContext).QueryContext(ctx, query, args)
	if err != nil {
		stop()
		return nil, err
	}
	return &guardedRows{Rows: rows, stop: stop}, nil
}

func (c *guardedConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	defer c.watch(ctx)()
	return c.Conn.(driver.ExecerContext).ExecContext(ctx, query, args)
}

func (c *guardedConn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	defer c.watch(ctx)()
	return c.Conn.(driver.ConnPrepareContext).PrepareContext(ctx, query)
}

func (c *guardedConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	stop := c.watch(ctx)
	tx, err := c.Conn.(driver.ConnBeginTx).BeginTx(ctx, opts)
	if err != nil {
		stop()
		return nil, err
	}
	return &guardedTx{Tx: tx, stop: stop}, nil
}

func (c *guardedConn) Ping(ctx context.Context) error {
	defer c.watch(ctx)()
	return c.Conn.(driver.Pinger).Ping(ctx)
}

// ResetSession runs before a pooled connection is reused: a cut one is
// reported bad, so database/sql closes it and opens a fresh one.
func (c *guardedConn) ResetSession(ctx context.Context) error {
	if c.cut.Load() {
		return driver.ErrBadConn
	}
	return c.Conn.(driver.SessionResetter).ResetSession(ctx)
}

// IsValid runs before a connection goes back to the pool.
func (c *guardedConn) IsValid() bool {
	return !c.cut.Load() && c.Conn.(driver.Validator).IsValid()
}

func (c *guardedConn) CheckNamedValue(nv *driver.NamedValue) error {
	return c.Conn.(driver.NamedValueChecker).CheckNamedValue(nv)
}

type guardedRows struct {
	driver.Rows
	stop func() bool
}

func (r *guardedRows) Close() error {
	err := r.Rows.Close()
	r.stop()
	return err
}

type guardedTx struct {
	driver.Tx
	stop func() bool
}

func (t *guardedTx) Commit() error {
	defer t.stop()
	return t.Tx.Commit()
}

func (t *guardedTx) Rollback() error {
	defer t.stop()
	return t.Tx.Rollback()
}
