package store

import (
	"net/url"
	"strings"
)

// withBinaryParameters turns on lib/pq's binary_parameters unless the DSN
// sets it. A query with arguments then costs one round trip to the server
// (Parse, Bind and Execute sent together) instead of two (Parse and
// Describe first, to learn the parameter types, then Bind and Execute):
// on GET /tasks/{id}, a single-row select, that is most of the latency.
// Arguments other than []byte are still sent as text, so results do not
// change; the store passes no []byte arguments.
func withBinaryParameters(dsn string) string {
	if strings.Contains(dsn, "binary_parameters") {
		return dsn
	}
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		u, err := url.Parse(dsn)
		if err != nil {
			return dsn // pq.NewConnector reports it
		}
		q := u.Query()
		q.Set("binary_parameters", "yes")
		u.RawQuery = q.Encode()
		return u.String()
	}
	return strings.TrimSpace(dsn) + " binary_parameters=yes"
}
