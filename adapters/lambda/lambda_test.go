package lambda_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/awslabs/aws-lambda-go-api-proxy/core"
	"github.com/awslabs/aws-lambda-go-api-proxy/httpadapter"

	"taskapi/adapters/httpapi"
	lambdaadapter "taskapi/adapters/lambda"
)

var generatedID = regexp.MustCompile(`^[0-9a-f]{32}$`)

// TestDetect: every sample event is told for what it is, and events that
// are not HTTP requests are refused rather than guessed.
func TestDetect(t *testing.T) {
	for _, kind := range kinds {
		for _, name := range []string{"register", "login", "create-task", "get-task"} {
			got, err := lambdaadapter.Detect(sampleEvent(t, kind, name, "alice", "t", ""))
			if err != nil || got != kind {
				t.Errorf("%s/%s: Detect = %q, %v", kind, name, got, err)
			}
		}
	}
	// An HTTP API with payload format 1.0 sends the v1 shape with version "1.0".
	if got, err := lambdaadapter.Detect([]byte(`{"version":"1.0","httpMethod":"GET","path":"/health","requestContext":{"stage":"$default"}}`)); got != lambdaadapter.APIGatewayV1 || err != nil {
		t.Errorf("payload 1.0 from an HTTP API: Detect = %q, %v", got, err)
	}
	for _, payload := range []string{
		`{}`, `[]`, `"GET /"`, `not json`,
		`{"version":"0","source":"aws.events","detail-type":"Scheduled Event","detail":{}}`,
		`{"Records":[{"eventSource":"aws:sqs","body":"x"}]}`,
	} {
		if got, err := lambdaadapter.Detect([]byte(payload)); !errors.Is(err, lambdaadapter.ErrUnknownEvent) {
			t.Errorf("Detect(%s) = %q, %v; want ErrUnknownEvent", payload, got, err)
		}
		if _, err := lambdaadapter.New(http.NotFoundHandler()).Invoke(context.Background(), []byte(payload)); !errors.Is(err, lambdaadapter.ErrUnknownEvent) {
			t.Errorf("Invoke(%s) error = %v; want ErrUnknownEvent", payload, err)
		}
	}
}

// TestFlowThroughEveryEventKind drives register → login → create → get
// with the sample events of each kind, through Invoke as the Lambda
// runtime calls it.
func TestFlowThroughEveryEventKind(t *testing.T) {
	h := lambdaadapter.New(newAPI(t))
	for _, kind := range kinds {
		t.Run(string(kind), func(t *testing.T) {
			runFlow(t, kind, "alice_"+strings.ReplaceAll(string(kind), "-", "_"), func(payload []byte) ([]byte, error) {
				return h.Invoke(context.Background(), payload)
			})
		})
	}
}

// runFlow drives register → login → create → get, then a get without a
// token, with the sample events of kind, through invoke; it checks the
// status, the headers every answer carries, and the body at every step.
func runFlow(t *testing.T, kind lambdaadapter.Kind, user string, invoke func([]byte) ([]byte, error)) {
	t.Helper()
	step := func(name, token, id string, status int) map[string]any {
		t.Helper()
		out, err := invoke(sampleEvent(t, kind, name, user, token, id))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		a := decodeAnswer(t, kind, out)
		if a.Status != status {
			t.Fatalf("%s: status %d, want %d; body %s", name, a.Status, status, a.Body)
		}
		for k, want := range map[string]string{"Content-Type": "application/json", "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"} {
			if got := a.Header.Get(k); got != want {
				t.Errorf("%s: %s = %q, want %q", name, k, got, want)
			}
		}
		if id := a.Header.Get("X-Request-Id"); !generatedID.MatchString(id) {
			t.Errorf("%s: X-Request-Id = %q", name, id)
		}
		var body map[string]any
		if err := json.Unmarshal([]byte(a.Body), &body); err != nil {
			t.Fatalf("%s: body %q: %v", name, a.Body, err)
		}
		return body
	}

	reg := step("register", "", "", http.StatusCreated)
	if reg["message"] != "User registered successfully" || field(reg, "user", "username") != user || field(reg, "user", "email") != user+"@example.com" {
		t.Errorf("register: %v", reg)
	}
	login := step("login", "", "", http.StatusOK)
	token, _ := login["token"].(string)
	if token == "" || login["token_type"] != "Bearer" || login["expires_in"] != 3600.0 || field(login, "user", "username") != user {
		t.Fatalf("login: %v", login)
	}
	created := step("create-task", token, "", http.StatusCreated)
	id := fmt.Sprint(field(created, "task", "id"))
	if created["message"] != "Task created successfully" || field(created, "task", "title") != "Buy milk" ||
		field(created, "task", "priority") != "high" || field(created, "task", "status") != "pending" ||
		field(created, "task", "due_date") != "2026-12-01T00:00:00Z" || field(created, "task", "user_id") != field(login, "user", "id") {
		t.Errorf("create: %v", created)
	}
	got := step("get-task", token, id, http.StatusOK)
	if fmt.Sprint(field(got, "task", "id")) != id || field(got, "task", "title") != "Buy milk" || field(got, "task", "description") != "2 litres" {
		t.Errorf("get: %v", got)
	}
	// The same event with no usable token: the API's 401.
	denied := step("get-task", "", id, http.StatusUnauthorized)
	if denied["error"] != "Unauthorized" || denied["message"] != "Invalid token" {
		t.Errorf("get without a token: %v", denied)
	}
}

func field(m map[string]any, obj, name string) any {
	inner, _ := m[obj].(map[string]any)
	return inner[name]
}

// TestSameAnswersAsNetHTTP sends each request to the same handler through
// net/http (httptest) and as every event kind, and requires the same
// status, headers and body: multi-value headers and query strings, error
// bodies and statuses included.
func TestSameAnswersAsNetHTTP(t *testing.T) {
	api := newAPI(t)
	h := lambdaadapter.New(api)

	// A user with two tasks, made through net/http.
	serve := func(method, target, token, body string) *httptest.ResponseRecorder {
		r := httptest.NewRequest(method, target, strings.NewReader(body))
		if body != "" {
			r.Header.Set("Content-Type", "application/json")
		}
		if token != "" {
			r.Header.Set("Authorization", "Bearer "+token)
		}
		w := httptest.NewRecorder()
		api.ServeHTTP(w, r)
		return w
	}
	if w := serve("POST", "/auth/register", "", `{"username":"carol","email":"carol@example.com","password":"correct horse"}`); w.Code != 201 {
		t.Fatalf("register: %d %s", w.Code, w.Body)
	}
	var login struct{ Token string }
	if err := json.Unmarshal(serve("POST", "/auth/login", "", `{"username":"carol","password":"correct horse"}`).Body.Bytes(), &login); err != nil || login.Token == "" {
		t.Fatalf("login: %v", err)
	}
	var created struct{ Task struct{ ID int64 } }
	for _, body := range []string{`{"title":"One","status":"in_progress","priority":"high","due_date":"2026-12-01"}`, `{"title":"Two","status":"completed"}`} {
		w := serve("POST", "/tasks", login.Token, body)
		if err := json.Unmarshal(w.Body.Bytes(), &created); err != nil || w.Code != 201 {
			t.Fatalf("create: %d %s", w.Code, w.Body)
		}
	}
	bearer := "Bearer " + login.Token
	taskPath := fmt.Sprintf("/tasks/%d", created.Task.ID)

	cases := []struct {
		name, method, target, body string
		header                     http.Header
	}{
		{"list, multi-value query", "GET", "/tasks?status=in_progress&status=completed&sort=due_date&order=asc&limit=5", "", http.Header{"Authorization": {bearer}}},
		{"list, encoded query", "GET", "/tasks?status=in%5Fprogress&priority=%68igh", "", http.Header{"Authorization": {bearer}}},
		{"list, plus in query", "GET", "/tasks?status=in+progress", "", http.Header{"Authorization": {bearer}}},
		{"list, bad limit", "GET", "/tasks?limit=many", "", http.Header{"Authorization": {bearer}}},
		{"list, next page", "GET", "/tasks?sort=priority&limit=1", "", http.Header{"Authorization": {bearer}}},
		{"get", "GET", taskPath, "", http.Header{"Authorization": {bearer}, "Accept": {"application/json", "text/plain"}}},
		{"get, unknown id", "GET", "/tasks/999999", "", http.Header{"Authorization": {bearer}}},
		{"get, malformed id", "GET", "/tasks/abc", "", http.Header{"Authorization": {bearer}}},
		{"no token", "GET", "/tasks", "", nil},
		{"two Authorization headers", "GET", "/tasks", "", http.Header{"Authorization": {bearer, bearer}}},
		{"wrong scheme", "GET", "/tasks", "", http.Header{"Authorization": {"Basic Y2Fyb2w6eA=="}}},
		{"me", "GET", "/auth/me", "", http.Header{"Authorization": {bearer}}},
		{"delete account, no password", "DELETE", "/auth/me", `{}`, http.Header{"Authorization": {bearer}, "Content-Type": {"application/json"}}},
		{"not JSON", "POST", "/tasks", "title=x", http.Header{"Authorization": {bearer}, "Content-Type": {"text/plain"}}},
		{"malformed JSON", "POST", "/tasks", `{"title":`, http.Header{"Authorization": {bearer}, "Content-Type": {"application/json"}}},
		{"validation", "POST", "/tasks", `{"title":" ","priority":"urgent"}`, http.Header{"Authorization": {bearer}, "Content-Type": {"application/json"}}},
		{"too large", "POST", "/tasks", `{"title":"` + strings.Repeat("x", httpapi.MaxBodyBytes) + `"}`, http.Header{"Authorization": {bearer}, "Content-Type": {"application/json"}}},
		{"update, no field", "PUT", taskPath, `{}`, http.Header{"Authorization": {bearer}, "Content-Type": {"application/json"}}},
		{"wrong method", "DELETE", "/auth/login", "", nil},
		{"unknown route", "GET", "/nowhere", "", nil},
		{"login, wrong password", "POST", "/auth/login", `{"username":"carol","password":"wrong password"}`, http.Header{"Content-Type": {"application/json"}}},
		{"register, taken", "POST", "/auth/register", `{"username":"Carol","email":"c2@example.com","password":"correct horse"}`, http.Header{"Content-Type": {"application/json"}}},
		{"health", "GET", "/health?deep=1", "", nil},
		{"health, HEAD", "HEAD", "/tasks/health", "", nil},
	}
	// What some cases are there for, so that they keep testing it.
	// A multi-value query is 400 "Give status once" only when both values
	// reach the server: an event that kept one would give 200.
	premise := map[string]int{
		"list, multi-value query": 400, "list, encoded query": 200, "list, bad limit": 400, "list, next page": 200,
		"get": 200, "get, unknown id": 404, "no token": 401, "two Authorization headers": 401,
		"not JSON": 415, "validation": 400, "too large": 413, "wrong method": 405,
		"unknown route": 404, "register, taken": 409, "health, HEAD": 200,
		"delete account, no password": 400,
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			request := func() *http.Request {
				r := httptest.NewRequest(c.method, c.target, strings.NewReader(c.body))
				for k, vs := range c.header {
					r.Header[k] = vs
				}
				// A fixed id, so that the header sets compare whole.
				r.Header.Set("X-Request-ID", fmt.Sprintf("same-answer-%d", i))
				return r
			}
			w := httptest.NewRecorder()
			api.ServeHTTP(w, request())
			res := w.Result()
			want := answer{res.StatusCode, res.Header, w.Body.String()}
			if s, ok := premise[c.name]; ok && want.Status != s || want.Status >= 500 {
				t.Fatalf("net/http: %d %s; the case is meant to give %d", want.Status, want.Body, s)
			}
			if c.name == "list, next page" && !strings.Contains(want.Header.Get("Link"), `rel="next"`) {
				t.Fatalf("net/http: no Link to the next page: %v", want.Header)
			}

			ctx := context.Background()
			v1 := h.ServeAPIGatewayV1(ctx, v1Event(request(), c.body))
			compare(t, "apigw-v1", want, answer{v1.StatusCode, v1.MultiValueHeaders, v1.Body}, false)
			v2 := h.ServeAPIGatewayV2(ctx, v2Event(request(), c.body))
			compare(t, "apigw-v2", want, answer{v2.StatusCode, singleHeader(v2.Headers), v2.Body}, true)
			alb := h.ServeALB(ctx, albEvent(request(), c.body, true))
			compare(t, "alb (multi-value headers)", want, answer{alb.StatusCode, alb.MultiValueHeaders, alb.Body}, false)
			if alb.StatusDescription != fmt.Sprintf("%d %s", want.Status, http.StatusText(want.Status)) || alb.Headers != nil {
				t.Errorf("alb: statusDescription %q, headers %v", alb.StatusDescription, alb.Headers)
			}
			if repeats(request()) {
				return // without multi-value headers the ALB passes only the last value
			}
			single := h.ServeALB(ctx, albEvent(request(), c.body, false))
			compare(t, "alb (single-value headers)", want, answer{single.StatusCode, singleHeader(single.Headers), single.Body}, true)
			if single.MultiValueHeaders != nil {
				t.Errorf("single-value alb answered with multiValueHeaders %v", single.MultiValueHeaders)
			}
		})
	}
}

// repeats tells whether r repeats a header or a query parameter.
func repeats(r *http.Request) bool {
	for _, vs := range r.Header {
		if len(vs) > 1 {
			return true
		}
	}
	for _, vs := range r.URL.Query() {
		if len(vs) > 1 {
			return true
		}
	}
	return false
}

// compare fails unless got is want. joined: got can hold only one value
// per header, so want's repeated values are compared comma-joined.
func compare(t *testing.T, kind string, want, got answer, joined bool) {
	t.Helper()
	if got.Status != want.Status {
		t.Errorf("%s: status %d, net/http %d", kind, got.Status, want.Status)
	}
	if got.Body != want.Body {
		t.Errorf("%s: body\n%s\nnet/http\n%s", kind, got.Body, want.Body)
	}
	wantHeader := want.Header
	if joined {
		wantHeader = http.Header{}
		for k, vs := range want.Header {
			wantHeader.Set(k, strings.Join(vs, ","))
		}
	}
	if fmt.Sprint(got.Header) != fmt.Sprint(wantHeader) {
		t.Errorf("%s: headers\n%v\nnet/http\n%v", kind, got.Header, wantHeader)
	}
}

// TestTrapALBIsNotTakenForV1: the library's switchable adapter decides
// v1 or v2 by the presence of multiValueQueryStringParameters or
// rawQueryString, so it takes an ALB event with multi-value headers for
// an API Gateway v1 one (and refuses one without). Detect looks at
// requestContext.elb, and the answer has the ALB's shape.
func TestTrapALBIsNotTakenForV1(t *testing.T) {
	h := lambdaadapter.New(newAPI(t))
	// The sample event is what an ALB with multi-value headers sends;
	// without them it sends headers and queryStringParameters instead.
	multi := sampleEvent(t, lambdaadapter.ALB, "register", "alb_user", "", "")
	single := []byte(`{"requestContext":{"elb":{"targetGroupArn":"arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/taskapi/6d0ecf831eec9f09"}},
		"httpMethod":"GET","path":"/auth/health","queryStringParameters":{},"headers":{"accept":"application/json","host":"example.com"},"body":"","isBase64Encoded":false}`)

	var sw core.SwitchableAPIGatewayRequest
	if err := json.Unmarshal(multi, &sw); err != nil || sw.Version1() == nil {
		t.Errorf("the switchable adapter no longer takes an ALB event for v1 (err %v): this test's premise is gone", err)
	}
	for name, c := range map[string]struct {
		payload []byte
		status  int
	}{"multi-value": {multi, 201}, "single-value": {single, 200}} {
		if kind, err := lambdaadapter.Detect(c.payload); kind != lambdaadapter.ALB || err != nil {
			t.Fatalf("%s: Detect = %q, %v", name, kind, err)
		}
		out, err := h.Invoke(context.Background(), c.payload)
		if err != nil {
			t.Fatal(err)
		}
		var resp map[string]any
		if err := json.Unmarshal(out, &resp); err != nil {
			t.Fatal(err)
		}
		if resp["statusCode"] != float64(c.status) || resp["statusDescription"] != fmt.Sprintf("%d %s", c.status, http.StatusText(c.status)) {
			t.Errorf("%s: %v", name, resp)
		}
		mv, _ := resp["multiValueHeaders"].(map[string]any)
		sv, _ := resp["headers"].(map[string]any)
		if name == "multi-value" && (mv["Content-Type"] == nil || sv != nil) ||
			name == "single-value" && (sv["Content-Type"] != "application/json" || mv != nil) {
			t.Errorf("%s: headers %v, multiValueHeaders %v", name, sv, mv)
		}
	}
}

// TestTrapHandlerThatWritesNothing: net/http answers 200 with an empty
// body; the library fails the invocation ("Status code not set"), which
// API Gateway turns into a 502.
func TestTrapHandlerThatWritesNothing(t *testing.T) {
	silent := http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})
	ctx := context.Background()
	r := httptest.NewRequest("POST", "/tasks", nil)
	if _, err := httpadapter.New(silent).ProxyWithContext(ctx, v1Event(r, "")); err == nil {
		t.Error("the library now answers a silent handler: this test's premise is gone")
	}
	h := lambdaadapter.New(silent)
	for kind, payload := range map[string]any{
		"apigw-v1": v1Event(r, ""), "apigw-v2": v2Event(r, ""), "alb": albEvent(r, "", true),
	} {
		raw, _ := json.Marshal(payload)
		out, err := h.Invoke(ctx, raw)
		if err != nil {
			t.Errorf("%s: %v", kind, err)
			continue
		}
		if a := decodeAnswer(t, lambdaadapter.Kind(kind), out); a.Status != http.StatusOK || a.Body != "" {
			t.Errorf("%s: %d %q, want 200 and no body", kind, a.Status, a.Body)
		}
	}
	// Only the first status counts, as with net/http.
	twice := lambdaadapter.New(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusAccepted)
		w.WriteHeader(http.StatusTeapot)
	}))
	if got := twice.ServeAPIGatewayV1(ctx, v1Event(r, "")); got.StatusCode != http.StatusAccepted {
		t.Errorf("status written twice: %d, want the first, 202", got.StatusCode)
	}
}

// echoHeaders answers with the request's headers as JSON.
var echoHeaders = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(r.Header)
})

// TestTrapV2HeadersKeepTheirCommas: an HTTP API event carries one string
// per header; the library splits it on commas (all but a few headers),
// so a value containing one is cut up. Values must arrive as net/http
// reads a header line: whole.
func TestTrapV2HeadersKeepTheirCommas(t *testing.T) {
	ctx := context.Background()
	r := httptest.NewRequest("GET", "/echo", nil)
	r.Header.Set("User-Agent", "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko)")
	r.Header.Set("If-None-Match", `"a,b", "c"`)
	r.Header.Set("X-Signature", "t=1492774577,v1=5257a869e7ec")
	r.Header.Set("Cookie", "a=1; b=2")
	ev := v2Event(r, "")
	// API Gateway moves cookies out of the headers.
	delete(ev.Headers, "cookie")
	ev.Cookies = []string{"a=1", "b=2"}

	var split http.Header
	res, _ := httpadapter.NewV2(echoHeaders).ProxyWithContext(ctx, ev)
	_ = json.Unmarshal([]byte(res.Body), &split)
	if len(split["X-Signature"]) < 2 {
		t.Error("the library no longer splits v2 headers on commas: this test's premise is gone")
	}

	var got http.Header
	out := lambdaadapter.New(echoHeaders).ServeAPIGatewayV2(ctx, ev)
	if err := json.Unmarshal([]byte(out.Body), &got); err != nil {
		t.Fatal(err)
	}
	delete(r.Header, "Host") // net/http keeps it in r.Host
	if fmt.Sprint(got) != fmt.Sprint(r.Header) {
		t.Errorf("headers seen by the handler\n%v\nsent\n%v", got, r.Header)
	}

	// Through the API: a request id with a comma is not a sane id, so
	// net/http answers with a fresh one; split, it would echo "abc".
	api := newAPI(t)
	r = httptest.NewRequest("GET", "/health", nil)
	r.Header.Set("X-Request-ID", "abc,def")
	resp := lambdaadapter.New(api).ServeAPIGatewayV2(ctx, v2Event(r, ""))
	if id := resp.Headers["X-Request-Id"]; !generatedID.MatchString(id) {
		t.Errorf("X-Request-ID abc,def answered with %q, want a generated id", id)
	}
}

// TestTrapStageInPath: an HTTP API on a named stage puts it in front of
// rawPath (/Prod/tasks); so does a REST API behind a custom domain mapped
// without a stage. The stage is stripped (StripBasePath), on a whole
// segment only.
func TestTrapStageInPath(t *testing.T) {
	api := newAPI(t)
	h := lambdaadapter.New(api)
	ctx := context.Background()
	health := func(stage, path string) events.APIGatewayV2HTTPRequest {
		ev := v2Event(httptest.NewRequest("GET", "/", nil), "")
		ev.RawPath, ev.RequestContext.HTTP.Path, ev.RequestContext.Stage = path, path, stage
		return ev
	}
	if res, _ := httpadapter.NewV2(api).ProxyWithContext(ctx, health("Prod", "/Prod/tasks/health")); res.StatusCode != http.StatusNotFound {
		t.Errorf("without StripBasePath /Prod/tasks/health answered %d: this test's premise is gone", res.StatusCode)
	}
	for _, c := range []struct {
		stage, path string
		status      int
	}{
		{"Prod", "/Prod/tasks/health", 200},
		{"Prod", "/Prod/auth/health", 200},
		{"v1", "/v1/health", 200},
		{"$default", "/tasks/health", 200},
		{"", "/tasks/health", 200},
		{"Prod", "/tasks/health", 200},            // a REST API's path: no stage in it
		{"Prod", "/Production/tasks/health", 404}, // not the stage's segment
		{"Prod", "/Prod", 404},                    // the stage alone is "/", no route
		{"$default", "/$default/tasks/health", 404},
	} {
		got := h.ServeAPIGatewayV2(ctx, health(c.stage, c.path))
		if got.StatusCode != c.status {
			t.Errorf("v2 stage %q %s: %d, want %d; %s", c.stage, c.path, got.StatusCode, c.status, got.Body)
		}
		v1 := v1Event(httptest.NewRequest("GET", "/", nil), "")
		v1.Path, v1.RequestContext.Stage = c.path, c.stage
		if got := h.ServeAPIGatewayV1(ctx, v1); got.StatusCode != c.status {
			t.Errorf("v1 stage %q %s: %d, want %d; %s", c.stage, c.path, got.StatusCode, c.status, got.Body)
		}
	}
	// The 404 names the path the router saw, as net/http's would.
	got := h.ServeAPIGatewayV2(ctx, health("Prod", "/Prod/nowhere"))
	if !strings.Contains(got.Body, `"No route for GET /nowhere"`) {
		t.Errorf("404 body %s", got.Body)
	}
}

// echoQuery answers with the request's decoded query as JSON.
var echoQuery = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(r.URL.Query())
})

// TestTrapALBQueryIsNotEscapedTwice: the ALB passes the query still
// URL-encoded and the library escapes it again (%3A becomes %253A), so
// the handler would see "%3A" where net/http sees ":".
func TestTrapALBQueryIsNotEscapedTwice(t *testing.T) {
	ctx := context.Background()
	raw := "when=2022-09-20T04%3A11%3A02&name=John+Henry&tag=a%2Cb&tag=c&empty=&title=caf%C3%A9%20%26%20more"
	r := httptest.NewRequest("GET", "/echo?"+raw, nil)
	want, _ := url.ParseQuery(raw)

	var twice url.Values
	res, _ := httpadapter.NewALB(echoQuery).ProxyWithContext(ctx, albEvent(r, "", true))
	_ = json.Unmarshal([]byte(res.Body), &twice)
	if twice.Get("when") == want.Get("when") {
		t.Error("the library no longer escapes ALB queries twice: this test's premise is gone")
	}

	h := lambdaadapter.New(echoQuery)
	for _, multi := range []bool{true, false} {
		var got url.Values
		out := h.ServeALB(ctx, albEvent(r, "", multi))
		if err := json.Unmarshal([]byte(out.Body), &got); err != nil {
			t.Fatal(err)
		}
		expect := want
		if !multi { // without multi-value headers the ALB keeps the last value
			expect = url.Values{}
			for k, vs := range want {
				expect[k] = vs[len(vs)-1:]
			}
		}
		if fmt.Sprint(got) != fmt.Sprint(expect) {
			t.Errorf("multi=%v: query seen by the handler %v, want %v", multi, got, expect)
		}
	}
}

// TestUnconvertibleEventIsABadRequest: an event the library cannot turn
// into a request is answered 400 in the API's error shape, not failed.
func TestUnconvertibleEventIsABadRequest(t *testing.T) {
	h := lambdaadapter.New(http.NotFoundHandler())
	ev := v1Event(httptest.NewRequest("POST", "/tasks", nil), "%%% not base64")
	ev.IsBase64Encoded = true
	got := h.ServeAPIGatewayV1(context.Background(), ev)
	var body map[string]any
	if err := json.Unmarshal([]byte(got.Body), &body); err != nil || got.StatusCode != 400 ||
		body["error"] != "Bad Request" || body["message"] != "Malformed request" || got.MultiValueHeaders["Content-Type"][0] != "application/json" {
		t.Errorf("got %d %v %s", got.StatusCode, got.MultiValueHeaders, got.Body)
	}
}

// TestCompressionByEventKind: an HTTP API and an ALB decode a base64 body,
// so /openapi.json reaches them gzip-compressed when the client asks; a
// REST API (no binaryMediaTypes in the template) would hand the client
// the base64 text, so its requests get the plain document.
func TestCompressionByEventKind(t *testing.T) {
	ctx := context.Background()
	r := httptest.NewRequest("GET", "/openapi.json", nil)
	r.Header.Set("Accept-Encoding", "gzip")
	h := lambdaadapter.New(newAPI(t))
	for kind, payload := range map[lambdaadapter.Kind]any{
		lambdaadapter.APIGatewayV1: v1Event(r, ""), lambdaadapter.APIGatewayV2: v2Event(r, ""), lambdaadapter.ALB: albEvent(r, "", true),
	} {
		raw, _ := json.Marshal(payload)
		out, err := h.Invoke(ctx, raw)
		if err != nil {
			t.Fatalf("%s: %v", kind, err)
		}
		var flag struct {
			IsBase64Encoded bool `json:"isBase64Encoded"`
		}
		_ = json.Unmarshal(out, &flag)
		a := decodeAnswer(t, kind, out)
		ce := a.Header.Get("Content-Encoding")
		if kind == lambdaadapter.APIGatewayV1 {
			if ce != "" || flag.IsBase64Encoded || !json.Valid([]byte(a.Body)) {
				t.Errorf("%s: Content-Encoding %q, base64 %v: want the plain document", kind, ce, flag.IsBase64Encoded)
			}
			continue
		}
		if ce != "gzip" || !flag.IsBase64Encoded {
			t.Fatalf("%s: Content-Encoding %q, base64 %v: want gzip, base64-encoded", kind, ce, flag.IsBase64Encoded)
		}
		zipped, err := base64.StdEncoding.DecodeString(a.Body)
		if err != nil {
			t.Fatalf("%s: %v", kind, err)
		}
		zr, err := gzip.NewReader(bytes.NewReader(zipped))
		if err != nil {
			t.Fatalf("%s: %v", kind, err)
		}
		doc, err := io.ReadAll(zr)
		if err != nil || !json.Valid(doc) {
			t.Errorf("%s: the body does not gunzip to JSON (%v)", kind, err)
		}
	}
}
