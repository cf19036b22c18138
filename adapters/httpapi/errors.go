package httpapi

import (
	"errors"
	"log/slog"
	"math"
	"net/http"
	"strconv"

	"taskapi"
)

// statuses maps each domain error code to its HTTP status. The "error"
// field of the body is the status's standard text, as in the design.
var statuses = map[string]int{
	taskapi.EINVALID:      http.StatusBadRequest,
	taskapi.EUNAUTHORIZED: http.StatusUnauthorized,
	taskapi.EFORBIDDEN:    http.StatusForbidden,
	taskapi.ENOTFOUND:     http.StatusNotFound,
	taskapi.EMETHOD:       http.StatusMethodNotAllowed,
	taskapi.ECONFLICT:     http.StatusConflict,
	taskapi.ETOOLARGE:     http.StatusRequestEntityTooLarge,
	taskapi.EUNSUPPORTED:  http.StatusUnsupportedMediaType,
	taskapi.ETOOMANY:      http.StatusTooManyRequests,
	taskapi.EINTERNAL:     http.StatusInternalServerError,
	taskapi.EUNAVAILABLE:  http.StatusServiceUnavailable,
}

// ErrorBody is the JSON shape of every error answer.
type ErrorBody struct {
	Error   string               `json:"error"`
	Message string               `json:"message"`
	Details []taskapi.FieldError `json:"details,omitempty"`
}

// StatusOf returns the HTTP status for err.
func StatusOf(err error) int {
	if status, ok := statuses[taskapi.ErrorCode(err)]; ok {
		return status
	}
	return http.StatusInternalServerError
}

// errorBody builds the client's view of err. An error that is not a
// *taskapi.Error, or is an internal one, says only MsgInternal: its text
// may hold SQL, addresses or other internals meant for the log alone.
func errorBody(err error) (int, ErrorBody) {
	status := StatusOf(err)
	body := ErrorBody{Error: http.StatusText(status), Message: taskapi.MsgInternal}
	var e *taskapi.Error
	if errors.As(err, &e) && status != http.StatusInternalServerError {
		body.Message, body.Details = e.Message, e.Details
	}
	return status, body
}

// writeError answers with err's status and JSON body, and logs server-side
// failures with their cause and the request id.
func (s *server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	status, body := errorBody(err)
	if status >= 500 {
		s.Logger.LogAttrs(r.Context(), slog.LevelError, "request failed",
			slog.String("request_id", RequestID(r.Context())),
			slog.Int("status", status),
			slog.String("error", err.Error()))
	}
	if status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="taskapi"`)
	}
	var e *taskapi.Error
	if errors.As(err, &e) && e.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(e.RetryAfter.Seconds()))))
	}
	s.encode(w, r, status, body)
}

func (s *server) notFound(w http.ResponseWriter, r *http.Request) {
	s.writeError(w, r, taskapi.Errorf(taskapi.ENOTFOUND, "No route for %s %s", r.Method, r.URL.Path))
}

func (s *server) methodNotAllowed(w http.ResponseWriter, r *http.Request) {
	s.writeError(w, r, taskapi.Errorf(taskapi.EMETHOD, "Method %s is not allowed on %s", r.Method, r.URL.Path))
}
