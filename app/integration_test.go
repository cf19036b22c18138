package app

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestFullFlow(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, dbEnv map[string]string) {
		s := startServer(t, dbEnv)

		reg := s.call(t, "POST", "/auth/register", "", map[string]string{
			"username": "alice", "email": "alice@example.com", "password": "correct horse battery",
		}).expect(t, 201, "")
		user := reg.Body["user"].(map[string]any)
		if reg.Body["message"] != "User registered successfully" || user["username"] != "alice" || user["password_hash"] != nil {
			t.Fatalf("register = %s", reg.Raw)
		}
		if _, err := time.Parse(time.RFC3339, user["created_at"].(string)); err != nil || !strings.HasSuffix(user["created_at"].(string), "Z") {
			t.Errorf("created_at %v is not RFC 3339 UTC", user["created_at"])
		}

		login := s.call(t, "POST", "/auth/login", "", map[string]string{"username": "alice", "password": "correct horse battery"}).expect(t, 200, "")
		if login.Body["message"] != "Login successful" || login.Body["token_type"] != "Bearer" || login.Body["expires_in"] != 3600.0 {
			t.Fatalf("login = %s", login.Raw)
		}
		token := login.Body["token"].(string)

		v := s.call(t, "POST", "/auth/validate", token, nil).expect(t, 200, "")
		if v.Body["valid"] != true || v.Body["user"].(map[string]any)["username"] != "alice" {
			t.Fatalf("validate = %s", v.Raw)
		}

		created := s.call(t, "POST", "/tasks", token, map[string]any{
			"title": "Write report", "description": "Q3", "priority": "high", "due_date": "2026-12-01T17:00",
		}).expect(t, 201, "")
		task := created.Body["task"].(map[string]any)
		if created.Body["message"] != "Task created successfully" || task["status"] != "pending" || task["due_date"] != "2026-12-01T17:00:00Z" {
			t.Fatalf("create = %s", created.Raw)
		}
		id := int(task["id"].(float64))
		path := fmt.Sprintf("/tasks/%d", id)

		list := s.call(t, "GET", "/tasks", token, nil).expect(t, 200, "")
		if list.Body["count"] != 1.0 || list.Body["total"] != 1.0 {
			t.Fatalf("list = %s", list.Raw)
		}
		got := s.call(t, "GET", path, token, nil).expect(t, 200, "")
		if fmt.Sprint(got.Body["task"]) != fmt.Sprint(task) {
			t.Fatalf("get = %v, want %v", got.Body["task"], task)
		}

		// Closed schema: a field the task has but a client may not set is
		// refused by name, and nothing changes.
		smuggled := s.call(t, "PUT", path, token, map[string]any{"status": "completed", "user_id": 999, "id": 5}).expect(t, 400, "Validation failed")
		if fields := smuggled.fields(); !slices.Equal(fields, []string{"id", "user_id"}) {
			t.Fatalf("smuggled owner refused with %s, want details naming id and user_id", smuggled.Raw)
		}
		updated := s.call(t, "PUT", path, token, map[string]any{"status": "completed", "description": nil}).expect(t, 200, "")
		ut := updated.Body["task"].(map[string]any)
		if updated.Body["message"] != "Task updated successfully" || ut["status"] != "completed" || ut["description"] != nil ||
			ut["title"] != "Write report" || ut["id"] != task["id"] || ut["user_id"] != task["user_id"] {
			t.Fatalf("update = %s", updated.Raw)
		}
		if ut["updated_at"].(string) < task["updated_at"].(string) {
			t.Errorf("updated_at went back: %v -> %v", task["updated_at"], ut["updated_at"])
		}

		s.call(t, "DELETE", path, token, nil).expect(t, 200, "")
		s.call(t, "GET", path, token, nil).expect(t, 404, fmt.Sprintf("Task with id %d not found", id))
	})
}

func TestUsersAreIsolated(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, dbEnv map[string]string) {
		s := startServer(t, dbEnv)
		alice, _ := s.register(t, "alice")
		bob, _ := s.register(t, "bob")
		task := s.call(t, "POST", "/tasks", alice, map[string]any{"title": "alice's"}).expect(t, 201, "").Body["task"].(map[string]any)
		path := fmt.Sprintf("/tasks/%v", task["id"])

		if list := s.call(t, "GET", "/tasks", bob, nil).expect(t, 200, ""); list.Body["total"] != 0.0 {
			t.Fatalf("bob sees alice's tasks: %s", list.Raw)
		}
		const forbidden = "You do not have permission to access this resource"
		s.call(t, "GET", path, bob, nil).expect(t, 403, forbidden)
		s.call(t, "PUT", path, bob, map[string]any{"title": "mine now"}).expect(t, 403, forbidden)
		s.call(t, "DELETE", path, bob, nil).expect(t, 403, forbidden)
		if got := s.call(t, "GET", path, alice, nil).expect(t, 200, ""); got.Body["task"].(map[string]any)["title"] != "alice's" {
			t.Fatalf("alice's task changed: %s", got.Raw)
		}
	})
}

func TestListFiltersSortsAndPages(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, dbEnv map[string]string) {
		s := startServer(t, dbEnv)
		token, _ := s.register(t, "alice")
		for _, task := range []map[string]any{
			{"title": "a", "priority": "low", "due_date": "2026-03-01"},
			{"title": "b", "priority": "high", "status": "completed"},
			{"title": "c", "priority": "medium", "due_date": "2026-01-01"},
			{"title": "d", "priority": "high", "due_date": "2026-02-01"},
		} {
			s.call(t, "POST", "/tasks", token, task).expect(t, 201, "")
		}
		titles := func(r response) string {
			var out []string
			for _, task := range r.Body["tasks"].([]any) {
				out = append(out, task.(map[string]any)["title"].(string))
			}
			return strings.Join(out, "")
		}
		cases := map[string]string{
			"/tasks":                             "dcba",
			"/tasks?priority=high":               "db",
			"/tasks?status=completed":            "b",
			"/tasks?sort=priority":               "dbca",
			"/tasks?sort=due_date&order=asc":     "cdab",
			"/tasks?sort=due_date":               "adcb",
			"/tasks?limit=2&offset=1":            "cb",
			"/tasks?sort=created_at&order=asc":   "abcd",
			"/tasks?status=pending&priority=low": "a",
		}
		for path, want := range cases {
			if got := titles(s.call(t, "GET", path, token, nil).expect(t, 200, "")); got != want {
				t.Errorf("GET %s = %q, want %q", path, got, want)
			}
		}
		page := s.call(t, "GET", "/tasks?limit=2&offset=1", token, nil)
		if page.Body["count"] != 2.0 || page.Body["total"] != 4.0 || page.Body["limit"] != 2.0 || page.Body["offset"] != 1.0 {
			t.Errorf("page = %s", page.Raw)
		}
	})
}

func TestErrorPaths(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, dbEnv map[string]string) {
		s := startServer(t, dbEnv)
		token, _ := s.register(t, "alice")
		task := s.call(t, "POST", "/tasks", token, map[string]any{"title": "t"}).expect(t, 201, "").Body["task"].(map[string]any)
		path := fmt.Sprintf("/tasks/%v", task["id"])

		cases := []struct {
			name, method, path, token string
			body                      any
			status                    int
			message                   string
			fields                    []string
		}{
			{"duplicate user", "POST", "/auth/register", "", map[string]string{"username": "ALICE", "email": "x@example.com", "password": "12345678"}, 409, "Username or email already exists", nil},
			{"register rules", "POST", "/auth/register", "", map[string]string{"username": "a", "email": "nope", "password": "short"}, 400, "Validation failed", []string{"username", "email", "password"}},
			{"wrong password", "POST", "/auth/login", "", map[string]string{"username": "alice", "password": "wrong password"}, 401, "Invalid username or password", nil},
			{"unknown user", "POST", "/auth/login", "", map[string]string{"username": "zed", "password": "wrong password"}, 401, "Invalid username or password", nil},
			{"malformed json", "POST", "/tasks", token, `{"title": "x",}`, 400, "Validation failed", []string{"body"}},
			{"null body", "POST", "/tasks", token, `null`, 400, "Validation failed", []string{"body"}},
			{"empty body", "POST", "/tasks", token, ``, 400, "Validation failed", []string{"body"}},
			{"array body", "POST", "/tasks", token, `[{"title":"x"}]`, 400, "Validation failed", []string{"body"}},
			{"trailing data", "POST", "/tasks", token, `{"title":"x"} {"title":"y"}`, 400, "Validation failed", []string{"body"}},
			{"wrong type", "POST", "/tasks", token, `{"title": 5}`, 400, "Validation failed", []string{"title"}},
			{"wrong type on update", "PUT", path, token, `{"due_date": true}`, 400, "Validation failed", []string{"due_date"}},
			{"every wrong type named", "PUT", path, token, `{"title": 5, "status": ["done"], "priority": "high"}`, 400, "Validation failed", []string{"title", "status"}},
			{"misspelt field", "POST", "/tasks", token, `{"title":"x","priorty":"high"}`, 400, "Validation failed", []string{"priorty"}},
			{"unknown and mistyped fields", "PUT", path, token, `{"title":5,"Owner":"bob","done":true}`, 400, "Validation failed", []string{"Owner", "done", "title"}},
			{"unknown field on register", "POST", "/auth/register", "", map[string]string{"username": "bob", "email": "bob@example.com", "password": "12345678", "role": "admin"}, 400, "Validation failed", []string{"role"}},
			{"unknown field on login", "POST", "/auth/login", "", map[string]any{"username": "alice", "password": "correct horse battery", "remember": true}, 400, "Validation failed", []string{"remember"}},
			{"missing title", "POST", "/tasks", token, map[string]any{"description": "x"}, 400, "Validation failed", []string{"title"}},
			{"long title", "POST", "/tasks", token, map[string]any{"title": strings.Repeat("x", 201)}, 400, "Validation failed", []string{"title"}},
			{"NUL in title", "POST", "/tasks", token, `{"title":"a\u0000b"}`, 400, "Validation failed", []string{"title"}},
			{"due date past year 9999 in UTC", "POST", "/tasks", token, map[string]any{"title": "x", "due_date": "9999-12-31T23:59:59-01:00"}, 400, "Validation failed", []string{"due_date"}},
			{"due date in year 0", "PUT", path, token, map[string]any{"due_date": "0000-01-01"}, 400, "Validation failed", []string{"due_date"}},
			{"bad enums", "POST", "/tasks", token, map[string]any{"title": "x", "status": "done", "priority": "asap"}, 400, "Validation failed", []string{"status", "priority"}},
			{"too large", "POST", "/tasks", token, `{"title":"` + strings.Repeat("x", 257<<10) + `"}`, 413, "", nil},
			{"bad id", "GET", "/tasks/abc", token, nil, 400, "Validation failed", []string{"id"}},
			{"huge id", "DELETE", "/tasks/99999999999999999999", token, nil, 400, "Validation failed", []string{"id"}},
			{"missing task", "GET", "/tasks/424242", token, nil, 404, "Task with id 424242 not found", nil},
			{"bad page size", "GET", "/tasks?limit=1000", token, nil, 400, "Validation failed", []string{"limit"}},
			{"no token", "GET", "/tasks", "", nil, 401, "No authentication token provided", nil},
			{"garbage token", "GET", "/tasks", "garbage", nil, 401, "Invalid token", nil},
			{"validate without token", "POST", "/auth/validate", "", nil, 401, "No authentication token provided", nil},
			{"unknown route", "GET", "/nope", "", nil, 404, "", nil},
			{"wrong method", "PATCH", path, token, nil, 405, "", nil},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				r := s.call(t, tc.method, tc.path, tc.token, tc.body).expect(t, tc.status, tc.message)
				if r.Body["error"] != http.StatusText(tc.status) || r.Body["message"] == "" {
					t.Errorf("body = %s, want the JSON error shape", r.Raw)
				}
				if tc.fields != nil && !slices.Equal(r.fields(), tc.fields) {
					t.Errorf("detail fields = %v, want %v (%s)", r.fields(), tc.fields, r.Raw)
				}
				if r.Header.Get("Content-Type") != "application/json" || r.Header.Get("X-Content-Type-Options") != "nosniff" {
					t.Errorf("headers = %v", r.Header)
				}
			})
		}
		// None of the refused writes above wrote anything.
		if list := s.call(t, "GET", "/tasks", token, nil).expect(t, 200, ""); list.Body["total"] != 1.0 {
			t.Errorf("after refused creates the list is %s, want only the first task", list.Raw)
		}
		s.call(t, "POST", "/auth/login", "", map[string]string{"username": "bob", "password": "12345678"}).expect(t, 401, "Invalid username or password")
		r := s.call(t, "POST", "/tasks", token, `{"title":"x"}`, "Content-Type", "text/plain").expect(t, 415, "Content-Type must be application/json")
		_ = r
		if r := s.call(t, "GET", "/tasks", "", nil); r.Header.Get("WWW-Authenticate") == "" {
			t.Error("401 without WWW-Authenticate")
		}
		if strings.Contains(s.Logs.String(), "correct horse battery") {
			t.Error("a password reached the log")
		}
	})
}

func TestExpiredTokenIsRejectedByTasks(t *testing.T) {
	t.Parallel()
	s := startServer(t, map[string]string{"SQLITE_PATH": t.TempDir() + "/db", "JWT_EXPIRATION": "60", "JWT_SECRET": testSecret})
	// A token signed with the server's secret that expired a minute ago.
	token := expiredToken(t, []byte(testSecret))
	s.call(t, "GET", "/tasks", token, nil).expect(t, 401, "Token has expired")
	s.call(t, "POST", "/tasks", token, map[string]any{"title": "x"}).expect(t, 401, "Token has expired")
}

func TestHealthChecks(t *testing.T) {
	t.Parallel()
	s := startServer(t, map[string]string{"SQLITE_PATH": t.TempDir() + "/db"})
	for _, path := range []string{"/health", "/auth/health", "/tasks/health", "/health?deep=1", "/tasks/health?deep=1"} {
		r := s.call(t, "GET", path, "", nil).expect(t, 200, "")
		if r.Body["status"] != "ok" {
			t.Errorf("GET %s = %s", path, r.Raw)
		}
	}
}

func TestRequestIDIsEchoed(t *testing.T) {
	t.Parallel()
	s := startServer(t, map[string]string{"SQLITE_PATH": t.TempDir() + "/db"})
	r := s.call(t, "GET", "/health", "", nil, "X-Request-ID", "abc-123")
	if r.Header.Get("X-Request-ID") != "abc-123" {
		t.Errorf("X-Request-ID = %q", r.Header.Get("X-Request-ID"))
	}
	r = s.call(t, "GET", "/health", "", nil, "X-Request-ID", "bad id\twith spaces")
	if id := r.Header.Get("X-Request-ID"); id == "" || strings.ContainsAny(id, " \t") {
		t.Errorf("an insane request id was echoed: %q", id)
	}
}

// TestSplitDeployment runs the auth service and the task service as two
// servers, as on ECS: the task service validates every token by calling the
// auth service at AUTH_SERVICE_URL.
func TestSplitDeployment(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, dbEnv map[string]string) {
		dbEnv["JWT_SECRET"] = testSecret
		authEnv := map[string]string{"SERVICE": "auth"}
		for k, v := range dbEnv {
			authEnv[k] = v
		}
		auth := startServer(t, authEnv)
		taskEnv := map[string]string{"SERVICE": "task", "AUTH_SERVICE_URL": auth.URL, "AUTH_CACHE_TTL": "0"}
		for k, v := range dbEnv {
			if k != "JWT_SECRET" { // the task service never sees the secret
				taskEnv[k] = v
			}
		}
		tasks := startServer(t, taskEnv)

		token, _ := auth.register(t, "alice")
		tasks.call(t, "POST", "/tasks", token, map[string]any{"title": "split"}, "X-Request-ID", "trace-me-1").expect(t, 201, "")
		tasks.call(t, "GET", "/tasks", "forged", nil).expect(t, 401, "Invalid token")
		tasks.call(t, "GET", "/tasks", "", nil).expect(t, 401, "No authentication token provided")
		// Each service serves only its own routes.
		tasks.call(t, "POST", "/auth/login", "", map[string]string{"username": "alice", "password": "x"}).expect(t, 404, "")
		auth.call(t, "GET", "/tasks", token, nil).expect(t, 404, "")
		for name, srv := range map[string]*testServer{"auth": auth, "task": tasks} {
			if !strings.Contains(srv.Logs.String(), `"request_id":"trace-me-1"`) {
				t.Errorf("the client's request id is not in the %s service's log", name)
			}
		}

		// With the auth service gone, the task service fails closed.
		if err := auth.stop(); err != nil {
			t.Fatal(err)
		}
		tasks.call(t, "GET", "/tasks", token, nil).expect(t, 503, "Authentication service unavailable")
	})
}
