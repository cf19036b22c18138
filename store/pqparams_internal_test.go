package store

import "testing"

func TestWithBinaryParameters(t *testing.T) {
	for in, want := range map[string]string{
		"postgres://u:p%40ss@127.0.0.1:5432/db?sslmode=disable":   "postgres://u:p%40ss@127.0.0.1:5432/db?binary_parameters=yes&sslmode=disable",
		"postgresql://u@localhost/db":                             "postgresql://u@localhost/db?binary_parameters=yes",
		"host=db port=5432 user=u password='a b' sslmode=require": "host=db port=5432 user=u password='a b' sslmode=require binary_parameters=yes",
		// An operator's explicit choice stands.
		"postgres://u@h/db?binary_parameters=no": "postgres://u@h/db?binary_parameters=no",
		"host=db binary_parameters=no":           "host=db binary_parameters=no",
	} {
		if got := withBinaryParameters(in); got != want {
			t.Errorf("withBinaryParameters(%q) = %q, want %q", in, got, want)
		}
	}
}
