package store_test

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"taskapi"
	"taskapi/store"
)

// matches is the reference for a search, independent of either engine's
// index: every word of the search is a word of the title or description.
func matches(task taskapi.Task, words []string) bool {
	text := task.Title
	if task.Description != nil {
		text += " " + *task.Description
	}
	have := taskapi.SearchWords(text)
	for _, w := range words {
		if !slices.Contains(have, w) {
			return false
		}
	}
	return true
}

// searchAll walks a search to its end with limit-sized pages, checking
// that every page's total is want's length, and returns the ids in order.
func searchAll(t *testing.T, db *store.DB, f taskapi.TaskFilter, want int) []int64 {
	t.Helper()
	var got []int64
	for pages := 0; ; pages++ {
		page := list(t, db, f)
		if page.Total != want {
			t.Errorf("%+v: total %d, want %d", f, page.Total, want)
		}
		got = append(got, ids(page.Tasks)...)
		if !page.More || pages > want {
			return got
		}
		f.After = ptr(page.Tasks[len(page.Tasks)-1].Key())
	}
}

// testSearch: a search returns exactly the tasks holding every word, as
// whole words, whatever their case or the punctuation around them, in the
// title or only in the description; never another user's task; a task
// edited into or out of the search, or deleted, at once.
func testSearch(t *testing.T, db *store.DB) {
	u, other := newUser(t, db, "sam"), newUser(t, db, "otto")
	texts := []struct{ title, description string }{
		{"Buy MILK", ""},
		{"milk/eggs", ""},
		{"Call mom", "and remember the Milk."},
		{"Milkshake", "not the word milky either"},
		{"(milk) and honey", ""},
		{"write to a@milk.org", ""},
		{"oat-milk latte", ""},
		{"milk_tea at 3pm", ""},
		{"chocolate", ""},
		{"Café CRÈME", "https://example.com/milk?x=1"},
		{"to delete: milk", ""},
		{"cheese", "soon milk"},
		{"bread milk", ""},
	}
	var tasks []taskapi.Task
	for i, x := range texts {
		tasks = append(tasks, *newTask(t, db, u.ID, func(task *taskapi.Task) {
			task.Title = x.title
			if x.description != "" {
				task.Description = &x.description
			}
			task.CreatedAt = base.Add(time.Duration(i) * time.Minute)
			if i%2 == 0 {
				task.Status = taskapi.StatusCompleted
			}
		}))
	}
	newTask(t, db, other.ID, func(task *taskapi.Task) { task.Title = "milk milk milk" })

	if err := db.DeleteTask(t.Context(), tasks[10].ID, 0); err != nil {
		t.Fatal(err)
	}
	tasks = slices.Delete(tasks, 10, 11)
	for i, p := range map[int]taskapi.TaskPatch{
		10: {Description: taskapi.Null[string]()},                    // "cheese": milk was in its description only
		11: {Title: ptr("bread"), Description: taskapi.Some("loaf")}, // "bread milk"
		8:  {Title: ptr("chocolate milk")},
	} {
		got, err := db.UpdateTask(t.Context(), tasks[i].ID, p, base.Add(time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		tasks[i] = *got
	}

	for _, c := range []struct {
		q    string
		want []int // indexes into tasks, newest first
	}{
		{"milk", []int{9, 8, 7, 6, 5, 4, 2, 1, 0}}, // the last in a URL
		{"MILK,", []int{9, 8, 7, 6, 5, 4, 2, 1, 0}},
		{"  Milk!! eggs ", []int{1}},
		{"honey milk", []int{4}},
		{"remember", []int{2}},
		{"milkshake", []int{3}},
		{"milky", []int{3}},
		{"crème", []int{9}},
		{"CAFÉ", []int{9}},
		{"cafe", nil},
		{"org", []int{5}},
		{"3pm tea", []int{7}},
		{"loaf", []int{11}},
		{"milk nothing", nil},
		{"otto", nil},
	} {
		words := taskapi.SearchWords(c.q)
		var want []int64
		for _, i := range c.want {
			want = append(want, tasks[i].ID)
			if !matches(tasks[i], words) {
				t.Fatalf("the reference does not match %q to %q", c.q, tasks[i].Title)
			}
		}
		for limit := 1; limit <= 3; limit += 2 {
			got := searchAll(t, db, taskapi.TaskFilter{UserID: u.ID, Words: words, Limit: limit}, len(want))
			if !slices.Equal(got, want) {
				t.Errorf("q=%q limit %d: %v, want %v", c.q, limit, got, want)
			}
		}
	}

	// Filters, sorts, directions and offsets combine with a search.
	words := []string{"milk"}
	for _, status := range []taskapi.Status{"", taskapi.StatusCompleted, taskapi.StatusPending} {
		var hits []taskapi.Task
		for _, task := range tasks {
			if matches(task, words) && (status == "" || task.Status == status) {
				hits = append(hits, task)
			}
		}
		for _, sort := range []taskapi.TaskSort{taskapi.SortCreatedAt, taskapi.SortDueDate, taskapi.SortPriority} {
			for _, asc := range []bool{false, true} {
				want := expectedOrder(hits, sort, asc)
				f := taskapi.TaskFilter{UserID: u.ID, Words: words, Status: status, Sort: sort, Ascending: asc, Limit: 2}
				if got := searchAll(t, db, f, len(want)); !slices.Equal(got, want) {
					t.Errorf("status %q sort %s asc %v: %v, want %v", status, sort, asc, got, want)
				}
				f.Offset = 1
				if got := ids(list(t, db, f).Tasks); !slices.Equal(got, want[min(1, len(want)):min(3, len(want))]) {
					t.Errorf("status %q sort %s asc %v offset 1: %v, want %v", status, sort, asc, got, want[1:3])
				}
			}
		}
	}
}

// testSearchProperty: for random tasks made of a few words, punctuation
// and case, with some deleted and some edited, every search of one or two
// words returns exactly what the reference says, in order.
func testSearchProperty(t *testing.T, db *store.DB) {
	rng := rand.New(rand.NewPCG(7, 11))
	vocabulary := []string{"milk", "eggs", "bread", "tea", "x1", "été"}
	seps := []string{" ", ", ", "/", "-", ".", "(", ") ", "'", "_", "@", ":"}
	text := func() string {
		var b strings.Builder
		for n := rng.IntN(4); n >= 0; n-- {
			w := vocabulary[rng.IntN(len(vocabulary))]
			if rng.IntN(3) == 0 {
				w = strings.ToUpper(w)
			}
			b.WriteString(w + seps[rng.IntN(len(seps))])
		}
		return b.String()
	}
	users := []*taskapi.User{newUser(t, db, "pia"), newUser(t, db, "quin")}
	var live []taskapi.Task
	for i := range 60 {
		owner := users[i%2]
		task := newTask(t, db, owner.ID, func(task *taskapi.Task) {
			task.Title = text()
			if rng.IntN(2) == 0 {
				task.Description = ptr(text())
			}
			task.CreatedAt = base.Add(time.Duration(rng.IntN(20)) * time.Second)
		})
		switch rng.IntN(5) {
		case 0:
			if err := db.DeleteTask(t.Context(), task.ID, 0); err != nil {
				t.Fatal(err)
			}
			continue
		case 1:
			var err error
			if task, err = db.UpdateTask(t.Context(), task.ID, taskapi.TaskPatch{Title: ptr(text())}, base); err != nil {
				t.Fatal(err)
			}
		}
		live = append(live, *task)
	}
	for _, a := range vocabulary {
		for _, b := range append([]string{""}, vocabulary...) {
			words := taskapi.SearchWords(a + " " + b)
			for _, owner := range users {
				var hits []taskapi.Task
				for _, task := range live {
					if task.UserID == owner.ID && matches(task, words) {
						hits = append(hits, task)
					}
				}
				want := expectedOrder(hits, taskapi.SortCreatedAt, false)
				f := taskapi.TaskFilter{UserID: owner.ID, Words: words, Limit: 4}
				if got := searchAll(t, db, f, len(want)); !slices.Equal(got, want) {
					t.Errorf("%s: %v search %v: %v, want %v", owner.Username, words, f, got, want)
				}
			}
		}
	}
	if len(live) == 0 {
		t.Fatal("no task left to search")
	}
}
