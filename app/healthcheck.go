package app

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"time"

	"taskapi/adapters/httpapi"
)

// healthcheckTimeout bounds the whole check; the ECS container health
// check gives the command 5 s.
const healthcheckTimeout = 3 * time.Second

// Healthcheck is the `taskapi healthcheck` command, the container health
// check: httpapi.CheckHealth against this container's own server at its
// configured address (127.0.0.1 when the server listens on every
// interface), within healthcheckTimeout. It reads nothing but the
// listening address, so it runs before (and without) the configuration
// the server needs: no database, no JWT secret.
func Healthcheck(ctx context.Context, getenv func(string) string) error {
	var cfg Config
	var listen []Variable
	for _, v := range Variables {
		if v.Name == EnvHost || v.Name == EnvPort {
			listen = append(listen, v)
		}
	}
	if errs := readVariables(&cfg, getenv, listen); len(errs) > 0 {
		return fmt.Errorf("healthcheck: %w", errors.Join(errs...))
	}
	if cfg.Port == 0 {
		return fmt.Errorf("healthcheck: %s=0 picks a free port at start-up: no port to check", EnvPort)
	}
	ctx, cancel := context.WithTimeout(ctx, healthcheckTimeout)
	defer cancel()

	host := cfg.Host
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "127.0.0.1"
	}
	if err := httpapi.CheckHealth(ctx, net.JoinHostPort(host, strconv.Itoa(cfg.Port))); err != nil {
		return fmt.Errorf("healthcheck: %w", err)
	}
	return nil
}
