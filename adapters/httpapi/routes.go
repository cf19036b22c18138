package httpapi

import (
	"bytes"
	"net/http"
	"strings"
	"sync"

	"github.com/gorilla/mux"

	"taskapi/adapters/httpapi/openapi"
)

// A route is one row of the API's route table: everything the transport
// knows about a method and path. The router, the service named in logs and
// metrics, the paths of each service's OpenAPI document and the routes
// that give way to bcrypt (CountOthers) are all read from this one table.
type route struct {
	Method string
	Path   string // a gorilla/mux template
	// Part is what a process must run to mount the route, and so the
	// service it belongs to.
	Part part
	// Auth: the route needs a bearer token.
	Auth bool
	// Password: the route checks a password with bcrypt.
	Password bool
	// Status is the status of a successful answer.
	Status int
	// Handler builds the route's handler for a process that mounts it.
	Handler func(s *server, status int) http.Handler
}

// A part is a group of routes that a process mounts together.
type part int

const (
	partProcess part = iota // every process: /health, the contract, the reference
	partAuth                // the auth service (Options.Auth)
	partAccount             // the auth service's account routes (Options.Auth and Options.Account)
	partTasks               // the task service (Options.Tasks)
)

// service is the name the part's routes are logged and measured under;
// "" for the routes of every process, which take the process's own name.
func (p part) service() string {
	switch p {
	case partAuth, partAccount:
		return AuthService
	case partTasks:
		return TaskService
	}
	return ""
}

// mounted reports whether a process with these options serves the part.
func (p part) mounted(o *Options) bool {
	switch p {
	case partAuth:
		return o.Auth != nil
	case partAccount:
		return o.Auth != nil && o.Account != nil
	case partTasks:
		return o.Tasks != nil
	}
	return true
}

// servedBy reports whether a process running the given services serves
// the part (the account routes come with the auth service).
func (p part) servedBy(s openapi.Services) bool {
	switch p {
	case partAuth, partAccount:
		return s.Auth
	case partTasks:
		return s.Tasks
	}
	return true
}

const (
	get  = http.MethodGet
	head = http.MethodHead
	post = http.MethodPost
	put  = http.MethodPut
	del  = http.MethodDelete
)

// table is the API's routes, in the order the router tries them.
var table = []route{
	{post, "/auth/register", partAuth, false, true, http.StatusCreated, func(s *server, st int) http.Handler { return endpoint(s, st, s.bindRegister, s.Auth.Register) }},
	{post, "/auth/login", partAuth, false, true, http.StatusOK, func(s *server, st int) http.Handler { return endpoint(s, st, s.bindLogin, s.Auth.Login) }},
	{post, "/auth/validate", partAuth, false, false, http.StatusOK, func(s *server, st int) http.Handler { return endpoint(s, st, bindValidate, s.Auth.Validate) }},
	{get, "/auth/health", partAuth, false, false, http.StatusOK, func(s *server, st int) http.Handler { return endpoint(s, st, bindHealth, s.AuthHealth.Check) }},
	{head, "/auth/health", partAuth, false, false, http.StatusOK, func(s *server, st int) http.Handler { return endpoint(s, st, bindHealth, s.AuthHealth.Check) }},
	{post, "/auth/logout", partAccount, true, false, http.StatusOK, func(s *server, st int) http.Handler { return endpoint(s, st, bindLogout, s.Account.Logout) }},
	{get, "/auth/me", partAccount, true, false, http.StatusOK, func(s *server, st int) http.Handler { return endpoint(s, st, bindMe, s.Account.Me) }},
	{del, "/auth/me", partAccount, true, true, http.StatusOK, func(s *server, st int) http.Handler { return endpoint(s, st, s.bindDeleteAccount, s.Account.DeleteMe) }},
	{put, "/auth/password", partAccount, true, true, http.StatusOK, func(s *server, st int) http.Handler {
		return endpoint(s, st, s.bindChangePassword, s.Account.ChangePassword)
	}},

	{get, "/tasks/health", partTasks, false, false, http.StatusOK, func(s *server, st int) http.Handler { return endpoint(s, st, bindHealth, s.TaskHealth.Check) }},
	{head, "/tasks/health", partTasks, false, false, http.StatusOK, func(s *server, st int) http.Handler { return endpoint(s, st, bindHealth, s.TaskHealth.Check) }},
	{post, "/tasks", partTasks, true, false, http.StatusCreated, func(s *server, st int) http.Handler { return endpoint(s, st, bindCreateTask, s.Tasks.Create) }},
	// A page of tasks is the one API answer large enough to compress
	// (a 100-task page is tens of kilobytes); it carries no ETag.
	{get, "/tasks", partTasks, true, false, http.StatusOK, func(s *server, st int) http.Handler { return compressed(endpoint(s, st, bindListTasks, s.Tasks.List)) }},
	{head, "/tasks", partTasks, true, false, http.StatusOK, func(s *server, st int) http.Handler { return compressed(endpoint(s, st, bindListTasks, s.Tasks.List)) }},
	{get, "/tasks/{id}", partTasks, true, false, http.StatusOK, func(s *server, st int) http.Handler { return endpoint(s, st, bindTask, s.Tasks.Get) }},
	{head, "/tasks/{id}", partTasks, true, false, http.StatusOK, func(s *server, st int) http.Handler { return endpoint(s, st, bindTask, s.Tasks.Get) }},
	{put, "/tasks/{id}", partTasks, true, false, http.StatusOK, func(s *server, st int) http.Handler { return endpoint(s, st, bindUpdateTask, s.Tasks.Update) }},
	{del, "/tasks/{id}", partTasks, true, false, http.StatusOK, func(s *server, st int) http.Handler { return endpoint(s, st, bindTask, s.Tasks.Delete) }},

	// /health answers for whichever services this process runs.
	{get, "/health", partProcess, false, false, http.StatusOK, func(s *server, st int) http.Handler { return endpoint(s, st, bindHealth, s.Health.Check) }},
	{head, "/health", partProcess, false, false, http.StatusOK, func(s *server, st int) http.Handler { return endpoint(s, st, bindHealth, s.Health.Check) }},
	// The contract (only the routes of the services this process runs)
	// and the interactive reference.
	{get, "/openapi.json", partProcess, false, false, http.StatusOK, (*server).openapiJSON},
	{head, "/openapi.json", partProcess, false, false, http.StatusOK, (*server).openapiJSON},
	{get, "/openapi.yaml", partProcess, false, false, http.StatusOK, (*server).openapiYAML},
	{head, "/openapi.yaml", partProcess, false, false, http.StatusOK, (*server).openapiYAML},
	{get, "/docs", partProcess, false, false, http.StatusOK, docsPage},
	{head, "/docs", partProcess, false, false, http.StatusOK, docsPage},
	{get, "/docs/{asset}", partProcess, false, false, http.StatusOK, docsAssets},
	{head, "/docs/{asset}", partProcess, false, false, http.StatusOK, docsAssets},
}

// Views of the table, each computed once.
var (
	// serviceOf is the service of each path ("" for every process's).
	serviceOf = map[string]string{}
	// partOf is the part each path belongs to.
	partOf = map[string]part{}
	// passwordRoutes are the "METHOD /path" of the routes running bcrypt.
	passwordRoutes = map[string]bool{}
)

func init() {
	for _, rt := range table {
		if p, ok := partOf[rt.Path]; ok && p != rt.Part {
			panic("route table: " + rt.Path + " belongs to two parts") // a broken build; TestRouteTable also says so
		}
		partOf[rt.Path] = rt.Part
		serviceOf[rt.Path] = rt.Part.service()
		if rt.Password {
			passwordRoutes[rt.Method+" "+rt.Path] = true
		}
	}
}

// routes mounts the table's routes that this process serves, then the web
// app's files.
func (s *server) routes() {
	r := s.router
	// No path cleaning: gorilla would answer //tasks with a 301 to /tasks,
	// which clients follow as a GET, quietly turning a create into a list.
	// An unclean path is simply not found.
	r.SkipClean(true)
	r.NotFoundHandler = http.HandlerFunc(s.notFound)
	r.MethodNotAllowedHandler = http.HandlerFunc(s.methodNotAllowed)

	doc, err := Document(openapi.Services{Auth: s.Auth != nil, Tasks: s.Tasks != nil})
	if err != nil {
		// The document is embedded at build time and parsed by the tests:
		// this is a broken build, not a runtime condition.
		panic(err)
	}
	s.doc = doc
	exact := pathSet{}
	for _, rt := range table {
		if rt.Part.mounted(&s.Options) && !strings.Contains(rt.Path, "{") {
			exact[rt.Path] = true
		}
	}
	for _, rt := range table {
		if !rt.Part.mounted(&s.Options) {
			continue
		}
		h := rt.Handler(s, rt.Status)
		if rt.Auth {
			h = s.authenticated(h)
		}
		m := r.Handle(rt.Path, h)
		if strings.Contains(rt.Path, "{") {
			m.MatcherFunc(exact.notCaptured)
		}
		m.Methods(rt.Method)
	}
	// The web app's files, each at its exact path (never a prefix, so no
	// API path can fall into the app). They are public, like any page.
	if s.Site != nil {
		for _, p := range s.Site.Paths() {
			r.Handle(p, s.Site).Methods(http.MethodGet, http.MethodHead)
		}
	}
}

// Document is the OpenAPI document of a process running the given
// services: the paths of the table's routes it serves, and no others.
// Each service set's document is built once per process (it depends only
// on the embedded source and the route table) and every call gets a copy
// of its bytes, which the caller may change without touching the
// document another server serves.
func Document(services openapi.Services) (openapi.Document, error) {
	doc, err := documents[services]()
	if err != nil {
		return openapi.Document{}, err
	}
	return openapi.Document{JSON: bytes.Clone(doc.JSON), YAML: bytes.Clone(doc.YAML)}, nil
}

// documents builds each of the four service sets' documents on first use.
// The map is filled at init and only read afterwards.
var documents = func() map[openapi.Services]func() (openapi.Document, error) {
	m := map[openapi.Services]func() (openapi.Document, error){}
	for _, auth := range []bool{false, true} {
		for _, tasks := range []bool{false, true} {
			services := openapi.Services{Auth: auth, Tasks: tasks}
			m[services] = sync.OnceValues(func() (openapi.Document, error) {
				return openapi.For(func(path string) bool {
					p, ok := partOf[path]
					return ok && p.servedBy(services)
				})
			})
		}
	}
	return m
}()

// A pathSet is the exact paths (without a variable) a process mounts.
type pathSet map[string]bool

// notCaptured keeps a template such as /tasks/{id} from capturing an exact
// path: PUT /tasks/health is a 405 listing the health check's methods, not
// an update of a task called "health". It runs between the path and the
// method matchers, so it must say "method mismatch" itself: mux forgets
// the exact route's mismatch once the template's path has matched.
func (exact pathSet) notCaptured(r *http.Request, m *mux.RouteMatch) bool {
	if exact[r.URL.Path] {
		m.MatchErr = mux.ErrMethodMismatch
		return false
	}
	return true
}

// checksPassword reports whether r is for a route that runs bcrypt.
func checksPassword(r *http.Request) bool {
	return passwordRoutes[r.Method+" "+r.URL.Path]
}
