package taskapi

import (
	"errors"
	"fmt"
	"time"
)

// Error codes. Each transport maps a code to its own status (the HTTP
// adapter's table is in adapters/httpapi/errors.go); the domain never names
// a transport's status.
const (
	ECONFLICT      = "conflict"      // a unique value is taken
	EFORBIDDEN     = "forbidden"     // the caller may not touch the resource
	EINTERNAL      = "internal"      // a bug or an unclassified failure
	EINVALID       = "invalid"       // the input breaks a rule
	ENOTFOUND      = "not_found"     // no such resource
	ETOOLARGE      = "too_large"     // the request body is over the limit
	EUNAUTHORIZED  = "unauthorized"  // no valid credentials
	EUNAVAILABLE   = "unavailable"   // a dependency (database, auth service) is down
	ESTORAGE       = "storage"       // the database has no room left to write
	EUNSUPPORTED   = "unsupported"   // a media type the API does not speak
	EMETHOD        = "method"        // the route exists but not for this method
	ETOOMANY       = "too_many"      // the caller is over a rate limit
	EPRECONDITION  = "precondition"  // the resource changed since the caller read it
	EUNPROCESSABLE = "unprocessable" // well-formed, but contradicts what was sent before
)

// Error is the error every layer returns when the client deserves to know
// what went wrong. Message is safe to show to the client; Err is the cause,
// kept for the log only.
type Error struct {
	Code    string
	Message string
	Details []FieldError
	Err     error
	// RetryAfter, when set, tells the client how long to wait before trying
	// again (a throttled login, a busy server).
	RetryAfter time.Duration
}

// FieldError names one rule a field of the input broke.
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// Error implements the error interface. The cause is included because this
// string goes to logs; clients only ever see Message.
func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, e.Message, e.Err)
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Message)
}

// Unwrap returns the cause, so errors.Is and errors.As see through an Error.
func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an Error with the given code and a client-safe message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Wrap returns an Error with the given code and client-safe message whose
// cause is err.
func Wrap(err error, code, message string) *Error {
	return &Error{Code: code, Message: message, Err: err}
}

// Invalid returns the validation error for the given field errors.
func Invalid(details ...FieldError) *Error {
	return &Error{Code: EINVALID, Message: "Validation failed", Details: details}
}

// ErrorCode returns the code of the first Error in err's chain, EINTERNAL
// for any other non-nil error and "" for nil.
func ErrorCode(err error) string {
	var e *Error
	if err == nil {
		return ""
	} else if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// Messages shared by more than one layer, so that tests and clients can
// rely on the exact wording of the documented error shapes (docs/api.md).
const (
	MsgInvalidCredentials = "Invalid username or password"
	MsgNoToken            = "No authentication token provided"
	MsgTokenExpired       = "Token has expired"
	MsgInvalidToken       = "Invalid token"
	MsgForbidden          = "You do not have permission to access this resource"
	MsgDatabaseDown       = "Database connection failed"
	MsgAuthDown           = "Authentication service unavailable"
	MsgInternal           = "An unexpected error occurred"
	MsgConflict           = "Username or email already exists"
	MsgBusy               = "The server is busy, try again shortly"
	MsgTaskChanged        = "The task has changed since it was read; fetch it again"
	MsgTooManyLogins      = "Too many failed login attempts, try again later"
	// MsgTooManyRegistrations answers 429 to a client address over the
	// registration limit.
	MsgTooManyRegistrations = "Too many registrations from this address, try again later"
	MsgWrongPassword        = "Current password is incorrect"
	MsgUserNotFound         = "User not found"
	// A value outside a task's set is refused in the same words whether
	// the handlers' rules or the database's CHECK constraint catch it.
	MsgInvalidStatus   = "Status must be one of pending, in_progress, completed"
	MsgInvalidPriority = "Priority must be one of low, medium, high"
	// MsgKeyReused answers a create whose Idempotency-Key was used before
	// with a different request.
	MsgKeyReused = "Idempotency-Key was already used with a different request"
	// MsgKeyInProgress answers a create whose Idempotency-Key another
	// request is still using.
	MsgKeyInProgress = "A request with this Idempotency-Key is in progress; retry shortly"
	// MsgStorageFull answers a write refused because the database is out
	// of space (a full disk); the write left nothing behind.
	MsgStorageFull = "The database is out of storage space; nothing was saved, try again later"
	// MsgOutcomeUnknown answers a create or update whose commit was sent
	// but whose answer was lost with the connection: it may or may not
	// have been saved, and only the client can retry safely.
	MsgOutcomeUnknown = "The outcome is unknown: the database connection was lost while the change was being committed. " +
		"A retry with the same Idempotency-Key is safe (an update: with If-Match); check before retrying anything else"
	// MsgDatabaseFull is the deep health check's answer while writes find
	// the database out of space.
	MsgDatabaseFull = "Database storage is full"
	// MsgTooManyKeys refuses a keyed create to a user who holds as many
	// remembered Idempotency-Keys as allowed; a create without a key is
	// not affected.
	MsgTooManyKeys = "Too many Idempotency-Keys in use; retry later, or create without an Idempotency-Key"
	// MsgAccountDeleted confirms DELETE /auth/me.
	MsgAccountDeleted = "Account deleted successfully"
)

// TaskNotFound returns the 404 error for a task id, "Task with id N not
// found", as docs/api.md shows it.
func TaskNotFound(id int64) *Error {
	return Errorf(ENOTFOUND, "Task with id %d not found", id)
}

// TaskQuotaReached refuses a new task to a user who already holds limit.
func TaskQuotaReached(limit int) *Error {
	return Errorf(EFORBIDDEN, "Task limit of %d reached; delete tasks to add more", limit)
}
