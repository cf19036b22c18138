// Command session drives a short session through the Go client that
// oapi-codegen generates, with its default settings, from the document a
// server serves: register, log in, create with only a title, list with a
// filter and a search and follow the cursor, update with If-Match
// clearing a field with null, delete, log out. It exits non-zero at the
// first answer that is not the one the document promises. make clients
// generates ./client first.
package main

import (
	"context"
	"flag"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"time"

	"github.com/oapi-codegen/nullable"

	"taskapi/tools/openapi-clients/go/client"
)

func main() {
	base := flag.String("base", "http://127.0.0.1:3000", "the server's URL")
	flag.Parse()
	if err := run(context.Background(), *base); err != nil {
		fmt.Fprintln(os.Stderr, "go session:", err)
		os.Exit(1)
	}
	fmt.Println("go session: ok")
}

// check turns an unexpected status into an error carrying the body.
func check(step string, got, want int, body []byte) error {
	if got != want {
		return fmt.Errorf("%s: status %d, want %d: %s", step, got, want, body)
	}
	return nil
}

func run(ctx context.Context, base string) error {
	anon, err := client.NewClientWithResponses(base)
	if err != nil {
		return err
	}
	name := "go" + strconv.FormatInt(time.Now().UnixNano()%1e12, 36)
	const password = "generated-client-pass"
	reg, err := anon.RegisterWithResponse(ctx, nil, client.RegisterRequest{Username: name, Email: name + "@example.com", Password: password})
	if err != nil {
		return err
	}
	if err := check("register", reg.StatusCode(), 201, reg.Body); err != nil {
		return err
	}
	login, err := anon.LoginWithResponse(ctx, nil, client.LoginRequest{Username: name, Password: password})
	if err != nil {
		return err
	}
	if err := check("login", login.StatusCode(), 200, login.Body); err != nil {
		return err
	}
	token := login.JSON200.Token
	api, err := client.NewClientWithResponses(base, client.WithRequestEditorFn(func(_ context.Context, r *http.Request) error {
		r.Header.Set("Authorization", "Bearer "+token)
		return nil
	}))
	if err != nil {
		return err
	}

	// Only a title: the server fills in the rest.
	created, err := api.CreateTaskWithResponse(ctx, nil, client.CreateTaskRequest{Title: "Buy milk"})
	if err != nil {
		return err
	}
	if err := check("create", created.StatusCode(), 201, created.Body); err != nil {
		return err
	}
	task := created.JSON201.Task
	if task.Status != client.Pending || task.Priority != client.Medium || task.Description != nil {
		return fmt.Errorf("create: defaults not applied: %+v", task)
	}
	etag := created.HTTPResponse.Header.Get("ETag")
	// Three high-priority tasks, with a description and a due date.
	high := client.High
	for i := range 3 {
		body := client.CreateTaskRequest{Title: fmt.Sprintf("Call %d", i), Priority: &high,
			Description: nullable.NewNullableWithValue("about milk"), DueDate: nullable.NewNullableWithValue("2030-01-0" + strconv.Itoa(i+1))}
		r, err := api.CreateTaskWithResponse(ctx, nil, body)
		if err != nil {
			return err
		}
		if err := check("create high", r.StatusCode(), 201, r.Body); err != nil {
			return err
		}
	}
	// High priority too, but without the word: the search leaves it out.
	plumber, err := api.CreateTaskWithResponse(ctx, nil, client.CreateTaskRequest{Title: "Call the plumber", Priority: &high,
		Description: nullable.NewNullableWithValue("about the sink")})
	if err != nil {
		return err
	}
	if err := check("create high without the word", plumber.StatusCode(), 201, plumber.Body); err != nil {
		return err
	}

	// A filtered search (high priority, the word "milk": not "Buy milk",
	// which is medium, nor the plumber), two to a page, followed to its
	// end by the cursor.
	limit := client.Limit(2)
	priority := client.PriorityFilter(client.High)
	search := client.Search("milk")
	params := &client.ListTasksParams{Priority: &priority, Q: &search, Limit: &limit}
	var seen []int64
	for pages := 0; ; pages++ {
		if pages > 5 {
			return fmt.Errorf("list: the cursor never ends")
		}
		list, err := api.ListTasksWithResponse(ctx, params)
		if err != nil {
			return err
		}
		if err := check("list", list.StatusCode(), 200, list.Body); err != nil {
			return err
		}
		for _, t := range list.JSON200.Tasks {
			if t.Priority != client.High {
				return fmt.Errorf("list: priority filter let through %+v", t)
			}
			if t.Id == plumber.JSON201.Task.Id {
				return fmt.Errorf("list: the search let through %+v", t)
			}
			seen = append(seen, t.Id)
		}
		if list.JSON200.NextCursor == nil {
			break
		}
		params.Cursor = list.JSON200.NextCursor
	}
	if len(seen) != 3 {
		return fmt.Errorf("list: %d high-priority tasks with \"milk\" over the pages, want 3: %v", len(seen), seen)
	}

	// An update under If-Match that sets a description, then one that
	// clears it with null; the stale ETag is refused.
	upd, err := api.UpdateTaskWithResponse(ctx, task.Id, &client.UpdateTaskParams{IfMatch: &etag},
		client.UpdateTaskRequest{Description: nullable.NewNullableWithValue("2 litres")})
	if err != nil {
		return err
	}
	if err := check("update", upd.StatusCode(), 200, upd.Body); err != nil {
		return err
	}
	if d := upd.JSON200.Task.Description; d == nil || *d != "2 litres" {
		return fmt.Errorf("update: description %v", d)
	}
	stale, err := api.UpdateTaskWithResponse(ctx, task.Id, &client.UpdateTaskParams{IfMatch: &etag},
		client.UpdateTaskRequest{Description: nullable.NewNullNullable[string]()})
	if err != nil {
		return err
	}
	if err := check("update with a stale ETag", stale.StatusCode(), 412, stale.Body); err != nil {
		return err
	}
	etag = upd.HTTPResponse.Header.Get("ETag")
	cleared, err := api.UpdateTaskWithResponse(ctx, task.Id, &client.UpdateTaskParams{IfMatch: &etag},
		client.UpdateTaskRequest{Description: nullable.NewNullNullable[string]()})
	if err != nil {
		return err
	}
	if err := check("update clearing the description", cleared.StatusCode(), 200, cleared.Body); err != nil {
		return err
	}
	if cleared.JSON200.Task.Description != nil || cleared.JSON200.Task.Title != "Buy milk" {
		return fmt.Errorf("update: null did not clear the description alone: %+v", cleared.JSON200.Task)
	}

	etag = cleared.HTTPResponse.Header.Get("ETag")
	del, err := api.DeleteTaskWithResponse(ctx, task.Id, &client.DeleteTaskParams{IfMatch: &etag})
	if err != nil {
		return err
	}
	if err := check("delete", del.StatusCode(), 200, del.Body); err != nil {
		return err
	}
	gone, err := api.GetTaskWithResponse(ctx, task.Id, nil)
	if err != nil {
		return err
	}
	if err := check("get after delete", gone.StatusCode(), 404, gone.Body); err != nil {
		return err
	}

	out, err := api.LogoutWithResponse(ctx, nil)
	if err != nil {
		return err
	}
	if err := check("logout", out.StatusCode(), 200, out.Body); err != nil {
		return err
	}
	after, err := api.ListTasksWithResponse(ctx, nil)
	if err != nil {
		return err
	}
	return check("list after logout", after.StatusCode(), 401, after.Body)
}
