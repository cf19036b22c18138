package lambda_test

// Helpers shared by the adapter tests: the real API on a fresh embedded
// database, the sample events in events/, and conversions of an
// *http.Request into each event kind as AWS shapes it.

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	lambdaadapter "taskapi/adapters/lambda"
	"taskapi/app"
	"taskapi/store"
)

// newAPI returns the API that Serve and the Lambda function mount, on a
// fresh SQLite file, with logs discarded.
func newAPI(t *testing.T) http.Handler {
	t.Helper()
	env := map[string]string{
		"SQLITE_PATH": filepath.Join(t.TempDir(), "taskapi.db"),
		"BCRYPT_COST": "4",
	}
	cfg, err := app.LoadConfig(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	db, err := store.Open(ctx, cfg.DB)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	api, err := app.BuildAPI(cfg, db, slog.New(slog.NewJSONHandler(io.Discard, nil)), nil)
	if err != nil {
		t.Fatal(err)
	}
	return api
}

// kinds are the event kinds, named as their folders in events/.
var kinds = []lambdaadapter.Kind{lambdaadapter.APIGatewayV1, lambdaadapter.APIGatewayV2, lambdaadapter.ALB}

// sampleEvent reads events/<kind>/<name>.json, the sample a developer
// passes to `sam local invoke -e`, and adapts it to a test run: the user
// alice becomes user, the REPLACE_WITH_TOKEN placeholder the token, and
// the task id 1 the id given (when not empty).
func sampleEvent(t *testing.T, kind lambdaadapter.Kind, name, user, token, id string) []byte {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "..", "events", string(kind), name+".json"))
	if err != nil {
		t.Fatal(err)
	}
	s := strings.ReplaceAll(string(raw), "alice", user)
	s = strings.ReplaceAll(s, "REPLACE_WITH_TOKEN", token)
	var ev map[string]any
	if err := json.Unmarshal([]byte(s), &ev); err != nil {
		t.Fatalf("%s/%s: %v", kind, name, err)
	}
	// Bodies change length with the user name.
	if body, _ := ev["body"].(string); body != "" {
		setContentLength(ev, len(body))
	}
	if id != "" {
		replacePath := func(m map[string]any, key string) {
			if p, ok := m[key].(string); ok {
				m[key] = strings.TrimSuffix(p, "/tasks/1") + "/tasks/" + id
			}
		}
		replacePath(ev, "path")
		replacePath(ev, "rawPath")
		if rc, ok := ev["requestContext"].(map[string]any); ok {
			replacePath(rc, "path")
			if h, ok := rc["http"].(map[string]any); ok {
				replacePath(h, "path")
			}
		}
		if pp, ok := ev["pathParameters"].(map[string]any); ok {
			pp["proxy"] = id
		}
	}
	out, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func setContentLength(ev map[string]any, n int) {
	v := strconv.Itoa(n)
	for _, member := range []string{"headers", "multiValueHeaders"} {
		h, _ := ev[member].(map[string]any)
		for k := range h {
			if strings.EqualFold(k, "content-length") {
				if member == "headers" {
					h[k] = v
				} else {
					h[k] = []any{v}
				}
			}
		}
	}
}

// answer is a response of any kind, reduced to what a client sees.
type answer struct {
	Status int
	Header http.Header // canonical names; one joined value for v2
	Body   string
}

// decodeAnswer reads an Invoke result of the given kind.
func decodeAnswer(t *testing.T, kind lambdaadapter.Kind, payload []byte) answer {
	t.Helper()
	switch kind {
	case lambdaadapter.APIGatewayV2:
		var r events.APIGatewayV2HTTPResponse
		if err := json.Unmarshal(payload, &r); err != nil {
			t.Fatal(err)
		}
		return answer{r.StatusCode, singleHeader(r.Headers), r.Body}
	case lambdaadapter.ALB:
		var r events.ALBTargetGroupResponse
		if err := json.Unmarshal(payload, &r); err != nil {
			t.Fatal(err)
		}
		if r.Headers != nil {
			return answer{r.StatusCode, singleHeader(r.Headers), r.Body}
		}
		return answer{r.StatusCode, http.Header(r.MultiValueHeaders), r.Body}
	default:
		var r events.APIGatewayProxyResponse
		if err := json.Unmarshal(payload, &r); err != nil {
			t.Fatal(err)
		}
		return answer{r.StatusCode, http.Header(r.MultiValueHeaders), r.Body}
	}
}

func singleHeader(m map[string]string) http.Header {
	h := http.Header{}
	for k, v := range m {
		h.Set(k, v)
	}
	return h
}

// The stage every API Gateway event below is sent through, as SAM names
// the one it creates.
const stage = "Prod"

// v1Event is r as a REST API proxy integration delivers it: the path
// without the stage, URL-decoded; every header both in headers (last
// value) and multiValueHeaders; the query decoded, likewise.
func v1Event(r *http.Request, body string) events.APIGatewayProxyRequest {
	ev := events.APIGatewayProxyRequest{
		Resource:          "/{proxy+}",
		Path:              r.URL.Path,
		HTTPMethod:        r.Method,
		Headers:           map[string]string{},
		MultiValueHeaders: map[string][]string{},
		Body:              body,
		RequestContext: events.APIGatewayProxyRequestContext{
			Stage:      stage,
			Path:       "/" + stage + r.URL.Path,
			HTTPMethod: r.Method,
			DomainName: "abcdef1234.execute-api.eu-west-1.amazonaws.com",
			Identity:   events.APIGatewayRequestIdentity{SourceIP: "203.0.113.10"},
		},
	}
	for k, vs := range r.Header {
		ev.MultiValueHeaders[k] = vs
		ev.Headers[k] = vs[len(vs)-1]
	}
	if q := r.URL.Query(); len(q) > 0 {
		ev.QueryStringParameters = map[string]string{}
		ev.MultiValueQueryStringParameters = map[string][]string{}
		for k, vs := range q {
			ev.MultiValueQueryStringParameters[k] = vs
			ev.QueryStringParameters[k] = vs[len(vs)-1]
		}
	}
	return ev
}

// v2Event is r as an HTTP API delivers it on a named stage: rawPath with
// the stage in front, the raw query string as sent, header names in
// lower case and repeated headers joined with commas.
func v2Event(r *http.Request, body string) events.APIGatewayV2HTTPRequest {
	ev := events.APIGatewayV2HTTPRequest{
		Version:        "2.0",
		RouteKey:       "$default",
		RawPath:        "/" + stage + r.URL.EscapedPath(),
		RawQueryString: r.URL.RawQuery,
		Headers:        map[string]string{},
		Body:           body,
		RequestContext: events.APIGatewayV2HTTPRequestContext{
			Stage:      stage,
			DomainName: "ghijkl5678.execute-api.eu-west-1.amazonaws.com",
			HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{
				Method: r.Method, Path: "/" + stage + r.URL.Path, Protocol: "HTTP/1.1", SourceIP: "203.0.113.10",
			},
		},
	}
	for k, vs := range r.Header {
		ev.Headers[strings.ToLower(k)] = strings.Join(vs, ",")
	}
	return ev
}

// albEvent is r as an ALB target group delivers it: the query still
// URL-encoded, header names in lower case; with multi-value headers
// enabled on the target group (multi) or not.
func albEvent(r *http.Request, body string, multi bool) events.ALBTargetGroupRequest {
	ev := events.ALBTargetGroupRequest{
		HTTPMethod: r.Method,
		Path:       r.URL.EscapedPath(),
		Body:       body,
		RequestContext: events.ALBTargetGroupRequestContext{
			ELB: events.ELBContext{TargetGroupArn: "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/taskapi/6d0ecf831eec9f09"},
		},
	}
	var names []string
	query := map[string][]string{}
	for _, pair := range strings.Split(r.URL.RawQuery, "&") {
		if pair == "" {
			continue
		}
		k, v, _ := strings.Cut(pair, "=")
		if _, ok := query[k]; !ok {
			names = append(names, k)
		}
		query[k] = append(query[k], v)
	}
	sort.Strings(names)
	if multi {
		ev.MultiValueHeaders = map[string][]string{}
		for k, vs := range r.Header {
			ev.MultiValueHeaders[strings.ToLower(k)] = vs
		}
		ev.MultiValueQueryStringParameters = query
	} else {
		ev.Headers = map[string]string{}
		for k, vs := range r.Header {
			ev.Headers[strings.ToLower(k)] = vs[len(vs)-1]
		}
		ev.QueryStringParameters = map[string]string{}
		for k, vs := range query {
			ev.QueryStringParameters[k] = vs[len(vs)-1]
		}
	}
	return ev
}
