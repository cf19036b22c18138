package httpapi

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/gorilla/mux"
	"gopkg.in/yaml.v3"

	"taskapi/adapters/httpapi/openapi"
	"taskapi/handlers"
	"taskapi/web"
)

// routeTable builds the route table of a process running the given
// services, as app wires it (the web app's pages only in the all-in-one
// process).
func routeTable(services openapi.Services) *server {
	opts := Options{
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Tokens: rejectAll{},
		Health: handlers.NewHealth("taskapi", nil),
	}
	if services.Auth {
		opts.Auth, opts.Account = &handlers.Auth{}, &handlers.Account{}
		opts.AuthHealth = handlers.NewHealth("auth-service", nil)
	}
	if services.Tasks {
		opts.Tasks = &handlers.Tasks{}
		opts.TaskHealth = handlers.NewHealth("task-service", nil)
	}
	if services.Auth && services.Tasks {
		site, err := web.Load()
		if err != nil {
			panic(err) // embedded at build time
		}
		opts.Site = site
	}
	s := &server{Options: opts, router: mux.NewRouter()}
	s.routes()
	return s
}

// routesOf lists "METHOD /template" for every route of the table.
func routesOf(t *testing.T, s *server) []string {
	t.Helper()
	var out []string
	err := s.router.Walk(func(route *mux.Route, _ *mux.Router, _ []*mux.Route) error {
		path, err := route.GetPathTemplate()
		if err != nil {
			return err
		}
		methods, err := route.GetMethods()
		if err != nil {
			t.Errorf("route %s has no method list: every route must name its methods", path)
		}
		for _, m := range methods {
			out = append(out, m+" "+path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(out)
	return out
}

// loadDocument parses and validates the document a process serves.
func loadDocument(t *testing.T, services openapi.Services) *openapi3.T {
	t.Helper()
	doc, err := Document(services)
	if err != nil {
		t.Fatal(err)
	}
	spec, err := openapi3.NewLoader().LoadFromData(doc.JSON)
	if err != nil {
		t.Fatalf("the served document does not load: %v", err)
	}
	if err := spec.Validate(context.Background()); err != nil {
		t.Fatalf("the served document is not valid OpenAPI: %v", err)
	}
	return spec
}

// operationsOf lists "METHOD /path" for every operation of the document.
func operationsOf(spec *openapi3.T) map[string]*openapi3.Operation {
	out := map[string]*openapi3.Operation{}
	for path, item := range spec.Paths.Map() {
		for method, op := range item.Operations() {
			out[method+" "+path] = op
		}
	}
	return out
}

var serviceSets = map[string]openapi.Services{
	"auth": {Auth: true}, "tasks": {Tasks: true}, "all": {Auth: true, Tasks: true},
}

// TestDocumentCoversTheRouterExactly: every route of the router is in the
// document each service serves, and every operation of that document is a
// route. A route added without its documentation, or documentation left
// behind by a removed route, fails here. The web app's files (pages for
// people, at exact paths, docs/webapp.md) are the one exception, and none
// of them may be a path of the API.
func TestDocumentCoversTheRouterExactly(t *testing.T) {
	site, err := web.Load()
	if err != nil {
		t.Fatal(err)
	}
	for name, services := range serviceSets {
		t.Run(name, func(t *testing.T) {
			spec := loadDocument(t, services)
			pages := 0
			routes := slices.DeleteFunc(routesOf(t, routeTable(services)), func(r string) bool {
				method, path, _ := strings.Cut(r, " ")
				if slices.Contains(site.Paths(), path) && (method == "GET" || method == "HEAD") {
					if spec.Paths.Find(path) != nil {
						t.Errorf("the web app's file %s is at a path of the API", path)
					}
					pages++
					return true
				}
				return false
			})
			if (pages > 0) != (services.Auth && services.Tasks) {
				t.Errorf("%d web app routes in the %s process: only the all-in-one process serves the app", pages, name)
			}
			ops := operationsOf(spec)
			for _, r := range routes {
				if ops[r] == nil {
					t.Errorf("%s is a route but not in the OpenAPI document (adapters/httpapi/openapi/openapi.yaml)", r)
				}
			}
			for op := range ops {
				if !slices.Contains(routes, op) {
					t.Errorf("%s is in the OpenAPI document but not a route", op)
				}
			}
			if len(routes) < 15 {
				t.Fatalf("only %d routes: the walk found less than the table has", len(routes))
			}
		})
	}
}

// TestDocumentedSecurityIsTheRouters: an operation documents the bearer
// token exactly when its route refuses a request without one.
func TestDocumentedSecurityIsTheRouters(t *testing.T) {
	for key, op := range operationsOf(loadDocument(t, serviceSets["all"])) {
		needsToken := op.Security != nil && len(*op.Security) > 0
		if needsToken == publicRoutes[key] {
			t.Errorf("%s: document says token required = %v, the route table says public = %v", key, needsToken, publicRoutes[key])
		}
		if needsToken && op.Responses.Status(http.StatusUnauthorized) == nil && !strings.HasPrefix(key, "HEAD ") {
			t.Errorf("%s needs a token but documents no 401", key)
		}
	}
}

// TestEachServiceServesItsOwnDocument: /openapi.json and /openapi.yaml
// answer with the routes of the services the process runs, and nothing
// else.
func TestEachServiceServesItsOwnDocument(t *testing.T) {
	for name, services := range serviceSets {
		t.Run(name, func(t *testing.T) {
			s := routeTable(services)
			get := func(path string) *httptest.ResponseRecorder {
				rec := httptest.NewRecorder()
				s.router.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
				if rec.Code != 200 {
					t.Fatalf("GET %s = %d %s", path, rec.Code, rec.Body)
				}
				return rec
			}
			js := get("/openapi.json")
			if ct := js.Header().Get("Content-Type"); ct != "application/json" {
				t.Errorf("openapi.json Content-Type = %q", ct)
			}
			spec, err := openapi3.NewLoader().LoadFromData(js.Body.Bytes())
			if err != nil {
				t.Fatal(err)
			}
			var fromYAML map[string]any
			if err := yaml.Unmarshal(get("/openapi.yaml").Body.Bytes(), &fromYAML); err != nil {
				t.Fatalf("openapi.yaml does not parse: %v", err)
			}
			yamlPaths := fromYAML["paths"].(map[string]any)
			for path := range spec.Paths.Map() {
				auth, tasks := strings.HasPrefix(path, "/auth/"), path == "/tasks" || strings.HasPrefix(path, "/tasks/")
				if auth && !services.Auth || tasks && !services.Tasks {
					t.Errorf("%s is in the %s service's document", path, name)
				}
				if yamlPaths[path] == nil {
					t.Errorf("%s is in openapi.json but not in openapi.yaml", path)
				}
			}
			if len(yamlPaths) != spec.Paths.Len() {
				t.Errorf("openapi.yaml has %d paths, openapi.json %d", len(yamlPaths), spec.Paths.Len())
			}
			var tags []string
			for _, tag := range spec.Tags {
				tags = append(tags, tag.Name)
			}
			if want := slices.Contains(tags, "tasks"); want != services.Tasks {
				t.Errorf("tags %v: the tasks tag must be there exactly when the task routes are", tags)
			}
		})
	}
}

// TestDocumentIsBuiltOnceAndCopied: Document builds each service set's
// document once per process and hands out copies. What a caller does to
// the bytes it got changes neither a later Document nor what a server,
// started before or after, serves; and the kept document is the one a
// fresh build gives. Servers started in parallel read it under -race.
func TestDocumentIsBuiltOnceAndCopied(t *testing.T) {
	t.Parallel()
	for name, services := range serviceSets {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			fresh, err := openapi.For(func(path string) bool {
				p, ok := partOf[path]
				return ok && p.servedBy(services)
			})
			if err != nil {
				t.Fatal(err)
			}
			before := routeTable(services)
			got, err := Document(services)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got.JSON, fresh.JSON) || !slices.Equal(got.YAML, fresh.YAML) {
				t.Fatal("Document differs from a fresh build of the same services' document")
			}
			for i := range got.JSON {
				got.JSON[i] = 'x'
			}
			for i := range got.YAML {
				got.YAML[i] = 'x'
			}
			again, err := Document(services)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(again.JSON, fresh.JSON) || !slices.Equal(again.YAML, fresh.YAML) {
				t.Error("a caller's change to the bytes Document returned reached the next Document")
			}
			var servers sync.WaitGroup
			for _, s := range []*server{before, routeTable(services), routeTable(services)} {
				servers.Go(func() {
					for path, want := range map[string][]byte{"/openapi.json": fresh.JSON, "/openapi.yaml": fresh.YAML} {
						rec := httptest.NewRecorder()
						s.router.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
						if !slices.Equal(rec.Body.Bytes(), want) {
							t.Errorf("GET %s after a caller changed its copy: not the document (%d bytes, want %d)", path, rec.Body.Len(), len(want))
						}
					}
				})
			}
			servers.Wait()
		})
	}
}
