package httpapi

import (
	"encoding/json"
	"reflect"
	"slices"
	"strings"

	"taskapi"
)

// unknownFields names every top-level key of the JSON object body that is
// not a field of the struct v points to, sorted, each with the fields the
// request does have. Keys are matched without regard to case, as
// encoding/json matches them: a key the decoder applies is never unknown.
func unknownFields(body []byte, v any) []taskapi.FieldError {
	var raw map[string]json.RawMessage
	if json.Unmarshal(body, &raw) != nil {
		return nil
	}
	known := jsonFieldNames(reflect.TypeOf(v).Elem())
	var out []taskapi.FieldError
	for key := range raw {
		if !slices.ContainsFunc(known, func(name string) bool { return strings.EqualFold(name, key) }) {
			out = append(out, taskapi.FieldError{Field: key, Message: "Unknown field; the fields are " + strings.Join(known, ", ")})
		}
	}
	slices.SortFunc(out, func(a, b taskapi.FieldError) int { return strings.Compare(a.Field, b.Field) })
	return out
}

// jsonFieldNames lists the JSON names of a struct's fields in declaration
// order, leaving out those the body never sets (json:"-").
func jsonFieldNames(t reflect.Type) []string {
	var names []string
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		switch name {
		case "-":
			continue
		case "":
			name = f.Name
		}
		names = append(names, name)
	}
	return names
}
