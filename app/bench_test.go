package app

import (
	"fmt"
	"path/filepath"
	"testing"

	"taskapi/internal/testdb"
)

// Benchmarks of whole requests over real HTTP on loopback: router,
// middleware, handler, store and JSON. Absolute times on a shared machine
// are noise; compare the engines, and runs before and after a change, in
// one `make bench-micro` run (benchstat helps).

func benchEngines(b *testing.B, run func(b *testing.B, s *testServer, token string)) {
	for _, e := range []struct {
		name string
		env  func() map[string]string
	}{
		{"sqlite", func() map[string]string { return map[string]string{"SQLITE_PATH": filepath.Join(b.TempDir(), "db")} }},
		{"postgres", func() map[string]string {
			return map[string]string{"DATABASE_URL": testdb.Postgres(b), "JWT_SECRET": testSecret, "DB_MAX_OPEN_CONNS": "4"}
		}},
	} {
		b.Run(e.name, func(b *testing.B) {
			env := e.env()
			env["LOG_LEVEL"] = "error" // the access log is not what is measured
			s := startServer(b, env)
			token, _ := s.register(b, "bench")
			b.ReportAllocs()
			b.ResetTimer()
			run(b, s, token)
		})
	}
}

func BenchmarkCreateTask(b *testing.B) {
	benchEngines(b, func(b *testing.B, s *testServer, token string) {
		for i := 0; i < b.N; i++ {
			s.call(b, "POST", "/tasks", token, map[string]any{"title": "bench", "priority": "high", "due_date": "2026-12-01"}).expect(b, 201, "")
		}
	})
}

func BenchmarkGetTask(b *testing.B) {
	benchEngines(b, func(b *testing.B, s *testServer, token string) {
		b.StopTimer()
		id := s.call(b, "POST", "/tasks", token, map[string]any{"title": "bench"}).Body["task"].(map[string]any)["id"]
		path := fmt.Sprintf("/tasks/%v", id)
		b.StartTimer()
		for i := 0; i < b.N; i++ {
			s.call(b, "GET", path, token, nil).expect(b, 200, "")
		}
	})
}

// BenchmarkListTasks lists a page of 20 from 500 tasks, the default order.
func BenchmarkListTasks(b *testing.B) {
	benchEngines(b, func(b *testing.B, s *testServer, token string) {
		b.StopTimer()
		for i := 0; i < 500; i++ {
			s.call(b, "POST", "/tasks", token, map[string]any{"title": fmt.Sprint("task ", i)}).expect(b, 201, "")
		}
		b.StartTimer()
		for i := 0; i < b.N; i++ {
			s.call(b, "GET", "/tasks?limit=20&offset=100", token, nil).expect(b, 200, "")
		}
	})
}

// BenchmarkHealth is the floor: the cost of the HTTP stack and middleware
// with no store or token work.
func BenchmarkHealth(b *testing.B) {
	s := startServer(b, map[string]string{"SQLITE_PATH": filepath.Join(b.TempDir(), "db"), "LOG_LEVEL": "error"})
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		s.call(b, "GET", "/health", "", nil).expect(b, 200, "")
	}
}
