package handlers_test

import (
	"context"
	"errors"
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

// memStore is an in-memory UserStore and TaskStore, so the pure handlers
// can be tested without a database. The real stores are held to the same
// contract by store's own suite.
type memStore struct {
	mu     sync.Mutex
	users  []taskapi.User
	tasks  map[int64]taskapi.Task
	nextID int64
	down   bool // answers every call with EUNAVAILABLE, like a lost database
}

func newMemStore() *memStore { return &memStore{tasks: map[int64]taskapi.Task{}} }

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
	for _, u := range m.users {
		if u.ID == id {
			return &u, nil
		}
	}
	return nil, taskapi.Errorf(taskapi.ENOTFOUND, "User not found")
}

func (m *memStore) CreateTask(_ context.Context, t *taskapi.Task) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.down {
		return errDown
	}
	m.nextID++
	t.ID = m.nextID
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
	var all []taskapi.Task
	for _, t := range m.tasks {
		if t.UserID == f.UserID && (f.Status == "" || t.Status == f.Status) && (f.Priority == "" || t.Priority == f.Priority) {
			all = append(all, t)
		}
	}
	sort.Slice(all, func(i, j int) bool { return all[i].ID > all[j].ID })
	page := taskapi.TaskPage{Total: len(all), Tasks: []taskapi.Task{}}
	for i := f.Offset; i < len(all) && i < f.Offset+f.Limit; i++ {
		page.Tasks = append(page.Tasks, all[i])
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

func (m *memStore) DeleteTask(_ context.Context, id int64) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.tasks[id]; !ok {
		return taskapi.TaskNotFound(id)
	}
	delete(m.tasks, id)
	return nil
}

// fixture is a set of handlers over one memStore and a settable clock.
type fixture struct {
	store  *memStore
	clock  *fakeClock
	signer *tokens.HS256
	auth   *handlers.Auth
	tasks  *handlers.Tasks
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
	// bcrypt.MinCost keeps the tests fast; the cost is configuration.
	auth, err := handlers.NewAuth(f.store, password.Bcrypt{Cost: 4}, f.signer, f.signer, f.clock.Now)
	if err != nil {
		panic(err)
	}
	f.auth = auth
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
