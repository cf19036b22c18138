package app

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
	"github.com/klauspost/compress/zstd"

	"taskapi/adapters/httpapi"
	"taskapi/adapters/httpapi/openapi"
	"taskapi/web"
)

// The integration suite holds the server to its OpenAPI document: the
// harness wraps every test server's handler in a contract check, which
// validates each request and each answer against the document that server
// itself serves (the auth service's, the task service's, or both). An
// answer the document does not describe (an undocumented status, a
// missing header, a field it does not list), or a request the server
// accepts although the document refuses it, fails the test that made it.

func init() {
	// The reference's files are text or bytes the document types as
	// strings; the validator needs to be told how to read them.
	for _, ct := range []string{"text/html", "text/javascript", "text/css", "image/png"} {
		openapi3filter.RegisterBodyDecoder(ct, openapi3filter.FileBodyDecoder)
	}
}

// contractDoc is one service set's document, parsed once per test binary.
type contractDoc struct {
	spec   *openapi3.T
	router routers.Router
}

var contractDocs sync.Map // openapi.Services -> func() (*contractDoc, error)

func loadContract(services openapi.Services) (*contractDoc, error) {
	load, _ := contractDocs.LoadOrStore(services, sync.OnceValues(func() (*contractDoc, error) {
		doc, err := httpapi.Document(services)
		if err != nil {
			return nil, err
		}
		spec, err := openapi3.NewLoader().LoadFromData(doc.JSON)
		if err != nil {
			return nil, err
		}
		if err := spec.Validate(context.Background()); err != nil {
			return nil, err
		}
		router, err := gorillamux.NewRouter(spec)
		if err != nil {
			return nil, err
		}
		return &contractDoc{spec: spec, router: router}, nil
	}))
	return load.(func() (*contractDoc, error))()
}

// servicesOf is the service set a configuration serves.
func servicesOf(cfg Config) openapi.Services {
	return openapi.Services{Auth: cfg.Service != serviceTask, Tasks: cfg.Service != serviceAuth}
}

// contract is the check of one test server.
type contract struct {
	doc *contractDoc
	t   testing.TB

	mu         sync.Mutex
	violations []string
	checked    int
}

// withContract makes cfg's server check itself against its document; the
// violations fail t when the test ends. Benchmarks are left alone (nil):
// the check would be most of what they measure.
func withContract(t testing.TB, cfg *Config) *contract {
	if _, ok := t.(*testing.T); !ok {
		return nil
	}
	doc, err := loadContract(servicesOf(*cfg))
	if err != nil {
		t.Fatalf("the OpenAPI document does not load: %v", err)
	}
	c := &contract{doc: doc, t: t}
	cfg.wrapAPI = c.wrap
	t.Cleanup(c.report)
	return c
}

// exchanges is how many request and answer pairs the check has seen.
func (c *contract) exchanges() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.checked
}

func (c *contract) report() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, v := range c.violations {
		c.t.Errorf("OpenAPI contract: %s", v)
	}
}

func (c *contract) fail(r *http.Request, format string, args ...any) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.violations = append(c.violations, fmt.Sprintf("%s %s: ", r.Method, r.URL.RequestURI())+fmt.Sprintf(format, args...))
}

// wrap runs the request, then checks it and the answer. The server's
// behaviour is left exactly as it is: the request body is recorded as the
// handler reads it, and the answer as it is written.
func (c *contract) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body := &teeBody{ReadCloser: r.Body}
		r.Body = body
		rec := &answerRecorder{ResponseWriter: w}
		next.ServeHTTP(rec, r)
		if r.Context().Err() != nil || rec.status == httpapi.StatusClientClosedRequest {
			return // the client left: nobody received an answer to check
		}
		if rec.status == 0 { // nothing written: net/http sends a bare 200
			rec.status, rec.header = http.StatusOK, w.Header().Clone()
		}
		if isPreflight(r) {
			return // answered by the CORS layer, which the README describes
		}
		if isWebAppPage(r) {
			return // the web app's files are pages for people, not the API
		}
		c.check(r, body, rec)
	})
}

// isPreflight reports a CORS preflight request, which the CORS middleware
// answers before any route.
func isPreflight(r *http.Request) bool {
	return r.Method == http.MethodOptions && r.Header.Get("Origin") != "" && r.Header.Get("Access-Control-Request-Method") != ""
}

// webAppPages are the exact paths of the web app's files (docs/webapp.md),
// which the all-in-one server answers besides the API.
var webAppPages = sync.OnceValue(func() map[string]bool {
	pages := map[string]bool{}
	if site, err := web.Load(); err == nil {
		for _, p := range site.Paths() {
			pages[p] = true
		}
	}
	return pages
})

// isWebAppPage reports a request for one of the web app's files.
func isWebAppPage(r *http.Request) bool {
	return (r.Method == http.MethodGet || r.Method == http.MethodHead) && webAppPages()[r.URL.Path]
}

func (c *contract) check(r *http.Request, body *teeBody, rec *answerRecorder) {
	c.mu.Lock()
	c.checked++
	c.mu.Unlock()
	route, pathParams, err := c.doc.router.FindRoute(r)
	if err != nil {
		// Not a documented operation: the answer must be the documented
		// 404 or 405.
		status := http.StatusNotFound
		if errors.Is(err, routers.ErrMethodNotAllowed) {
			status = http.StatusMethodNotAllowed
		}
		if rec.status != status {
			c.fail(r, "no documented operation (%v), yet the answer is %d, not %d: %s", err, rec.status, status, rec.excerpt())
			return
		}
		c.checkErrorShape(r, rec, status)
		return
	}

	// The request as the handler saw it. A body without a Content-Type is
	// read as JSON, as the document says; a key repeated in a JSON object
	// counts once, with its last value, as the server reads it.
	req := r.Clone(context.Background())
	req.Body = io.NopCloser(bytes.NewReader(lastKeyWins(body.seen.Bytes())))
	if req.Header.Get("Content-Type") == "" && body.seen.Len() > 0 {
		req.Header.Set("Content-Type", "application/json")
	}
	input := &openapi3filter.RequestValidationInput{
		Request:    req,
		PathParams: pathParams,
		Route:      route,
		Options: &openapi3filter.Options{
			// Whether the token is good is the server's business; the
			// document's part, that the route needs one, is checked by
			// TestDocumentedSecurityIsTheRouters.
			AuthenticationFunc: openapi3filter.NoopAuthenticationFunc,
			// A body the handler did not read in full (refused before, or
			// over the size limit) cannot be judged.
			ExcludeRequestBody:    !body.eof,
			IncludeResponseStatus: true,
			SkipSettingDefaults:   true,
		},
	}
	reqErr := openapi3filter.ValidateRequest(context.Background(), input)

	op := route.Operation
	if op.Responses.Status(rec.status) == nil {
		c.fail(r, "answered %d, which the document does not list for this operation: %s", rec.status, rec.excerpt())
		return
	}
	if reqErr != nil && (rec.status < 400 || rec.status >= 500) {
		c.fail(r, "the document refuses this request (%v), yet the server answered %d", reqErr, rec.status)
		return
	}
	if r.Method == http.MethodHead {
		if rec.body.Len() != 0 {
			c.fail(r, "a HEAD answer has a body")
		}
		return // the validator does not look at HEAD answers; the status is listed
	}
	// The document describes the representation; a compressed answer
	// is judged as it decodes.
	answer, err := rec.decoded()
	if err != nil {
		c.fail(r, "the %s answer does not decode: %v", rec.header.Get("Content-Encoding"), err)
		return
	}
	err = openapi3filter.ValidateResponse(context.Background(), &openapi3filter.ResponseValidationInput{
		RequestValidationInput: input,
		Status:                 rec.status,
		Header:                 rec.header,
		Body:                   io.NopCloser(bytes.NewReader(answer)),
		Options:                input.Options,
	})
	if err != nil {
		c.fail(r, "the answer %d does not match the document: %v; body %s", rec.status, err, rec.excerpt())
	}
}

// checkErrorShape validates an answer that no operation describes (an
// unknown path, or a known one with another method) against the
// document's shared response for its status.
func (c *contract) checkErrorShape(r *http.Request, rec *answerRecorder, status int) {
	name := map[int]string{http.StatusNotFound: "NotFound", http.StatusMethodNotAllowed: "MethodNotAllowed"}[status]
	resp := c.doc.spec.Components.Responses[name]
	if resp == nil || resp.Value == nil {
		c.fail(r, "the document has no components.responses.%s", name)
		return
	}
	for header, h := range resp.Value.Headers {
		if h.Value.Required && rec.header.Get(header) == "" {
			c.fail(r, "the %d answer lacks the %s header", status, header)
		}
	}
	if r.Method == http.MethodHead {
		return
	}
	if ct := rec.header.Get("Content-Type"); ct != "application/json" {
		c.fail(r, "the %d answer is %q, not JSON", status, ct)
		return
	}
	value, err := decodeJSONValue(rec.body.Bytes())
	if err == nil {
		err = resp.Value.Content.Get("application/json").Schema.Value.VisitJSON(value)
	}
	if err != nil {
		c.fail(r, "the %d answer does not match components.responses.%s: %v; body %s", status, name, err, rec.excerpt())
	}
}

// lastKeyWins re-encodes a JSON body with each repeated key once, holding
// its last value (encoding/json's reading); anything else is left as it is.
func lastKeyWins(body []byte) []byte {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber() // keep every digit of a number
	var v any
	if dec.Decode(&v) != nil || dec.More() {
		return body
	}
	out, err := json.Marshal(v)
	if err != nil {
		return body
	}
	return out
}

func decodeJSONValue(b []byte) (any, error) {
	var v any
	err := json.Unmarshal(b, &v)
	return v, err
}

// teeBody keeps what the handler reads of the request body, and whether
// it read to the end.
type teeBody struct {
	io.ReadCloser
	seen bytes.Buffer
	eof  bool
}

func (b *teeBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	b.seen.Write(p[:n])
	if err == io.EOF {
		b.eof = true
	}
	return n, err
}

// answerRecorder passes the answer through and keeps a copy: the status,
// the headers as they were when it was sent, and the body.
type answerRecorder struct {
	http.ResponseWriter
	status int
	header http.Header
	body   bytes.Buffer
}

func (a *answerRecorder) WriteHeader(status int) {
	if a.status == 0 {
		a.status = status
		a.header = a.ResponseWriter.Header().Clone()
	}
	a.ResponseWriter.WriteHeader(status)
}

func (a *answerRecorder) Write(b []byte) (int, error) {
	if a.status == 0 {
		a.WriteHeader(http.StatusOK)
	}
	a.body.Write(b)
	return a.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection's writer.
func (a *answerRecorder) Unwrap() http.ResponseWriter { return a.ResponseWriter }

// decoded is the answer's body with its content coding undone.
func (a *answerRecorder) decoded() ([]byte, error) {
	var rd io.Reader
	switch ce := a.header.Get("Content-Encoding"); ce {
	case "":
		return a.body.Bytes(), nil
	case "gzip":
		zr, err := gzip.NewReader(bytes.NewReader(a.body.Bytes()))
		if err != nil {
			return nil, err
		}
		rd = zr
	case "zstd":
		zr, err := zstd.NewReader(bytes.NewReader(a.body.Bytes()))
		if err != nil {
			return nil, err
		}
		defer zr.Close()
		rd = zr
	default:
		return nil, fmt.Errorf("unknown content coding %q", ce)
	}
	return io.ReadAll(rd)
}

func (a *answerRecorder) excerpt() string {
	s := a.body.String()
	if len(s) > 300 {
		s = s[:300] + "…"
	}
	return strings.TrimSpace(s)
}

// TestContractCheckCatchesWhatTheDocumentDoesNotSay: the check is not a
// formality. Each answer here breaks the document in one way, and each
// must be reported; the conforming one must not.
func TestContractCheckCatchesWhatTheDocumentDoesNotSay(t *testing.T) {
	t.Parallel()
	doc, err := loadContract(openapi.Services{Auth: true, Tasks: true})
	if err != nil {
		t.Fatal(err)
	}
	health := `{"status":"ok","service":"taskapi"}`
	cases := []struct {
		name, method, path, body string
		status                   int
		answer                   string
		headers                  map[string]string
		violation                string // "" for a conforming exchange
	}{
		{"conforming", "GET", "/health", "", 200, health, nil, ""},
		{"undocumented status", "GET", "/health", "", 418, `{"error":"I'm a teapot","message":"no"}`, nil, "does not list"},
		{"undocumented field", "GET", "/health", "", 200, `{"status":"ok","service":"taskapi","uptime":3}`, nil, "does not match"},
		{"missing X-Request-ID", "GET", "/health", "", 200, health, map[string]string{"X-Request-ID": ""}, "does not match"},
		{"429 without Retry-After", "POST", "/auth/login", `{"username":"a","password":"b"}`, 429, `{"error":"Too Many Requests","message":"slow down"}`, nil, "does not match"},
		{"unknown field accepted", "POST", "/auth/login", `{"username":"a","password":"b","remember":true}`, 200, `{}`, nil, "refuses this request"},
		{"error without message", "GET", "/nope", "", 404, `{"error":"Not Found"}`, nil, "does not match"},
		{"unknown path not a 404", "GET", "/nope", "", 200, health, nil, "not 404"},
		{"405 without Allow", "PATCH", "/health", "", 405, `{"error":"Method Not Allowed","message":"no"}`, map[string]string{"Allow": ""}, "Allow"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := &contract{doc: doc, t: t}
			h := c.wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				_, _ = io.ReadAll(r.Body)
				w.Header().Set("Content-Type", "application/json")
				w.Header().Set("X-Request-ID", "abc")
				w.Header().Set("Allow", "GET, HEAD")
				for k, v := range tc.headers {
					w.Header().Del(k)
					if v != "" {
						w.Header().Set(k, v)
					}
				}
				w.WriteHeader(tc.status)
				_, _ = io.WriteString(w, tc.answer)
			}))
			req, _ := http.NewRequest(tc.method, "http://127.0.0.1"+tc.path, strings.NewReader(tc.body))
			h.ServeHTTP(httptest.NewRecorder(), req)
			got := strings.Join(c.violations, "\n")
			switch {
			case tc.violation == "" && got != "":
				t.Fatalf("a conforming exchange was reported: %s", got)
			case tc.violation != "" && !strings.Contains(got, tc.violation):
				t.Fatalf("violations %q, want one saying %q", got, tc.violation)
			}
		})
	}
}
