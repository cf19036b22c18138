package store

import "strings"

// PostgresParams are the parts of a lib/pq keyword connection string.
// Empty parts are left out, so lib/pq's defaults and PG* environment
// variables apply to them.
type PostgresParams struct {
	Host, Port, Name, User, Password string
	// SSLMode is lib/pq's sslmode: disable, require, verify-ca, verify-full.
	SSLMode string
	// SSLRootCert is the CA bundle (a PEM file) that verify-ca and
	// verify-full check the server's certificate against; for RDS, the RDS
	// CA bundle. With sslmode=require an existing file upgrades the check
	// to verify-ca, as in libpq.
	SSLRootCert string
}

// DSN builds the keyword connection string. Every value is quoted, so
// passwords with spaces, quotes, backslashes, @ or / survive intact, and a
// host may be a Unix socket directory.
func (p PostgresParams) DSN() string {
	var b strings.Builder
	for _, kv := range [][2]string{
		{"host", p.Host},
		{"port", p.Port},
		{"dbname", p.Name},
		{"user", p.User},
		{"password", p.Password},
		{"sslmode", p.SSLMode},
		{"sslrootcert", p.SSLRootCert},
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
