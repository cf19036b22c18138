package httpapi

import (
	"bytes"
	"compress/gzip"
	"errors"
	"net/http/httptest"
	"strings"
	"testing"

	"taskapi"
	"taskapi/handlers"
)

// TestAmbiguousJSONIsRefused: a body that two JSON parsers could read
// differently (a key twice, bytes that are not UTF-8, half a surrogate
// pair) is a 400 that says which, never a guess.
func TestAmbiguousJSONIsRefused(t *testing.T) {
	cases := []struct {
		name    string
		body    string
		field   string // "": accepted
		message string
	}{
		{"duplicate key", `{"title":"a","title":"b"}`, "title", "Duplicate key"},
		{"duplicate key in another case", `{"title":"a","Title":"b"}`, "Title", "Duplicate key"},
		{"invalid UTF-8 in a value", "{\"title\":\"caf\xe9\"}", "body", "invalid byte at offset 13"},
		{"invalid UTF-8 in a key", "{\"t\xffitle\":\"a\"}", "body", "invalid byte at offset 3"},
		{"lone high surrogate", `{"title":"a\ud83d"}`, "body", "unpaired surrogate escape at offset 11"},
		{"lone low surrogate", `{"title":"\ude00a"}`, "body", "unpaired surrogate escape at offset 10"},
		{"high surrogate then a plain escape", `{"title":"\ud83d\u0041"}`, "body", "unpaired surrogate"},
		{"surrogate pair", `{"title":"\ud83d\ude00"}`, "", ""},
		{"escaped backslash before u", `{"title":"\\ud83d"}`, "", ""},
		{"UTF-8 text", `{"title":"café ☕ 😀"}`, "", ""},
		{"same key in two objects is not a duplicate", `{"title":"a","description":"title"}`, "", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest("POST", "/", strings.NewReader(tc.body))
			err := decodeJSON(r, new(handlers.CreateTaskRequest))
			if tc.field == "" {
				if err != nil {
					t.Fatalf("refused %s: %v", tc.body, err)
				}
				return
			}
			var e *taskapi.Error
			if !errors.As(err, &e) || StatusOf(err) != 400 || len(e.Details) != 1 {
				t.Fatalf("error = %v, want a 400 with one detail", err)
			}
			if d := e.Details[0]; d.Field != tc.field || !strings.Contains(d.Message, tc.message) {
				t.Fatalf("detail = %+v, want field %q with %q", d, tc.field, tc.message)
			}
		})
	}
}

// TestCodedBodiesAreRefused: a request body with a Content-Encoding other
// than identity is a 415 saying so, whether it really is compressed (not
// "must be a JSON object") or is plain JSON mislabelled (not read as JSON
// here while a decoding proxy reads something else).
func TestCodedBodiesAreRefused(t *testing.T) {
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	_, _ = zw.Write([]byte(`{"title":"a"}`))
	_ = zw.Close()
	cases := []struct {
		name     string
		body     string
		encoding []string
		refused  bool
	}{
		{"gzip body", gz.String(), []string{"gzip"}, true},
		{"plain JSON labelled br", `{"title":"a"}`, []string{"br"}, true},
		{"a coding after identity", `{"title":"a"}`, []string{"identity, gzip"}, true},
		{"a coding in a second header", `{"title":"a"}`, []string{"identity", "GZIP"}, true},
		{"identity", `{"title":"a"}`, []string{" Identity "}, false},
		{"no header", `{"title":"a"}`, nil, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest("POST", "/", strings.NewReader(tc.body))
			r.Header.Set("Content-Type", "application/json")
			for _, v := range tc.encoding {
				r.Header.Add("Content-Encoding", v)
			}
			err := decodeJSON(r, new(handlers.CreateTaskRequest))
			if !tc.refused {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			if StatusOf(err) != 415 || !strings.Contains(err.Error(), MsgCodedBody) {
				t.Fatalf("error = %v (status %d), want 415 %q", err, StatusOf(err), MsgCodedBody)
			}
		})
	}
}

// TestDuplicateKeysAreFoundAtEveryDepth: the walk covers nested objects
// and arrays, so no request shape lets a repeated key through.
func TestDuplicateKeysAreFoundAtEveryDepth(t *testing.T) {
	got := duplicateKeys([]byte(`{"a":[{"b":1,"b":2}],"c":{"d":{"e":1,"E":2}},"f":1}`))
	if len(got) != 2 || got[0].Field != "b" || got[1].Field != "E" {
		t.Fatalf("duplicates = %+v, want b and E", got)
	}
}

// TestDuplicatesAreNamedWithTheOtherFaults: one refusal names a duplicate
// key beside an unknown field, and an unknown key given in two spellings
// only once each, as unknown.
func TestDuplicatesAreNamedWithTheOtherFaults(t *testing.T) {
	r := httptest.NewRequest("POST", "/", strings.NewReader(`{"title":"a","title":"b","user_id":1,"USER_ID":2}`))
	var e *taskapi.Error
	if err := decodeJSON(r, new(handlers.CreateTaskRequest)); !errors.As(err, &e) {
		t.Fatalf("error = %v", err)
	}
	var got []string
	for _, d := range e.Details {
		got = append(got, d.Field+": "+d.Message[:9])
	}
	if want := "USER_ID: Unknown f,user_id: Unknown f,title: Duplicate"; strings.Join(got, ",") != want {
		t.Fatalf("details %v, want %s", got, want)
	}
}
