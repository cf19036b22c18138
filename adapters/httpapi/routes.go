package httpapi

import "net/http"

// routes is the one route table of the API, shared by every transport.
func (s *server) routes() {
	r := s.router
	// No path cleaning: gorilla would answer //tasks with a 301 to /tasks,
	// which clients follow as a GET, quietly turning a create into a list.
	// An unclean path is simply not found.
	r.SkipClean(true)
	r.NotFoundHandler = http.HandlerFunc(s.notFound)
	r.MethodNotAllowedHandler = http.HandlerFunc(s.methodNotAllowed)

	if s.Auth != nil {
		r.Handle("/auth/register", endpoint(s, http.StatusCreated, s.bindRegister, s.Auth.Register)).Methods(http.MethodPost)
		r.Handle("/auth/login", endpoint(s, http.StatusOK, s.bindLogin, s.Auth.Login)).Methods(http.MethodPost)
		r.Handle("/auth/validate", endpoint(s, http.StatusOK, bindValidate, s.Auth.Validate)).Methods(http.MethodPost)
		r.Handle("/auth/health", endpoint(s, http.StatusOK, bindHealth, s.AuthHealth.Check)).Methods(http.MethodGet, http.MethodHead)
		if s.Account != nil {
			r.Handle("/auth/logout", s.authenticated(endpoint(s, http.StatusOK, bindLogout, s.Account.Logout))).Methods(http.MethodPost)
			r.Handle("/auth/me", s.authenticated(endpoint(s, http.StatusOK, bindMe, s.Account.Me))).Methods(http.MethodGet)
			r.Handle("/auth/me", s.authenticated(endpoint(s, http.StatusOK, bindDeleteAccount, s.Account.DeleteMe))).Methods(http.MethodDelete)
			r.Handle("/auth/password", s.authenticated(endpoint(s, http.StatusOK, bindChangePassword, s.Account.ChangePassword))).Methods(http.MethodPut)
		}
	}
	if s.Tasks != nil {
		r.Handle("/tasks/health", endpoint(s, http.StatusOK, bindHealth, s.TaskHealth.Check)).Methods(http.MethodGet, http.MethodHead)
		r.Handle("/tasks", s.authenticated(endpoint(s, http.StatusCreated, bindCreateTask, s.Tasks.Create))).Methods(http.MethodPost)
		r.Handle("/tasks", s.authenticated(endpoint(s, http.StatusOK, bindListTasks, s.Tasks.List))).Methods(http.MethodGet, http.MethodHead)
		r.Handle("/tasks/{id}", s.authenticated(endpoint(s, http.StatusOK, bindTask, s.Tasks.Get))).Methods(http.MethodGet, http.MethodHead)
		r.Handle("/tasks/{id}", s.authenticated(endpoint(s, http.StatusOK, bindUpdateTask, s.Tasks.Update))).Methods(http.MethodPut)
		r.Handle("/tasks/{id}", s.authenticated(endpoint(s, http.StatusOK, bindTask, s.Tasks.Delete))).Methods(http.MethodDelete)
	}
	// The web app's files, each at its exact path (never a prefix, so no
	// API path can fall into the app). They are public, like any page.
	if s.Site != nil {
		for _, p := range s.Site.Paths() {
			r.Handle(p, s.Site).Methods(http.MethodGet, http.MethodHead)
		}
	}
	// /health answers for whichever services this process runs.
	if s.Health != nil {
		r.Handle("/health", endpoint(s, http.StatusOK, bindHealth, s.Health.Check)).Methods(http.MethodGet, http.MethodHead)
	}
	s.referenceRoutes()
}
