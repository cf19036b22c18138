package httpapi

import (
	"bytes"
	"io"
	"log/slog"
	"net/http/httptest"
	"testing"
	"time"

	"taskapi"
	"taskapi/handlers"
)

// The transport's share of a request, without the network or a store:
// what decoding a body and encoding an answer cost per request (run with
// `make bench-micro`).

// BenchmarkDecodeCreateTask decodes a typical POST /tasks body.
func BenchmarkDecodeCreateTask(b *testing.B) {
	body := []byte(`{"title":"Buy milk","description":"2 litres, semi-skimmed","status":"pending","priority":"high","due_date":"2026-12-01"}`)
	b.ReportAllocs()
	for b.Loop() {
		r := httptest.NewRequest("POST", "/tasks", bytes.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		var req handlers.CreateTaskRequest
		if err := decodeJSON(r, &req); err != nil || req.Title != "Buy milk" {
			b.Fatalf("decode: %v", err)
		}
	}
}

// BenchmarkEncodeTaskList encodes a page of 20 tasks, GET /tasks's answer.
func BenchmarkEncodeTaskList(b *testing.B) {
	s := &server{Options: Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}}
	due := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	desc := "2 litres, semi-skimmed"
	page := handlers.ListTasksResponse{Count: 20, Total: 100000, Limit: 20}
	for i := range 20 {
		at := due.Add(-time.Duration(i) * time.Hour)
		page.Tasks = append(page.Tasks, taskapi.Task{ID: int64(1000 + i), UserID: 7, Title: "Buy milk", Description: &desc,
			Status: taskapi.StatusPending, Priority: taskapi.PriorityHigh, DueDate: &due, CreatedAt: at, UpdatedAt: at, Version: 1})
	}
	r := httptest.NewRequest("GET", "/tasks", nil)
	b.ReportAllocs()
	for b.Loop() {
		w := httptest.NewRecorder()
		s.encode(w, r, 200, page)
		if w.Code != 200 || w.Body.Len() < 20*150 {
			b.Fatalf("status %d, %d bytes", w.Code, w.Body.Len())
		}
	}
}
