// Package authclient is the task service's outbound adapter to the auth
// service: a handlers.TokenValidator that asks POST /auth/validate.
package authclient

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"taskapi"
)

// maxResponseBytes caps what is read from the auth service: a validate
// answer is a few hundred bytes, and a misbehaving peer must not make the
// task service buffer megabytes.
const maxResponseBytes = 16 << 10

// Client validates tokens by calling the auth service.
type Client struct {
	baseURL   string
	http      *http.Client
	requestID func(context.Context) string
}

// New returns a client for the auth service at baseURL (for example
// http://auth-service.task-management.local:3000). Every call is bounded
// by timeout. requestID reads the current request's correlation id from a
// context, so that it travels on to the auth service; nil sends none.
func New(baseURL string, timeout time.Duration, requestID func(context.Context) string) *Client {
	if requestID == nil {
		requestID = func(context.Context) string { return "" }
	}
	return &Client{
		baseURL:   strings.TrimRight(baseURL, "/"),
		requestID: requestID,
		http: &http.Client{
			Timeout: timeout,
			// A validate call is never redirected: following one would send
			// the caller's token wherever the redirect points.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
	}
}

// validateAnswer is the auth service's success or error body.
type validateAnswer struct {
	Valid bool `json:"valid"`
	User  struct {
		UserID   int64  `json:"user_id"`
		Username string `json:"username"`
		Email    string `json:"email"`
	} `json:"user"`
	Message string `json:"message"`
}

// ValidateToken asks the auth service whether token is valid. A 401 is
// passed on with the auth service's message; any other failure means the
// task service cannot tell, and answers 503 rather than let a request
// through unauthenticated.
func (c *Client) ValidateToken(ctx context.Context, token string) (taskapi.Principal, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.baseURL+"/auth/validate", nil)
	if err != nil {
		return taskapi.Principal{}, unavailable(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	if id := c.requestID(ctx); id != "" {
		req.Header.Set("X-Request-ID", id)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return taskapi.Principal{}, unavailable(err)
	}
	defer resp.Body.Close()
	var answer validateAnswer
	if err := json.NewDecoder(io.LimitReader(resp.Body, maxResponseBytes)).Decode(&answer); err != nil {
		return taskapi.Principal{}, unavailable(fmt.Errorf("auth service answered %d with an unreadable body: %w", resp.StatusCode, err))
	}
	switch {
	case resp.StatusCode == http.StatusUnauthorized:
		msg := answer.Message
		if msg != taskapi.MsgTokenExpired && msg != taskapi.MsgNoToken {
			msg = taskapi.MsgInvalidToken
		}
		return taskapi.Principal{}, taskapi.Errorf(taskapi.EUNAUTHORIZED, "%s", msg)
	case resp.StatusCode != http.StatusOK || !answer.Valid || answer.User.UserID <= 0:
		return taskapi.Principal{}, unavailable(fmt.Errorf("auth service answered %d", resp.StatusCode))
	}
	return taskapi.Principal{UserID: answer.User.UserID, Username: answer.User.Username, Email: answer.User.Email}, nil
}

func unavailable(cause error) error {
	return taskapi.Wrap(cause, taskapi.EUNAVAILABLE, taskapi.MsgAuthDown)
}
