package httpapi

import (
	"errors"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"taskapi"
	"taskapi/handlers"
)

// TestUnknownFieldsAreRefusedByName: a misspelt field is a 400 that names
// it and lists the real ones, instead of a default quietly applied.
func TestUnknownFieldsAreRefusedByName(t *testing.T) {
	cases := []struct {
		name   string
		target any
		body   string
		fields []string // nil: accepted
	}{
		{"typo", new(handlers.CreateTaskRequest), `{"title":"x","priorty":"high"}`, []string{"priorty"}},
		{"every unknown field, sorted", new(handlers.CreateTaskRequest), `{"zeta":1,"title":"x","alpha":null}`, []string{"alpha", "zeta"}},
		{"unknown before mistyped", new(handlers.UpdateTaskRequest), `{"title":5,"user_id":2}`, []string{"user_id", "title"}},
		{"a transport-only field is not a body field", new(handlers.LoginRequest), `{"username":"a","password":"b","ClientIP":"1.2.3.4"}`, []string{"ClientIP"}},
		{"known fields in any case", new(handlers.CreateTaskRequest), `{"Title":"x","PRIORITY":"high"}`, nil},
		{"null for a known field", new(handlers.UpdateTaskRequest), `{"description":null,"due_date":null}`, nil},
		{"nested keys are the field's business", new(handlers.ChangePasswordRequest), `{"current_password":"a","new_password":"b"}`, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest("POST", "/", strings.NewReader(tc.body))
			r.Header.Set("Content-Type", "application/json")
			err := decodeJSON(r, tc.target)
			if tc.fields == nil {
				if err != nil {
					t.Fatalf("refused %s: %v", tc.body, err)
				}
				return
			}
			var e *taskapi.Error
			if !errors.As(err, &e) || StatusOf(err) != 400 || e.Message != "Validation failed" {
				t.Fatalf("error = %v, want a 400 Validation failed", err)
			}
			var got []string
			for _, d := range e.Details {
				got = append(got, d.Field)
			}
			if !slices.Equal(got, tc.fields) {
				t.Fatalf("details name %v, want %v (%+v)", got, tc.fields, e.Details)
			}
			if tc.fields[0] == "priorty" && !strings.Contains(e.Details[0].Message, "priority") {
				t.Errorf("message %q does not list the real fields", e.Details[0].Message)
			}
		})
	}
}

// TestMistypedFieldsNameTheJSONType: a value of the wrong JSON type is a
// 400 naming the field and the JSON type it takes, for optional fields of
// a partial update (taskapi.Optional) as for plain ones.
func TestMistypedFieldsNameTheJSONType(t *testing.T) {
	cases := []struct {
		target any
		body   string
		field  string
	}{
		{new(handlers.UpdateTaskRequest), `{"title":5}`, "title"},
		{new(handlers.UpdateTaskRequest), `{"status":true}`, "status"},
		{new(handlers.UpdateTaskRequest), `{"due_date":{}}`, "due_date"},
		{new(handlers.CreateTaskRequest), `{"title":["x"]}`, "title"},
	}
	for _, tc := range cases {
		t.Run(tc.body, func(t *testing.T) {
			r := httptest.NewRequest("PUT", "/", strings.NewReader(tc.body))
			err := decodeJSON(r, tc.target)
			var e *taskapi.Error
			if !errors.As(err, &e) || len(e.Details) != 1 {
				t.Fatalf("error = %v, want one field error", err)
			}
			if d := e.Details[0]; d.Field != tc.field || d.Message != "must be a JSON string" {
				t.Errorf("detail = %+v, want %s: must be a JSON string", d, tc.field)
			}
		})
	}
}
