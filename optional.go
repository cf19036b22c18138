package taskapi

import "encoding/json"

// Optional is a value of a partial update that tells "absent" from "null"
// from a value: Set says the field was named (the JSON key was present),
// and a nil Value then means null, "clear it". A request decodes into it
// and a TaskPatch carries it to the store, so both speak of one type.
type Optional[T any] struct {
	Set   bool
	Value *T
}

// Some returns an Optional holding v.
func Some[T any](v T) Optional[T] { return Optional[T]{Set: true, Value: &v} }

// Null returns an Optional that clears its field.
func Null[T any]() Optional[T] { return Optional[T]{Set: true} }

// UnmarshalJSON records that the field was present. encoding/json calls it
// for a null too, which is what lets a client clear a value.
func (o *Optional[T]) UnmarshalJSON(b []byte) error {
	// Start afresh: with a repeated key the last one wins, as for any other
	// field, even after an earlier null.
	*o = Optional[T]{Set: true}
	if string(b) == "null" {
		return nil
	}
	var v T
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	o.Value = &v
	return nil
}

// Elem returns a pointer to a new zero T, what the field's JSON decodes
// into when it is not null: code that handles fields generically (the
// HTTP adapter naming the JSON type a field expects) learns T from it
// without knowing Optional.
func (Optional[T]) Elem() any { return new(T) }
