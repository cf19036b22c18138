package store

import "strings"

// PostgresDSN builds a lib/pq keyword connection string from its parts.
// Every value is quoted, so passwords with spaces, quotes, backslashes, @
// or / survive intact, and a host may be a Unix socket directory. Empty
// parts are left out, so lib/pq's defaults and PG* environment variables
// apply to them.
func PostgresDSN(host, port, name, user, password, sslmode string) string {
	var b strings.Builder
	for _, kv := range [][2]string{
		{"host", host},
		{"port", port},
		{"dbname", name},
		{"user", user},
		{"password", password},
		{"sslmode", sslmode},
	} {
		if kv[1] == "" {
			continue
		}
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(kv[0])
		b.WriteString("='")
		b.WriteString(dsnQuoter.Replace(kv[1]))
		b.WriteByte('\'')
	}
	return b.String()
}

// dsnQuoter escapes a value for a single-quoted keyword DSN value, where a
// backslash escapes the next character.
var dsnQuoter = strings.NewReplacer(`\`, `\\`, `'`, `\'`)
