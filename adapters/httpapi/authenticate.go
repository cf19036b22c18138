package httpapi

import (
	"context"
	"net/http"
	"strings"

	"taskapi"
)

type callerKey struct{}

// callerFrom returns the authenticated caller stored by authenticated, or
// the zero Principal (which every task handler refuses).
func callerFrom(ctx context.Context) taskapi.Principal {
	p, _ := ctx.Value(callerKey{}).(taskapi.Principal)
	return p
}

// authenticated runs next only for a request with a valid bearer token,
// and hands next the token's subject as the caller. Every /tasks route is
// wrapped in it (no task is read or written without a valid token), and so are the account routes
// (/auth/logout, /auth/me, /auth/password, DELETE /auth/me).
func (s *server) authenticated(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		token, err := bearerToken(r)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		p, err := s.Tokens.ValidateToken(r.Context(), token)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		setLogUser(r.Context(), p.UserID)
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), callerKey{}, p)))
	})
}

// bearerToken reads the token of an "Authorization: Bearer <token>"
// header. The scheme is case-insensitive (RFC 7235); a token anywhere else
// (query string, cookie) is ignored, so it cannot leak into access logs.
func bearerToken(r *http.Request) (string, error) {
	values := r.Header.Values("Authorization")
	if len(values) == 0 || strings.TrimSpace(values[0]) == "" {
		return "", taskapi.Errorf(taskapi.EUNAUTHORIZED, taskapi.MsgNoToken)
	}
	scheme, token, ok := strings.Cut(strings.TrimSpace(values[0]), " ")
	token = strings.TrimSpace(token)
	if len(values) > 1 || !ok || !strings.EqualFold(scheme, "Bearer") || token == "" || strings.ContainsAny(token, " \t") {
		return "", taskapi.Errorf(taskapi.EUNAUTHORIZED, taskapi.MsgInvalidToken)
	}
	return token, nil
}
