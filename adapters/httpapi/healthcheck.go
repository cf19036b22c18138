package httpapi

import (
	"context"
	"fmt"
	"io"
	"net/http"
)

// CheckHealth asks the server at addr (host:port) for GET /health and
// returns nil only for a 200: the container health check of an image that
// has no shell or curl. Never through a proxy, over one connection, and
// without following redirects, so only that server's own 200 counts. ctx
// bounds the whole check.
func CheckHealth(ctx context.Context, addr string) error {
	url := "http://" + addr + "/health"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	client := &http.Client{
		Transport:     &http.Transport{Proxy: nil, DisableKeepAlives: true},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return nil
}
