package httpapi

import (
	"net/http"

	"github.com/gorilla/mux"

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

func bindChangePassword(r *http.Request, req *handlers.ChangePasswordRequest) error {
	if err := decodeJSON(r, req); err != nil {
		return err
	}
	req.Caller = callerFrom(r.Context())
	return nil
}

func bindDeleteAccount(r *http.Request, req *handlers.DeleteAccountRequest) error {
	if err := decodeJSON(r, req); err != nil {
		return err
	}
	req.Caller = callerFrom(r.Context())
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
	return nil
}

func bindListTasks(r *http.Request, req *handlers.ListTasksRequest) error {
	q := r.URL.Query()
	*req = handlers.ListTasksRequest{
		Caller:   callerFrom(r.Context()),
		Status:   q.Get("status"),
		Priority: q.Get("priority"),
		Sort:     q.Get("sort"),
		Order:    q.Get("order"),
		Limit:    q.Get("limit"),
		Offset:   q.Get("offset"),
		Cursor:   q.Get("cursor"),
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
