package store

import (
	"strconv"
	"strings"
)

// unindexedUser is "user_id = ?" in a form that neither engine reads from
// an index: a unary + in SQLite, an addition in PostgreSQL.
var unindexedUser = map[string]string{DriverSQLite: "+user_id = ?", DriverPostgres: "user_id + 0 = ?"}

// searchCond is the WHERE condition, with its arguments, that keeps the
// tasks of user holding every one of words in their title or
// description (migrations 00009). Both engines answer it from a text
// index that holds each task's owner beside its words, so the index
// yields only user's matching tasks: the cost of a search follows how
// many of them match, whatever user or anyone else holds. A word that
// every task holds therefore costs in proportion to the user's tasks,
// which the task quota bounds; ListTasks then also sorts the matches
// when the page is not read in index order.
func (db *DB) searchCond(user int64, words []string) (string, []any) {
	if db.driver == DriverPostgres {
		// plainto_tsquery ANDs the words and lower-cases them as
		// to_tsvector did the task's text; the owner lexeme cannot be
		// written by a word (it holds a space), so it goes in as a
		// quoted tsquery literal.
		return "search_vector @@ (plainto_tsquery('simple', ?) && ?::tsquery)",
			[]any{strings.Join(words, " "), "'user " + strconv.FormatInt(user, 10) + "'"}
	}
	// Each word is a quoted FTS5 string (a word holds only letters,
	// digits and marks, never a quote), restricted to the text columns;
	// the owner is a token of the user_id column.
	var match strings.Builder
	match.WriteString(`user_id : "` + strconv.FormatInt(user, 10) + `"`)
	for _, w := range words {
		match.WriteString(` AND {title description} : "` + w + `"`)
	}
	return "id IN (SELECT rowid FROM tasks_fts WHERE tasks_fts MATCH ?)", []any{match.String()}
}
