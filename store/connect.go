package store

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"database/sql/driver"
	"errors"
	"io"
	"io/fs"
	"net"

	"github.com/lib/pq"
	"github.com/lib/pq/pqerror"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"taskapi"
)

// ConnectCause is the driver's own error behind a failed Ping: what the
// server or the network said (`pq: role "x" does not exist`, `dial tcp
// …: connection refused`), without the client-facing classification.
func ConnectCause(err error) error {
	var te *taskapi.Error
	if errors.As(err, &te) && te.Err != nil {
		return te.Err
	}
	return err
}

// ConnectRetryable reports whether a failed connection attempt (a Ping)
// may succeed later without anyone changing anything: the server cannot
// be reached, is starting or shutting down, or is out of connection
// slots, or the attempt ran out of time. Everything else is permanent and
// waiting only hides it: the server refused the credentials or the role
// (class 28), the database does not exist (3D000), TLS cannot work as
// configured (the server has none, its certificate does not verify, the
// CA file is missing or unreadable), or the SQLite file cannot be opened.
func ConnectRetryable(err error) bool {
	err = ConnectCause(err)
	var (
		pathErr   *fs.PathError
		sqliteErr *sqlite.Error
		netErr    net.Error
	)
	pqErr := pq.As(err)
	switch {
	case badTLS(err), errors.As(err, &pathErr):
		return false
	case pqErr != nil:
		switch pqErr.Code.Class() {
		case pqerror.ClassConnectionException, pqerror.ClassInsufficientResources, pqerror.ClassOperatorIntervention:
			return true // 08, 53 (too many connections), 57 (starting, shutting down)
		}
		return false
	case errors.As(err, &sqliteErr):
		switch sqliteErr.Code() & 0xff {
		case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED:
			return true
		}
		return false
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled),
		errors.Is(err, driver.ErrBadConn), errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF),
		errors.As(err, &netErr):
		return true
	}
	return false
}

// badTLS reports whether err is TLS failing as configured: the server
// has no TLS, answers something else, refuses the handshake, or shows a
// certificate that does not verify.
func badTLS(err error) bool {
	var (
		unknownCA x509.UnknownAuthorityError
		hostname  x509.HostnameError
		invalid   x509.CertificateInvalidError
		verify    *tls.CertificateVerificationError
		header    tls.RecordHeaderError
		alert     tls.AlertError
	)
	return errors.Is(err, pq.ErrSSLNotSupported) || errors.As(err, &unknownCA) || errors.As(err, &hostname) ||
		errors.As(err, &invalid) || errors.As(err, &verify) || errors.As(err, &header) || errors.As(err, &alert)
}
