package deploytest

import (
	"net"
	"net/http"
	"time"
)

// ClientFrom returns an HTTP client whose connections come from the
// loopback address ip (any of 127.0.0.0/8 on Linux), so that a process
// sees ip as the peer: a client address of the test's choosing that is a
// real one, not a header. It keeps up to 64 idle connections per process.
func ClientFrom(ip string) *http.Client {
	dialer := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}, Timeout: 5 * time.Second}
	return &http.Client{
		Timeout:   30 * time.Second,
		Transport: &http.Transport{DialContext: dialer.DialContext, MaxIdleConnsPerHost: 64},
	}
}
