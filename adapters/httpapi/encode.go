package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"reflect"
	"slices"
	"strings"

	"taskapi"
)

// endpoint adapts a pure handler to HTTP: bind the typed request, call the
// handler, encode its answer with status on success or the error's status
// on failure.
func endpoint[Req, Resp any](s *server, status int, bind func(*http.Request, *Req) error, handle func(context.Context, Req) (Resp, error)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req Req
		if err := bind(r, &req); err != nil {
			s.writeError(w, r, err)
			return
		}
		resp, err := handle(r.Context(), req)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		s.encode(w, r, status, resp)
	})
}

// ETagger is a response that names the version of what it carries.
type ETagger interface {
	ETag() string
}

// NextPager is a response that is one page of a list.
type NextPager interface {
	// NextPage is the cursor of the next page, "" on the last one.
	NextPage() string
}

// Replayer is a response that may repeat the answer to an earlier request
// with the same Idempotency-Key.
type Replayer interface {
	IdempotentReplay() bool
}

// Idempotency headers: the client's key on POST /tasks, and the mark on an
// answer that repeats the first answer given for that key.
const (
	IdempotencyKeyHeader = "Idempotency-Key"
	ReplayedHeader       = "Idempotent-Replayed"
)

// encode writes v as the JSON body with the given status, its ETag header
// if it has one, a Link to the next page if it is a page with one, and
// Idempotent-Replayed if it repeats an earlier answer.
func (s *server) encode(w http.ResponseWriter, r *http.Request, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		s.writeError(w, r, fmt.Errorf("encode response: %w", err))
		return
	}
	if e, ok := v.(ETagger); ok {
		w.Header().Set("ETag", e.ETag())
	}
	if p, ok := v.(NextPager); ok && p.NextPage() != "" {
		w.Header().Set("Link", nextLink(r, p.NextPage()))
	}
	if rp, ok := v.(Replayer); ok && rp.IdempotentReplay() {
		w.Header().Set(ReplayedHeader, "true")
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		_, _ = w.Write(append(body, '\n'))
	}
}

// MsgCodedBody is the 415 for a request body sent with a Content-Encoding
// other than identity.
const MsgCodedBody = "Content-Encoding must be identity: send the body uncompressed"

// decodeJSON reads a JSON object body into v. It refuses, each with a
// clear 4xx: a media type other than JSON or a compressed body (415), a body over MaxBodyBytes
// (413), an empty body, anything but an object (null, arrays, scalars),
// malformed JSON, trailing data after the object, bytes that are not UTF-8,
// a key given twice, fields the request does not have and values of the
// wrong JSON type, naming each field.
func decodeJSON(r *http.Request, v any) error {
	// A missing Content-Type is read as JSON (the body must still parse);
	// any other type, or a charset other than UTF-8 (JSON's only encoding,
	// RFC 8259), is refused.
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, params, err := mime.ParseMediaType(ct)
		if cs := params["charset"]; err != nil || mt != "application/json" || (cs != "" && !strings.EqualFold(cs, "utf-8")) {
			return taskapi.Errorf(taskapi.EUNSUPPORTED, "Content-Type must be application/json")
		}
	}
	// A coded body (gzip, br, …) is refused, not read as JSON: the API
	// decodes no request coding, so a gzip body would otherwise be a
	// puzzling "must be a JSON object", and JSON labelled as compressed
	// would be read here as JSON by a server but as something else by a
	// proxy that decodes it (RFC 9110 §8.4 allows the 415).
	for _, v := range r.Header.Values("Content-Encoding") {
		for _, coding := range strings.Split(v, ",") {
			if c := strings.TrimSpace(coding); c != "" && !strings.EqualFold(c, "identity") {
				return taskapi.Errorf(taskapi.EUNSUPPORTED, MsgCodedBody)
			}
		}
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, MaxBodyBytes+1))
	if err != nil {
		return taskapi.Wrap(err, taskapi.EINVALID, "Could not read request body")
	}
	if len(body) > MaxBodyBytes {
		return taskapi.Errorf(taskapi.ETOOLARGE, "Request body must be at most %d bytes", MaxBodyBytes)
	}
	body = bytes.TrimSpace(body)
	switch {
	case len(body) == 0:
		return invalidBody("Request body is required")
	case body[0] != '{':
		return invalidBody("Request body must be a JSON object")
	}
	// Unmarshal, unlike a Decoder, rejects anything after the object.
	err = json.Unmarshal(body, v)
	var syntaxErr *json.SyntaxError
	var typeErr *json.UnmarshalTypeError
	if errors.As(err, &syntaxErr) {
		return invalidBody(fmt.Sprintf("Malformed JSON at byte %d", syntaxErr.Offset))
	}
	if err := checkEncoding(body); err != nil {
		return err
	}
	// Every request schema is closed: a misspelt field ("priorty") is
	// refused by name, rather than silently ignored while its default
	// applies. A key given twice is named too, unless it is unknown
	// anyway (then each spelling of it already is).
	fields := unknownFields(body, v)
	for _, dup := range duplicateKeys(body) {
		if !slices.ContainsFunc(fields, func(f taskapi.FieldError) bool { return strings.EqualFold(f.Field, dup.Field) }) {
			fields = append(fields, dup)
		}
	}
	switch {
	case err == nil && len(fields) == 0:
		return nil
	case err == nil || errors.As(err, &typeErr):
		fields = append(fields, mistypedFields(body, v)...)
	}
	if len(fields) > 0 {
		return taskapi.Invalid(fields...)
	}
	return invalidBody("Request body does not match the expected JSON shape")
}

func invalidBody(message string) error {
	return taskapi.Invalid(taskapi.FieldError{Field: "body", Message: message})
}

// mistypedFields names every top-level field of body whose value does not
// fit its Go type in v, each with the JSON type it should have been.
// encoding/json reports only the first such error, and since Go 1.27 not
// even its field when the value has its own UnmarshalJSON (Optional), so
// the fields are tried one by one instead.
func mistypedFields(body []byte, v any) []taskapi.FieldError {
	var raw map[string]json.RawMessage
	if json.Unmarshal(body, &raw) != nil {
		return nil
	}
	t := reflect.TypeOf(v).Elem()
	var out []taskapi.FieldError
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "" || name == "-" {
			continue
		}
		for key, value := range raw {
			// encoding/json matches keys without regard to case; so must this.
			if strings.EqualFold(key, name) && json.Unmarshal(value, reflect.New(f.Type).Interface()) != nil {
				out = append(out, taskapi.FieldError{Field: name, Message: "must be a JSON " + jsonKind(f.Type)})
				break
			}
		}
	}
	return out
}

// wrapper is a field type whose JSON is that of another value, or null
// (taskapi.Optional): Elem returns a pointer to a new such value.
type wrapper interface{ Elem() any }

// jsonKind names, in JSON's terms, the kind of value a Go type expects.
func jsonKind(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if w, ok := reflect.Zero(t).Interface().(wrapper); ok {
		return jsonKind(reflect.TypeOf(w.Elem()))
	}
	switch t.Kind() {
	case reflect.String:
		return "string"
	case reflect.Int, reflect.Int32, reflect.Int64, reflect.Float64:
		return "number"
	case reflect.Bool:
		return "boolean"
	}
	return "value of another type"
}

// nextLink is the Link header value (RFC 8288) for the page after r's:
// r's query with the cursor set and any offset dropped. The target is a
// query-only reference, which resolves against the URL the client asked
// for (RFC 3986, 5.2.2) whatever prefix a proxy or an API Gateway stage
// put in front of the path that reaches this server.
func nextLink(r *http.Request, cursor string) string {
	q := r.URL.Query()
	q.Del("offset")
	q.Set("cursor", cursor)
	return "<?" + q.Encode() + `>; rel="next"`
}
