package handlers

import (
	"context"
	"fmt"
	"strings"
	"sync"

	"taskapi"
)

// Auth holds the auth service's handlers: register, login, validate.
type Auth struct {
	users     UserStore
	hasher    PasswordHasher
	issuer    TokenIssuer
	validator TokenValidator
	now       Clock
	// dummyHash is compared against when a login names no known user, so
	// that an unknown user costs the same bcrypt time as a wrong password
	// and response timing does not reveal which usernames exist. It is
	// made in the background at start-up (a bcrypt hash would otherwise
	// be most of the time to healthy); see dummy.
	dummyMu     sync.Mutex
	dummyHash   string
	dummyHasher PasswordHasher // makes dummyHash; the hasher unless WithDummyHasher
	// logins limits password checks per account, client address and
	// pair; nil means no limit.
	logins AttemptLimiter
	// registrations limits registrations per client address; nil means
	// no limit.
	registrations AttemptLimiter
}

// AuthOption configures optional behaviour of NewAuth.
type AuthOption func(*Auth)

// WithLoginThrottle limits password checks of logins (see
// AttemptLimiter): a caller over a limit gets 429 with Retry-After before
// any password is checked.
func WithLoginThrottle(logins AttemptLimiter) AuthOption {
	return func(a *Auth) { a.logins = logins }
}

// WithRegistrationThrottle limits registrations per client address: each
// one that passes validation takes an attempt, whether it creates an
// account or finds the name taken (409), so that neither mass sign-ups nor
// probing which accounts exist goes unchecked. A caller over the limit
// gets 429 with Retry-After before any password is hashed.
func WithRegistrationThrottle(clients AttemptLimiter) AuthOption {
	return func(a *Auth) { a.registrations = clients }
}

// WithDummyHasher makes the throw-away hash with h instead of the login
// hasher: pass the same bcrypt without the concurrency bound, so that the
// start-up hash never holds a slot a first login or registration waits
// for.
func WithDummyHasher(h PasswordHasher) AuthOption {
	return func(a *Auth) { a.dummyHasher = h }
}

// NewAuth returns the auth handlers. It starts hashing one throw-away
// password for dummyHash in the background, so that start-up does not
// wait for bcrypt.
func NewAuth(users UserStore, hasher PasswordHasher, issuer TokenIssuer, validator TokenValidator, now Clock, opts ...AuthOption) (*Auth, error) {
	a := &Auth{users: users, hasher: hasher, issuer: issuer, validator: validator, now: now}
	for _, opt := range opts {
		opt(a)
	}
	if a.dummyHasher == nil {
		a.dummyHasher = hasher
	}
	go func() { _, _ = a.dummy() }()
	return a, nil
}

// dummy returns dummyHash, hashing it first if that has not happened yet
// (a login for an unknown user in the first milliseconds waits for it).
// A failed attempt (bcrypt busy) is tried again by the next caller.
func (a *Auth) dummy() (string, error) {
	a.dummyMu.Lock()
	defer a.dummyMu.Unlock()
	if a.dummyHash == "" {
		h, err := a.dummyHasher.Hash("not-a-real-password")
		if err != nil {
			return "", fmt.Errorf("hash dummy password: %w", err)
		}
		a.dummyHash = h
	}
	return a.dummyHash, nil
}

// Register creates an account. Usernames and emails are unique regardless
// of case; the email is stored in lower case.
func (a *Auth) Register(ctx context.Context, req RegisterRequest) (RegisterResponse, error) {
	username := strings.TrimSpace(req.Username)
	email := strings.ToLower(strings.TrimSpace(req.Email))
	var fe fieldErrors
	checkUsername(&fe, username)
	checkEmail(&fe, email)
	checkNewPassword(&fe, "password", req.Password)
	if err := fe.err(); err != nil {
		return RegisterResponse{}, err
	}
	if err := reserve(ctx, a.registrations, "", req.ClientIP, taskapi.MsgTooManyRegistrations); err != nil {
		return RegisterResponse{}, err
	}
	hash, err := a.hasher.Hash(req.Password)
	if err != nil {
		if taskapi.ErrorCode(err) == taskapi.EUNAVAILABLE {
			release(ctx, a.registrations, "", req.ClientIP, false) // busy: not the caller's doing
			return RegisterResponse{}, err
		}
		return RegisterResponse{}, fmt.Errorf("hash password: %w", err)
	}
	now := a.now().UTC()
	u := taskapi.User{Username: username, Email: email, PasswordHash: hash, CreatedAt: now, UpdatedAt: now}
	if err := a.users.CreateUser(ctx, &u); err != nil {
		if code := taskapi.ErrorCode(err); code == taskapi.EUNAVAILABLE || code == taskapi.ESTORAGE {
			release(ctx, a.registrations, "", req.ClientIP, false) // nothing was created or revealed
		}
		return RegisterResponse{}, err
	}
	return RegisterResponse{
		Message: "User registered successfully",
		User:    PublicUser{ID: u.ID, Username: u.Username, Email: u.Email, CreatedAt: u.CreatedAt},
	}, nil
}

// Login checks a username and password and issues an access token.
// Unknown user and wrong password give the same answer.
func (a *Auth) Login(ctx context.Context, req LoginRequest) (LoginResponse, error) {
	username := strings.TrimSpace(req.Username)
	var fe fieldErrors
	if username == "" {
		fe.add("username", "Username is required")
	}
	if req.Password == "" {
		fe.add("password", "Password is required")
	}
	if err := fe.err(); err != nil {
		return LoginResponse{}, err
	}
	accountKey := strings.ToLower(username)
	// The attempt is reserved before anything else: concurrent wrong
	// passwords must not all pass a check that only counts finished ones.
	if err := reserve(ctx, a.logins, accountKey, req.ClientIP, taskapi.MsgTooManyLogins); err != nil {
		return LoginResponse{}, err
	}
	u, err := a.users.UserByUsername(ctx, username)
	var hash string
	switch {
	case err == nil:
		hash = u.PasswordHash
	case taskapi.ErrorCode(err) != taskapi.ENOTFOUND:
		release(ctx, a.logins, accountKey, req.ClientIP, false) // no password was checked
		return LoginResponse{}, err
	default:
		if hash, err = a.dummy(); err != nil {
			release(ctx, a.logins, accountKey, req.ClientIP, false) // no password was checked
			return LoginResponse{}, err
		}
	}
	if err := a.hasher.Compare(hash, req.Password); err != nil || u == nil {
		if taskapi.ErrorCode(err) == taskapi.EUNAVAILABLE {
			release(ctx, a.logins, accountKey, req.ClientIP, false) // busy: not the caller's failure
			return LoginResponse{}, err
		}
		return LoginResponse{}, taskapi.Errorf(taskapi.EUNAUTHORIZED, taskapi.MsgInvalidCredentials)
	}
	// A correct password forgives this address's earlier typos for the
	// account and gives the account and the address their attempt back.
	release(ctx, a.logins, accountKey, req.ClientIP, true)
	token, lifetime, err := a.issuer.Issue(*u, a.now())
	if err != nil {
		return LoginResponse{}, fmt.Errorf("issue token: %w", err)
	}
	return LoginResponse{
		Message:   "Login successful",
		Token:     token,
		TokenType: "Bearer",
		ExpiresIn: int64(lifetime.Seconds()),
		User:      PublicUser{ID: u.ID, Username: u.Username, Email: u.Email},
	}, nil
}

// Validate tells whether a token is genuine and current, and whose it is.
// Whether a revoked token counts as current is the validator's decision:
// the auth service passes one built with RejectingRevoked.
func (a *Auth) Validate(ctx context.Context, req ValidateRequest) (ValidateResponse, error) {
	if req.Token == "" {
		return ValidateResponse{}, taskapi.Errorf(taskapi.EUNAUTHORIZED, taskapi.MsgNoToken)
	}
	p, err := a.validator.ValidateToken(ctx, req.Token)
	if err != nil {
		return ValidateResponse{}, err
	}
	return NewValidateResponse(p), nil
}

// reserve takes one attempt of account from client under limits (nil: no
// limit), or answers 429 with message and Retry-After before any password
// is checked.
func reserve(ctx context.Context, limits AttemptLimiter, account, client, message string) error {
	if limits == nil {
		return nil
	}
	wait, err := limits.Reserve(ctx, account, client)
	if err != nil {
		return err
	}
	if wait > 0 {
		return &taskapi.Error{Code: taskapi.ETOOMANY, Message: message, RetryAfter: wait}
	}
	return nil
}

// release settles an attempt reserve took (see AttemptLimiter.Release).
func release(ctx context.Context, limits AttemptLimiter, account, client string, succeeded bool) {
	if limits != nil {
		limits.Release(ctx, account, client, succeeded)
	}
}
