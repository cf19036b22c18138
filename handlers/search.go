package handlers

import (
	"strconv"
	"strings"
	"unicode/utf8"

	"taskapi"
)

// The answers to a text search (the q parameter) that cannot run.
const (
	MsgSearchBlank   = "q must not be blank; leave it out to list every task"
	MsgSearchNoWord  = "q must hold at least one word (letters or digits)"
	MsgSearchUTF8    = "q must be valid UTF-8"
	msgSearchTooLong = "q must be at most %d characters"
)

// MsgSearchTooLong says how long a search may be.
var MsgSearchTooLong = strings.Replace(msgSearchTooLong, "%d", strconv.Itoa(taskapi.MaxSearchLen), 1)

// parseSearch returns the words of the text search q, nil when q is
// empty (no search), adding to fe what is wrong with it.
func parseSearch(fe *fieldErrors, q string) []string {
	if q == "" {
		return nil
	}
	switch {
	case !utf8.ValidString(q):
		fe.add("q", MsgSearchUTF8)
	case utf8.RuneCountInString(q) > taskapi.MaxSearchLen:
		fe.add("q", MsgSearchTooLong)
	case strings.TrimSpace(q) == "":
		fe.add("q", MsgSearchBlank)
	default:
		words := taskapi.SearchWords(q)
		if len(words) == 0 {
			fe.add("q", MsgSearchNoWord)
		}
		return words
	}
	return nil
}
