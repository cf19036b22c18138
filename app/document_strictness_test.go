package app

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3filter"

	"taskapi/adapters/httpapi/openapi"
)

// documentVerdict validates a request against the document of a server
// running both services, the way a client validating before it sends
// would: nil when the document accepts it.
func documentVerdict(t *testing.T, method, url string, body []byte, headers map[string]string) error {
	t.Helper()
	doc, err := loadContract(openapi.Services{Auth: true, Tasks: true})
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	route, params, err := doc.router.FindRoute(req)
	if err != nil {
		t.Fatalf("%s %s: no documented operation: %v", method, url, err)
	}
	return openapi3filter.ValidateRequest(context.Background(), &openapi3filter.RequestValidationInput{
		Request: req, PathParams: params, Route: route,
		Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc, SkipSettingDefaults: true},
	})
}

// TestTheDocumentRefusesWhatTheServerRefuses: every input the server
// refuses with a 400 for its form (a blank title, a due date in no
// accepted layout, an Idempotency-Key or If-Match of the wrong shape, a
// cursor that cannot be one, an id beyond the column, ...) is sent to the
// real server, which must answer 400, and checked against the document
// with kin-openapi's request validator, which must refuse it too: a
// client that validates against the document is not surprised by these
// 400s. The accepted neighbours of each are accepted by both. What no
// schema can say (a day the month lacks, a cursor's checksum) is listed
// apart: the document accepts it, the server answers 400, and the
// document's prose says so.
func TestTheDocumentRefusesWhatTheServerRefuses(t *testing.T) {
	t.Parallel()
	s := startServer(t, map[string]string{"SQLITE_PATH": filepath.Join(t.TempDir(), "taskapi.db")})
	token, _ := s.register(t, "strict")
	task := s.call(t, "POST", "/tasks", token, map[string]any{"title": "first"}).expect(t, 201, "")
	taskPath := fmt.Sprint("/tasks/", task.Body["task"].(map[string]any)["id"])
	s.call(t, "POST", "/tasks", token, map[string]any{"title": "second"}).expect(t, 201, "")
	page := s.call(t, "GET", "/tasks?limit=1", token, nil).expect(t, 200, "")
	cursor, _ := page.Body["next_cursor"].(string)
	if cursor == "" {
		t.Fatal("no next_cursor on a page of 1 of 2")
	}

	type input struct {
		name, method, path string
		body               any // JSON-encoded unless a string
		headers            map[string]string
	}
	create := func(name string, body any, headers ...string) input {
		h := map[string]string{}
		for i := 0; i+1 < len(headers); i += 2 {
			h[headers[i]] = headers[i+1]
		}
		return input{name, "POST", "/tasks", body, h}
	}
	update := func(name string, body any, ifMatch string) input {
		h := map[string]string{}
		if ifMatch != "" {
			h["If-Match"] = ifMatch
		}
		return input{name, "PUT", taskPath, body, h}
	}
	list := func(name, query string) input { return input{name, "GET", "/tasks?" + query, nil, nil} }
	register := func(name, password string) input {
		return input{name, "POST", "/auth/register", map[string]any{"username": "reg" + fmt.Sprint(len(name)), "email": "r@example.com", "password": password}, nil}
	}

	refused := []input{
		create("empty title", map[string]any{"title": ""}),
		create("blank title", map[string]any{"title": "   "}),
		create("title of Unicode spaces", map[string]any{"title": "\u00a0\u3000\u2003\t"}),
		create("title with NUL", map[string]any{"title": "a\u0000b"}),
		create("title over 200", map[string]any{"title": strings.Repeat("t", 201)}),
		create("description with NUL", map[string]any{"title": "x", "description": "a\u0000"}),
		create("due date in words", map[string]any{"title": "x", "due_date": "tomorrow"}),
		create("due date one-digit month", map[string]any{"title": "x", "due_date": "2026-1-01"}),
		create("due date with a space", map[string]any{"title": "x", "due_date": "2026-01-01 10:00"}),
		create("due date minutes and zone", map[string]any{"title": "x", "due_date": "2026-01-01T10:00Z"}),
		create("due date lower-case t", map[string]any{"title": "x", "due_date": "2026-01-01t10:00:00Z"}),
		create("due date month 13", map[string]any{"title": "x", "due_date": "2026-13-01"}),
		create("due date hour 24", map[string]any{"title": "x", "due_date": "2026-01-01T24:00:00Z"}),
		create("due date year 0", map[string]any{"title": "x", "due_date": "0000-06-01"}),
		create("due date zone +24:00", map[string]any{"title": "x", "due_date": "2026-01-01T10:00:00+24:00"}),
		create("due date zone minute 60", map[string]any{"title": "x", "due_date": "2026-01-01T10:00:00+12:60"}),
		create("due date zone without colon", map[string]any{"title": "x", "due_date": "2026-01-01T10:00:00+0100"}),
		create("Idempotency-Key of 256", map[string]any{"title": "x"}, "Idempotency-Key", strings.Repeat("k", 256)),
		create("Idempotency-Key with a space", map[string]any{"title": "x"}, "Idempotency-Key", "two words"),
		create("Idempotency-Key not ASCII", map[string]any{"title": "x"}, "Idempotency-Key", "clé"),
		update("update blank title", map[string]any{"title": " "}, ""),
		update("update bad due date", map[string]any{"due_date": "31/12/2026"}, ""),
		update("If-Match bare number", map[string]any{"title": "y"}, "1"),
		update("If-Match lone quote", map[string]any{"title": "y"}, `"1`),
		update("If-Match weak without quotes", map[string]any{"title": "y"}, "W/1"),
		update("If-Match two tags without a comma", map[string]any{"title": "y"}, `"1" "2"`),
		update("If-Match star in a list", map[string]any{"title": "y"}, `*, "1"`),
		update("If-Match space inside", map[string]any{"title": "y"}, `"a b"`),
		update("If-Match only commas", map[string]any{"title": "y"}, ", ,"),
		list("cursor too short", "cursor=abc"),
		list("cursor not base64url", "cursor="+strings.Repeat("!", 24)),
		list("cursor of impossible length", "cursor="+strings.Repeat("A", 25)),
		list("cursor with stray bits", "cursor="+strings.Repeat("A", 21)+"B"),
		list("q of punctuation", "q="+"%21%21%21"),
		list("q blank", "q=%20%20"),
		{"id beyond the column", "GET", "/tasks/2147483648", nil, nil},
		register("password with NUL", "password\u0000!"),
		register("password over 72", strings.Repeat("p", 73)),
	}
	accepted := []input{
		create("title with spaces around", map[string]any{"title": "  milk  "}),
		create("title of 200", map[string]any{"title": strings.Repeat("t", 200)}),
		create("due date RFC 3339", map[string]any{"title": "x", "due_date": "2026-12-01T17:00:00Z"}),
		create("due date with offset and fraction", map[string]any{"title": "x", "due_date": "2026-12-01T17:00:00.123456+02:00"}),
		create("due date datetime-local", map[string]any{"title": "x", "due_date": "2026-12-01T17:00"}),
		create("due date with seconds, no zone", map[string]any{"title": "x", "due_date": "2026-12-01T17:00:30"}),
		create("due date day", map[string]any{"title": "x", "due_date": "2026-12-01"}),
		create("due date null", map[string]any{"title": "x", "due_date": nil}),
		create("Idempotency-Key UUID", map[string]any{"title": "x"}, "Idempotency-Key", "5f0c8a9e-2b7d-4c1e-9a3f-6d2e8b1c4a70"),
		create("Idempotency-Key of 255", map[string]any{"title": "x"}, "Idempotency-Key", strings.Repeat("k", 255)),
		update("If-Match star", map[string]any{"title": "y"}, "*"),
		update("If-Match list", map[string]any{"title": "z"}, ` "999" , W/"2", "2" ,`), // the update above made it version 2
		list("a real cursor", "cursor="+cursor),
		list("q", "q=milk"),
		list("q not ASCII", "q=caf%C3%A9"),
		register("password of 72", strings.Repeat("p", 72)),
	}
	beyondASchema := []input{
		create("due date 30 February", map[string]any{"title": "x", "due_date": "2026-02-30"}),
		create("due date pushed into year 0 by its zone", map[string]any{"title": "x", "due_date": "0001-01-01T00:00:00+01:00"}),
		list("cursor with a wrong checksum", "cursor="+altered(cursor)),
		list("q of non-ASCII punctuation", "q=%E2%80%A6"),
		register("password of 72 characters, 144 bytes", strings.Repeat("é", 72)),
	}

	send := func(in input) (status int, docErr error) {
		t.Helper()
		var raw []byte
		switch b := in.body.(type) {
		case nil:
		case string:
			raw = []byte(b)
		default:
			raw, _ = json.Marshal(b)
		}
		req, err := http.NewRequest(in.method, s.URL+in.path, bytes.NewReader(raw))
		if err != nil {
			t.Fatal(err)
		}
		if raw != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		if !strings.HasPrefix(in.path, "/auth/") {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		for k, v := range in.headers {
			req.Header.Set(k, v)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, res.Body)
		res.Body.Close()
		return res.StatusCode, documentVerdict(t, in.method, s.URL+in.path, raw, in.headers)
	}
	for _, in := range refused {
		if status, docErr := send(in); status != 400 || docErr == nil {
			t.Errorf("%s: the server answered %d (want 400); the document %s", in.name, status, verdict(docErr))
		}
	}
	for _, in := range accepted {
		if status, docErr := send(in); status >= 300 || docErr != nil {
			t.Errorf("%s: the server answered %d (want 2xx); the document %s", in.name, status, verdict(docErr))
		}
	}
	for _, in := range beyondASchema {
		if status, docErr := send(in); status != 400 || docErr != nil {
			t.Errorf("%s: the server answered %d (want 400); the document %s (want accepts: no schema says this)", in.name, status, verdict(docErr))
		}
	}
}

func verdict(err error) string {
	if err == nil {
		return "accepts it"
	}
	return "refuses it (" + strings.SplitN(err.Error(), "\n", 2)[0] + ")"
}

// altered is a cursor of the same form with one character changed.
func altered(cursor string) string {
	b := []byte(cursor)
	if b[2] == 'A' {
		b[2] = 'B'
	} else {
		b[2] = 'A'
	}
	return string(b)
}
