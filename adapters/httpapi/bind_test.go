package httpapi

import (
	"errors"
	"net/http/httptest"
	"testing"

	"taskapi"
	"taskapi/handlers"
)

// TestListQueryReadOnce: a list's query string is read one way only. A
// repeated parameter (which a proxy may read as its last value, this
// server as its first) and a pair that is not valid percent-encoding
// (which URL.Query would drop) are 400s naming the parameter; a single
// value of each, or an unknown parameter beside them, is read as sent.
func TestListQueryReadOnce(t *testing.T) {
	for _, c := range []struct {
		query string
		field string // "": accepted
	}{
		{"status=pending&status=completed", "status"},
		{"q=milk&q=eggs", "q"},
		{"cursor=a&cursor=b", "cursor"},
		{"limit=5&limit=500", "limit"},
		{"q=%zz", "query"},
		{"q=milk%", "query"},
		{"status=pending&q=milk&limit=5&sort=priority&order=asc", ""},
		{"q=milk&_=1700000000", ""},
	} {
		var req handlers.ListTasksRequest
		err := bindListTasks(httptest.NewRequest("GET", "/tasks?"+c.query, nil), &req)
		if c.field == "" {
			if err != nil {
				t.Errorf("%s: refused: %v", c.query, err)
			}
			continue
		}
		var e *taskapi.Error
		if !errors.As(err, &e) || e.Code != taskapi.EINVALID || len(e.Details) != 1 || e.Details[0].Field != c.field {
			t.Errorf("%s: %v; want 400 naming %s", c.query, err, c.field)
		}
	}
	var req handlers.ListTasksRequest
	if err := bindListTasks(httptest.NewRequest("GET", "/tasks?status=pending&q=oat+milk&limit=5", nil), &req); err != nil ||
		req.Status != "pending" || req.Q != "oat milk" || req.Limit != "5" {
		t.Errorf("single values: %+v, %v", req, err)
	}
}
