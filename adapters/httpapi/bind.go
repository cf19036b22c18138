package httpapi

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/url"

	"github.com/gorilla/mux"

	"taskapi"
	"taskapi/handlers"
)

// A binder fills a handler's typed request from an HTTP request: body,
// path, query and the authenticated caller.

func (s *server) bindLogin(r *http.Request, req *handlers.LoginRequest) error {
	if err := decodeJSON(r, req); err != nil {
		return err
	}
	req.ClientIP = clientIP(r, s.TrustedProxyHops)
	return nil
}

func (s *server) bindRegister(r *http.Request, req *handlers.RegisterRequest) error {
	if err := decodeJSON(r, req); err != nil {
		return err
	}
	req.ClientIP = clientIP(r, s.TrustedProxyHops)
	return nil
}

func bindValidate(r *http.Request, req *handlers.ValidateRequest) error {
	token, err := bearerToken(r)
	req.Token = token
	return err
}

func bindLogout(r *http.Request, req *handlers.LogoutRequest) error {
	req.Caller = callerFrom(r.Context())
	return nil
}

func bindMe(r *http.Request, req *handlers.MeRequest) error {
	req.Caller = callerFrom(r.Context())
	return nil
}

func (s *server) bindChangePassword(r *http.Request, req *handlers.ChangePasswordRequest) error {
	if err := decodeJSON(r, req); err != nil {
		return err
	}
	req.Caller = callerFrom(r.Context())
	req.ClientIP = clientIP(r, s.TrustedProxyHops)
	return nil
}

func (s *server) bindDeleteAccount(r *http.Request, req *handlers.DeleteAccountRequest) error {
	if err := decodeJSON(r, req); err != nil {
		return err
	}
	req.Caller = callerFrom(r.Context())
	req.ClientIP = clientIP(r, s.TrustedProxyHops)
	return nil
}

func bindHealth(r *http.Request, req *handlers.HealthRequest) error {
	q := r.URL.Query()
	req.Deep = q.Get("deep") == "1" || q.Get("deep") == "true"
	return nil
}

func bindCreateTask(r *http.Request, req *handlers.CreateTaskRequest) error {
	if err := decodeJSON(r, req); err != nil {
		return err
	}
	req.Caller = callerFrom(r.Context())
	switch keys := r.Header.Values(IdempotencyKeyHeader); len(keys) {
	case 0:
	case 1:
		req.IdempotencyKey = &keys[0]
		req.RequestHash = requestHash(req)
	default:
		return taskapi.Invalid(taskapi.FieldError{Field: IdempotencyKeyHeader, Message: "Send one Idempotency-Key header"})
	}
	return nil
}

// requestHash is the hex SHA-256 of the request as decoded, re-encoded:
// two bodies that mean the same (spacing, key order, escapes) hash alike.
func requestHash(req any) string {
	js, _ := json.Marshal(req) // a decoded request always encodes
	sum := sha256.Sum256(js)
	return hex.EncodeToString(sum[:])
}

// listParameters are the query parameters of GET /tasks.
var listParameters = []string{"status", "priority", "sort", "order", "limit", "offset", "cursor", "q"}

func bindListTasks(r *http.Request, req *handlers.ListTasksRequest) error {
	// URL.Query drops a pair it cannot decode (q=%zz) and Get keeps the
	// first of a repeated one, where a proxy or a cache in front may keep
	// the last: two readings of one request. Both are refused instead.
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return taskapi.Invalid(taskapi.FieldError{Field: "query", Message: "The query string is not valid percent-encoding"})
	}
	var repeated []taskapi.FieldError
	for _, name := range listParameters {
		if len(q[name]) > 1 {
			repeated = append(repeated, taskapi.FieldError{Field: name, Message: "Give " + name + " once"})
		}
	}
	if len(repeated) > 0 {
		return taskapi.Invalid(repeated...)
	}
	*req = handlers.ListTasksRequest{
		Caller:   callerFrom(r.Context()),
		Status:   q.Get("status"),
		Priority: q.Get("priority"),
		Sort:     q.Get("sort"),
		Order:    q.Get("order"),
		Limit:    q.Get("limit"),
		Offset:   q.Get("offset"),
		Cursor:   q.Get("cursor"),
		Q:        q.Get("q"),
	}
	return nil
}

func bindTask(r *http.Request, req *handlers.TaskRequest) error {
	req.Caller = callerFrom(r.Context())
	req.ID = mux.Vars(r)["id"]
	req.IfMatch = r.Header.Get("If-Match")
	return nil
}

func bindUpdateTask(r *http.Request, req *handlers.UpdateTaskRequest) error {
	if err := decodeJSON(r, req); err != nil {
		return err
	}
	req.Caller = callerFrom(r.Context())
	req.ID = mux.Vars(r)["id"]
	req.IfMatch = r.Header.Get("If-Match")
	return nil
}
