package handlers_test

import (
	"context"
	"errors"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"taskapi"
	"taskapi/handlers"
	"taskapi/password"
	"taskapi/tokens"
)

// memStore is an in-memory AccountStore, RevocationStore and TaskStore,
// so the pure handlers can be tested without a database. The real stores
// are held to the same contract by store's own suite.
type memStore struct {
	mu      sync.Mutex
	users   []taskapi.User
	tasks   map[int64]taskapi.Task
	revoked map[string]revocation
	nextID  int64
	down    bool // answers every call with EUNAVAILABLE, like a lost database
}

// revocation is one revoked token as memStore keeps it.
type revocation struct {
	userID    int64
	expiresAt time.Time
}

func newMemStore() *memStore {
	return &memStore{tasks: map[int64]taskapi.Task{}, revoked: map[string]revocation{}}
}

var errDown = taskapi.Wrap(errors.New("connection refused"), taskapi.EUNAVAILABLE, taskapi.MsgDatabaseDown)

func (m *memStore) CreateUser(_ context.Context, u *taskapi.User) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.down {
		return errDown
	}
	for _, o := range m.users {
		if strings.EqualFold(o.Username, u.Username) || strings.EqualFold(o.Email, u.Email) {
			return taskapi.Errorf(taskapi.ECONFLICT, taskapi.MsgConflict)
		}
	}
	m.nextID++
	u.ID = m.nextID
	m.users = append(m.users, *u)
	return nil
}

func (m *memStore) UserByUsername(_ context.Context, username string) (*taskapi.User, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.down {
		return nil, errDown
	}
	for _, u := range m.users {
		if strings.EqualFold(u.Username, username) {
			return &u, nil
		}
	}
	return nil, taskapi.Errorf(taskapi.ENOTFOUND, "User not found")
}

func (m *memStore) UserByID(_ context.Context, id int64) (*taskapi.User, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.down {
		return nil, errDown
	}
	for _, u := range m.users {
		if u.ID == id {
			return &u, nil
		}
	}
	return nil, taskapi.Errorf(taskapi.ENOTFOUND, "User not found")
}

func (m *memStore) UpdatePassword(_ context.Context, userID int64, hash string, now time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.down {
		return errDown
	}
	for i := range m.users {
		if m.users[i].ID == userID {
			m.users[i].PasswordHash, m.users[i].UpdatedAt = hash, now
			return nil
		}
	}
	return taskapi.Errorf(taskapi.ENOTFOUND, "User not found")
}

// deleteUser removes an account, as an operator might, leaving its
// tokens signed and unexpired.
func (m *memStore) deleteUser(id int64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.users = slices.DeleteFunc(m.users, func(u taskapi.User) bool { return u.ID == id })
	for jti, r := range m.revoked {
		if r.userID == id {
			delete(m.revoked, jti)
		}
	}
}

func (m *memStore) RevokeToken(_ context.Context, jti string, userID int64, expiresAt, now time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.down {
		return errDown
	}
	if !slices.ContainsFunc(m.users, func(u taskapi.User) bool { return u.ID == userID }) {
		return taskapi.Errorf(taskapi.ENOTFOUND, "User not found")
	}
	if _, ok := m.revoked[jti]; !ok {
		m.revoked[jti] = revocation{userID: userID, expiresAt: expiresAt}
	}
	for k, r := range m.revoked {
		if r.expiresAt.Before(now) {
			delete(m.revoked, k)
		}
	}
	return nil
}

func (m *memStore) IsTokenRevoked(_ context.Context, jti string) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.down {
		return false, errDown
	}
	_, ok := m.revoked[jti]
	return ok, nil
}

func (m *memStore) CreateTask(_ context.Context, t *taskapi.Task, quota int) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.down {
		return errDown
	}
	if quota > 0 && m.countTasks(t.UserID) >= quota {
		return taskapi.TaskQuotaReached(quota)
	}
	m.nextID++
	t.ID, t.Version = m.nextID, 1
	m.tasks[t.ID] = *t
	return nil
}

func (m *memStore) TaskByID(_ context.Context, id int64) (*taskapi.Task, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.down {
		return nil, errDown
	}
	t, ok := m.tasks[id]
	if !ok {
		return nil, taskapi.TaskNotFound(id)
	}
	return &t, nil
}

func (m *memStore) ListTasks(_ context.Context, f taskapi.TaskFilter) (taskapi.TaskPage, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.down {
		return taskapi.TaskPage{}, errDown
	}
	// Newest first by id, whatever the sort: the handlers' tests only
	// need an order that a keyset position (its id) can continue.
	var all, rest []taskapi.Task
	for _, t := range m.tasks {
		if t.UserID == f.UserID && (f.Status == "" || t.Status == f.Status) && (f.Priority == "" || t.Priority == f.Priority) {
			all = append(all, t)
			if f.After == nil || t.ID < f.After.ID {
				rest = append(rest, t)
			}
		}
	}
	sort.Slice(rest, func(i, j int) bool { return rest[i].ID > rest[j].ID })
	offset := f.Offset
	if f.After != nil {
		offset = 0
	}
	page := taskapi.TaskPage{Total: len(all), Tasks: []taskapi.Task{}, More: offset+f.Limit < len(rest)}
	for i := offset; i < len(rest) && i < offset+f.Limit; i++ {
		page.Tasks = append(page.Tasks, rest[i])
	}
	return page, nil
}

func (m *memStore) UpdateTask(_ context.Context, id int64, p taskapi.TaskPatch, now time.Time) (*taskapi.Task, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	t, ok := m.tasks[id]
	if !ok {
		return nil, taskapi.TaskNotFound(id)
	}
	if p.IfVersion != 0 && p.IfVersion != t.Version {
		return nil, taskapi.Errorf(taskapi.EPRECONDITION, taskapi.MsgTaskChanged)
	}
	t.Version++
	if p.Title != nil {
		t.Title = *p.Title
	}
	if p.Description.Set {
		t.Description = p.Description.Value
	}
	if p.Status != nil {
		t.Status = *p.Status
	}
	if p.Priority != nil {
		t.Priority = *p.Priority
	}
	if p.DueDate.Set {
		t.DueDate = p.DueDate.Value
	}
	t.UpdatedAt = now
	m.tasks[id] = t
	return &t, nil
}

// countTasks is how many tasks userID holds; m.mu is held.
func (m *memStore) countTasks(userID int64) int {
	n := 0
	for _, t := range m.tasks {
		if t.UserID == userID {
			n++
		}
	}
	return n
}

func (m *memStore) DeleteTask(_ context.Context, id, ifVersion int64) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	t, ok := m.tasks[id]
	if !ok {
		return taskapi.TaskNotFound(id)
	}
	if ifVersion != 0 && ifVersion != t.Version {
		return taskapi.Errorf(taskapi.EPRECONDITION, taskapi.MsgTaskChanged)
	}
	delete(m.tasks, id)
	return nil
}

// fixture is a set of handlers over one memStore and a settable clock,
// wired as the auth service wires them: tokens are checked against the
// store's revocations.
type fixture struct {
	store     *memStore
	clock     *fakeClock
	signer    *tokens.HS256
	validator handlers.TokenValidator
	auth      *handlers.Auth
	account   *handlers.Account
	tasks     *handlers.Tasks
}

type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

var testSecret = []byte("0123456789abcdef0123456789abcdef")

func newFixture() *fixture {
	f := &fixture{store: newMemStore(), clock: &fakeClock{t: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}}
	f.signer = tokens.NewHS256(testSecret, time.Hour, f.clock.Now)
	f.validator = handlers.RejectingRevoked(f.signer, f.store)
	// bcrypt.MinCost keeps the tests fast; the cost is configuration.
	hasher := password.Bcrypt{Cost: 4}
	auth, err := handlers.NewAuth(f.store, hasher, f.signer, f.validator, f.clock.Now)
	if err != nil {
		panic(err)
	}
	f.auth = auth
	f.account = handlers.NewAccount(f.store, hasher, f.store, f.clock.Now)
	f.tasks = handlers.NewTasks(f.store, f.clock.Now)
	return f
}

// user registers an account and returns it as a task-handler caller.
func (f *fixture) user(name string) taskapi.Principal {
	resp, err := f.auth.Register(context.Background(), handlers.RegisterRequest{Username: name, Email: name + "@example.com", Password: "correct horse"})
	if err != nil {
		panic(err)
	}
	return taskapi.Principal{UserID: resp.User.ID, Username: name}
}

// login logs an existing account in and returns its token and the caller
// the transport would derive from it (with the token's id and expiry).
func (f *fixture) login(name, pass string) (string, taskapi.Principal) {
	resp, err := f.auth.Login(context.Background(), handlers.LoginRequest{Username: name, Password: pass})
	if err != nil {
		panic(err)
	}
	p, err := f.validator.ValidateToken(context.Background(), resp.Token)
	if err != nil {
		panic(err)
	}
	return resp.Token, p
}

// pinger is a handlers.Pinger that follows a memStore's down switch.
type pinger struct{ m *memStore }

func (p pinger) Ping(context.Context) error {
	p.m.mu.Lock()
	defer p.m.mu.Unlock()
	if p.m.down {
		return errDown
	}
	return nil
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
