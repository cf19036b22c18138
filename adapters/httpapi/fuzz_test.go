package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http/httptest"
	"strings"
	"testing"
	"unicode/utf8"

	"taskapi"
	"taskapi/handlers"
)

// FuzzDecodeJSON feeds arbitrary bodies and Content-Types to the decoder of
// every JSON route. Whatever arrives, decodeJSON must not panic, and it
// either accepts exactly one JSON object or refuses with a *taskapi.Error
// whose status is a 4xx: a client's bytes never cause a 500.
//
// The seeds run in every `go test`; `make fuzz` explores from them.
func FuzzDecodeJSON(f *testing.F) {
	seeds := []struct{ contentType, body string }{
		{"application/json", `{"title":"Buy milk","description":"2 litres","priority":"high","due_date":"2026-12-01"}`},
		{"application/json; charset=utf-8", `{"title":"x","description":null,"due_date":null}`},
		{"", `{"username":"alice","password":"correct horse"}`},
		{"text/plain", `{"title":"x"}`},
		{"application/json; charset", `{}`},
		{"multipart/form-data; boundary=x", `{}`},
		{"application/json", ``},
		{"application/json", `   `},
		{"application/json", `null`},
		{"application/json", `[]`},
		{"application/json", `"title"`},
		{"application/json", `{"title":"x"} {"title":"y"}`},
		{"application/json", `{"title":"x"}garbage`},
		{"application/json", `{"title":"x"`},
		{"application/json", `{"title":1}`},
		{"application/json", `{"status":["pending"]}`},
		{"application/json", `{"due_date":{"$gt":""}}`},
		{"application/json", `{"title":"x","user_id":2,"USER_ID":3,"Title":"y","id":9}`},
		{"application/json", `{"title":"x","title":"y"}`},
		{"application/json", `{"title":"\ud800\u0000"}`},
		{"application/json", "{\"title\":\"\xff\xfe\"}"},
		{"application/json", "\xef\xbb\xbf{\"title\":\"bom\"}"},
		{"application/json", `{"current_password":1e999,"new_password":-0}`},
		{"application/json", `{"a":` + strings.Repeat("[", 5000) + strings.Repeat("]", 5000) + `}`},
		{"application/json", `{"a":` + strings.Repeat("[", 5000)},
	}
	for _, s := range seeds {
		f.Add(s.contentType, []byte(s.body))
	}
	targets := map[string]func() any{
		"CreateTaskRequest":     func() any { return new(handlers.CreateTaskRequest) },
		"UpdateTaskRequest":     func() any { return new(handlers.UpdateTaskRequest) },
		"RegisterRequest":       func() any { return new(handlers.RegisterRequest) },
		"LoginRequest":          func() any { return new(handlers.LoginRequest) },
		"ChangePasswordRequest": func() any { return new(handlers.ChangePasswordRequest) },
	}
	f.Fuzz(func(t *testing.T, contentType string, body []byte) {
		for name, target := range targets {
			r := httptest.NewRequest("POST", "/tasks", bytes.NewReader(body))
			if contentType != "" {
				r.Header.Set("Content-Type", contentType)
			}
			err := decodeJSON(r, target())
			if err == nil {
				trimmed := bytes.TrimSpace(body)
				if !json.Valid(trimmed) || len(trimmed) == 0 || trimmed[0] != '{' {
					t.Fatalf("%s: accepted a body that is not one JSON object: %q", name, body)
				}
				if !utf8.Valid(trimmed) {
					t.Fatalf("%s: accepted a body that is not UTF-8: %q", name, body)
				}
				continue
			}
			var e *taskapi.Error
			if !errors.As(err, &e) {
				t.Fatalf("%s: error %v (%T) is not a *taskapi.Error", name, err, err)
			}
			if status := StatusOf(err); status < 400 || status > 499 {
				t.Fatalf("%s: status %d for a client's body, want a 4xx; error %v", name, status, err)
			}
			if e.Message == "" {
				t.Fatalf("%s: error without a client message: %v", name, err)
			}
		}
	})
}
