package taskapi

import (
	"strings"
	"unicode"
)

// MaxSearchLen bounds a text search, in characters. With at most this many
// characters a search names at most about fifty words, each one index
// lookup, so a long query cannot make a search expensive.
const MaxSearchLen = 100

// SearchWords splits a text search into the words it looks for: runs of
// letters, digits and combining marks, lower-cased. Everything else
// (spaces, punctuation, symbols) separates words, the same way the
// stores split a task's title and description, so "milk," in a search
// and "(milk)" in a title are the same word. A search with no word finds
// nothing, and callers reject it.
func SearchWords(q string) []string {
	words := strings.FieldsFunc(q, func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r) && !unicode.IsMark(r)
	})
	for i, w := range words {
		words[i] = strings.ToLower(w)
	}
	return words
}
