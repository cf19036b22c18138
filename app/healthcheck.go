package app

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// healthcheckTimeout bounds the whole check; the ECS container health
// check gives the command 5 s.
const healthcheckTimeout = 3 * time.Second

// Healthcheck is the `taskapi healthcheck` command, the container health
// check of an image that has no shell or curl: it asks this container's
// own server for GET /health on $HOST:$PORT (127.0.0.1 when the server
// listens on every interface) and returns nil only for a 200. It reads
// nothing but HOST and PORT, so it runs before (and without) the
// configuration the server needs: no database, no JWT secret.
func Healthcheck(ctx context.Context, getenv func(string) string) error {
	port := strings.TrimSpace(getenv("PORT"))
	if port == "" {
		port = "3000"
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		return fmt.Errorf("healthcheck: PORT=%q: want a port from 1 to 65535", port)
	}
	ctx, cancel := context.WithTimeout(ctx, healthcheckTimeout)
	defer cancel()

	host := strings.TrimSpace(getenv("HOST"))
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "127.0.0.1"
	}
	url := "http://" + net.JoinHostPort(host, port) + "/health"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return fmt.Errorf("healthcheck: %w", err)
	}
	client := &http.Client{
		// Never through a proxy, one connection, no redirects: only this
		// server's own 200 counts.
		Transport:     &http.Transport{Proxy: nil, DisableKeepAlives: true},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("healthcheck: %w", err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("healthcheck: GET %s: %s", url, resp.Status)
	}
	return nil
}
