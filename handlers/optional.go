package handlers

import "encoding/json"

// Optional is a JSON field of a partial update that tells "absent" from
// "null" from a value: Set is false when the key was missing, Null is true
// when it was given as null.
type Optional[T any] struct {
	Set   bool
	Null  bool
	Value T
}

// UnmarshalJSON records that the field was present. encoding/json calls it
// for a null too, which is what lets a client clear a value.
func (o *Optional[T]) UnmarshalJSON(b []byte) error {
	// Start afresh: with a repeated key the last one wins, as for any other
	// field, even after an earlier null.
	*o = Optional[T]{Set: true}
	if string(b) == "null" {
		o.Null = true
		return nil
	}
	return json.Unmarshal(b, &o.Value)
}

// Some returns an Optional holding v, for building requests in code.
func Some[T any](v T) Optional[T] { return Optional[T]{Set: true, Value: v} }

// Null returns an Optional that clears its field.
func Null[T any]() Optional[T] { return Optional[T]{Set: true, Null: true} }
