package httpapi

import (
	"context"
	"errors"
	"log/slog"
	"math"
	"net/http"
	"strconv"
	"strings"

	"github.com/gorilla/mux"

	"taskapi"
)

// statuses maps each domain error code to its HTTP status. The "error"
// field of the body is the status's standard text ("Not Found"), as
// docs/api.md documents every error.
var statuses = map[string]int{
	taskapi.EINVALID:       http.StatusBadRequest,
	taskapi.EUNAUTHORIZED:  http.StatusUnauthorized,
	taskapi.EFORBIDDEN:     http.StatusForbidden,
	taskapi.ENOTFOUND:      http.StatusNotFound,
	taskapi.EMETHOD:        http.StatusMethodNotAllowed,
	taskapi.ECONFLICT:      http.StatusConflict,
	taskapi.ETOOLARGE:      http.StatusRequestEntityTooLarge,
	taskapi.EUNSUPPORTED:   http.StatusUnsupportedMediaType,
	taskapi.ETOOMANY:       http.StatusTooManyRequests,
	taskapi.EPRECONDITION:  http.StatusPreconditionFailed,
	taskapi.EUNPROCESSABLE: http.StatusUnprocessableEntity,
	taskapi.EINTERNAL:      http.StatusInternalServerError,
	taskapi.EUNAVAILABLE:   http.StatusServiceUnavailable,
	taskapi.ESTORAGE:       http.StatusInsufficientStorage,
}

// StatusClientClosedRequest is recorded for a request whose client went
// away before the answer; nothing is sent.
const StatusClientClosedRequest = 499

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
// failures with their cause and the request id (repeats collapsed, see
// errorLog).
func (s *server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(r.Context().Err(), context.Canceled) {
		// The client hung up: nobody reads an answer, and the failure it
		// caused downstream (a cancelled query) is not the service's. 499,
		// nginx's "client closed request", keeps it out of ErrorCount and
		// the error-rate alarm, and out of the error log.
		s.Logger.LogAttrs(r.Context(), slog.LevelInfo, "client closed request",
			slog.String("request_id", RequestID(r.Context())))
		w.WriteHeader(StatusClientClosedRequest)
		return
	}
	status, body := errorBody(err)
	if status >= 500 {
		s.errors.failed(r.Context(), RequestID(r.Context()), status, err.Error())
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
	// RFC 9110: a 405 lists the methods the resource does support.
	var allowed []string
	for _, m := range []string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodDelete} {
		probe := r.Clone(r.Context())
		probe.Method = m
		var match mux.RouteMatch
		if s.router.Match(probe, &match) && match.MatchErr == nil {
			allowed = append(allowed, m)
		}
	}
	w.Header().Set("Allow", strings.Join(allowed, ", "))
	s.writeError(w, r, taskapi.Errorf(taskapi.EMETHOD, "Method %s is not allowed on %s", r.Method, r.URL.Path))
}
