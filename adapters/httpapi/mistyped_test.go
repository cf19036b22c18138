package httpapi

import (
	"errors"
	"net/http/httptest"
	"strings"
	"testing"

	"taskapi"
	"taskapi/handlers"
)

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
