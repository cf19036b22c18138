package app

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"taskapi/adapters/httpapi"
)

// healthcheckTimeout bounds the whole check; the ECS container health
// check gives the command 5 s.
const healthcheckTimeout = 3 * time.Second

// Healthcheck is the `taskapi healthcheck` command, the container health
// check: httpapi.CheckHealth against this container's own server on
// $HOST:$PORT (127.0.0.1 when the server listens on every interface),
// within healthcheckTimeout. It reads nothing but HOST and PORT, so it
// runs before (and without) the configuration the server needs: no
// database, no JWT secret.
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
	if err := httpapi.CheckHealth(ctx, net.JoinHostPort(host, port)); err != nil {
		return fmt.Errorf("healthcheck: %w", err)
	}
	return nil
}
