package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"
)

// newHTTPClient keeps one connection per worker alive between requests,
// as wrk does: the figures are the service's, not TCP set-up's.
func newHTTPClient(conns int) *http.Client {
	return &http.Client{
		Timeout: 30 * time.Second,
		Transport: &http.Transport{
			MaxIdleConns:        4 * conns,
			MaxIdleConnsPerHost: 4 * conns,
			IdleConnTimeout:     time.Minute,
			DisableCompression:  true,
		},
	}
}

// api calls one service.
type api struct {
	base   string
	client *http.Client
}

// call sends one request and fails unless the status is want. If out is
// non-nil the JSON answer is decoded into it; otherwise the body is read
// and dropped (the connection is reused either way).
func (a api) call(ctx context.Context, method, path, token string, body []byte, want int, out any) error {
	_, err := a.callHeader(ctx, method, path, token, body, want, out)
	return err
}

func (a api) callHeader(ctx context.Context, method, path, token string, body []byte, want int, out any) (http.Header, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, a.base+path, rd)
	if err != nil {
		return nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := a.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", method, routeOf(path), err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, fmt.Errorf("%s %s: read: %w", method, routeOf(path), err)
	}
	if resp.StatusCode != want {
		return resp.Header, &statusError{method: method, route: routeOf(path), status: resp.StatusCode, body: string(data[:min(len(data), 200)])}
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			return resp.Header, fmt.Errorf("%s %s: decode: %w", method, routeOf(path), err)
		}
	}
	return resp.Header, nil
}

// statusError is an answer with an unexpected status.
type statusError struct {
	method, route string
	status        int
	body          string
}

func (e *statusError) Error() string {
	return fmt.Sprintf("%s %s: status %d: %s", e.method, e.route, e.status, e.body)
}

// routeOf shortens a path for error texts: ids and queries would make
// every failure distinct.
func routeOf(path string) string {
	for i := 0; i < len(path); i++ {
		if path[i] == '?' {
			return path[:i] + "?…"
		}
	}
	if len(path) > len("/tasks/") && path[:len("/tasks/")] == "/tasks/" {
		return "/tasks/{id}"
	}
	return path
}

func jsonBody(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // only ever called with maps of strings
	}
	return b
}

// createdID reads the task id from a create answer without decoding the
// whole task: {"message":…,"task":{"id":123,…}}.
func createdID(body []byte) (int64, error) {
	var v struct {
		Task struct {
			ID int64 `json:"id"`
		} `json:"task"`
	}
	if err := json.Unmarshal(body, &v); err != nil || v.Task.ID <= 0 {
		return 0, fmt.Errorf("no task id in %q", body[:min(len(body), 200)])
	}
	return v.Task.ID, nil
}

func taskPath(id int64) string { return "/tasks/" + strconv.FormatInt(id, 10) }

// rawCall is call returning the answer's body.
func (a api) rawCall(ctx context.Context, method, path, token string, body []byte, want int) ([]byte, error) {
	var raw json.RawMessage
	if err := a.call(ctx, method, path, token, body, want, &raw); err != nil {
		return nil, err
	}
	return raw, nil
}
