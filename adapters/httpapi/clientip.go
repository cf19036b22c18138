package httpapi

import (
	"net"
	"net/http"
	"strings"
)

// clientIP is the address of the client as the trusted proxies saw it.
// Behind the ALB (hops = 1) that is the right-most X-Forwarded-For entry:
// the ALB appends the address it accepted the connection from, while every
// entry to its left came from the client and may be forged. With no such
// entry, or hops = 0, it is the peer address of the connection.
func clientIP(r *http.Request, hops int) string {
	if hops > 0 {
		var entries []string
		for _, v := range r.Header.Values("X-Forwarded-For") {
			for _, e := range strings.Split(v, ",") {
				entries = append(entries, strings.TrimSpace(e))
			}
		}
		if len(entries) >= hops {
			if ip := net.ParseIP(entries[len(entries)-hops]); ip != nil {
				return ip.String()
			}
		}
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
