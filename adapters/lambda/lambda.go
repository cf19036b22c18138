// Package lambda runs the API's one http.Handler (the gorilla/mux router
// of adapters/httpapi, with its middleware) on AWS Lambda. It accepts the
// three HTTP event shapes Lambda delivers: API Gateway REST API proxy
// events (payload 1.0, also what an HTTP API sends with payload format
// 1.0), HTTP API and function URL events (payload 2.0), and Application
// Load Balancer target-group events. Each is converted by
// github.com/awslabs/aws-lambda-go-api-proxy's httpadapter, with the
// library's known gaps closed here so that a request reaches the router,
// and its answer leaves it, exactly as through net/http:
//
//   - ALB events are recognised as ALB (the library's switchable adapter
//     takes them for API Gateway v1) and answered in the ALB's shape:
//     "200 OK" status description, and single- or multi-value headers as
//     the target group sends them.
//   - A handler that writes nothing answers 200 with an empty body, as
//     net/http does, instead of the library's "Status code not set" error
//     (which API Gateway turns into a 502).
//   - HTTP API header values are taken as sent, not split on commas.
//   - A stage name in the path (/Prod/tasks) is stripped with the
//     library's StripBasePath.
//   - ALB query strings, which the ALB passes still URL-encoded, are not
//     encoded a second time.
//   - REST API requests lose Accept-Encoding, so nothing is compressed for
//     a REST API, which would hand the client base64 text.
//
// Nothing here knows the routes: the router answers everything,
// including 404 and 405, with the same JSON error bodies as on ECS.
package lambda

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/textproto"
	"sort"
	"strings"

	"github.com/aws/aws-lambda-go/events"
	"github.com/awslabs/aws-lambda-go-api-proxy/httpadapter"

	"taskapi/adapters/httpapi"
)

// Kind is the shape of an invocation event.
type Kind string

// The event kinds Handler serves.
const (
	APIGatewayV1 Kind = "apigw-v1" // REST API proxy integration (payload 1.0)
	APIGatewayV2 Kind = "apigw-v2" // HTTP API or function URL (payload 2.0)
	ALB          Kind = "alb"      // Application Load Balancer target group
)

// ErrUnknownEvent is returned for an event that is not an HTTP request
// from API Gateway, a function URL or an ALB (a scheduled event, a direct
// invocation with a custom payload, ...).
var ErrUnknownEvent = errors.New("not an API Gateway, function URL or ALB HTTP event")

// Detect tells the kind of an event from its JSON. The three shapes are
// told apart by fields each of them always has and the others never do:
// an ALB event has requestContext.elb (its target group), a payload 2.0
// event has version "2.0" and requestContext.http, and a payload 1.0
// event has httpMethod (and no elb). Fields both API Gateway shapes may
// carry, such as multiValueQueryStringParameters, which ALB events with
// multi-value headers carry too, decide nothing.
func Detect(payload []byte) (Kind, error) {
	var probe struct {
		Version        string `json:"version"`
		HTTPMethod     string `json:"httpMethod"`
		RequestContext struct {
			ELB  json.RawMessage `json:"elb"`
			HTTP json.RawMessage `json:"http"`
		} `json:"requestContext"`
	}
	if err := json.Unmarshal(payload, &probe); err != nil {
		return "", fmt.Errorf("%w: %v", ErrUnknownEvent, err)
	}
	present := func(m json.RawMessage) bool { return len(m) > 0 && string(m) != "null" }
	switch {
	case present(probe.RequestContext.ELB):
		return ALB, nil
	case probe.Version == "2.0" && present(probe.RequestContext.HTTP):
		return APIGatewayV2, nil
	case probe.HTTPMethod != "":
		return APIGatewayV1, nil
	}
	return "", ErrUnknownEvent
}

// Handler serves Lambda invocations with an http.Handler. It implements
// the aws-lambda-go lambda.Handler interface, so one function accepts
// every event kind: the same function can sit behind a REST API, an HTTP
// API and an ALB at once.
type Handler struct {
	api http.Handler // the API, behind the fixes the library needs
}

// New returns a Handler that serves every event with api.
func New(api http.Handler) *Handler {
	return &Handler{api: fix(api)}
}

// Invoke serves one invocation: it detects the event's kind, converts it
// into an *http.Request for the API and the API's answer into the
// response that kind of caller expects. An event that is not an HTTP
// request is an error (a failed invocation), never a guessed answer.
func (h *Handler) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	kind, err := Detect(payload)
	if err != nil {
		return nil, err
	}
	switch kind {
	case ALB:
		var ev events.ALBTargetGroupRequest
		if err := json.Unmarshal(payload, &ev); err != nil {
			return nil, fmt.Errorf("decode ALB event: %w", err)
		}
		return json.Marshal(h.ServeALB(ctx, ev))
	case APIGatewayV2:
		var ev events.APIGatewayV2HTTPRequest
		if err := json.Unmarshal(payload, &ev); err != nil {
			return nil, fmt.Errorf("decode API Gateway v2 event: %w", err)
		}
		return json.Marshal(h.ServeAPIGatewayV2(ctx, ev))
	default:
		var ev events.APIGatewayProxyRequest
		if err := json.Unmarshal(payload, &ev); err != nil {
			return nil, fmt.Errorf("decode API Gateway v1 event: %w", err)
		}
		return json.Marshal(h.ServeAPIGatewayV1(ctx, ev))
	}
}

// ServeAPIGatewayV1 answers a REST API proxy event (payload 1.0).
func (h *Handler) ServeAPIGatewayV1(ctx context.Context, ev events.APIGatewayProxyRequest) events.APIGatewayProxyResponse {
	a := httpadapter.New(h.api)
	if base := stagePrefix(ev.RequestContext.Stage, ev.Path); base != "" {
		a.StripBasePath(base)
	}
	resp, err := a.ProxyWithContext(withEvent(ctx, &ev), ev)
	if err != nil {
		status, header, body := malformed()
		return events.APIGatewayProxyResponse{StatusCode: status, Headers: map[string]string{}, MultiValueHeaders: header, Body: body}
	}
	// multiValueHeaders carries every header; an empty "headers" object
	// rather than null spares consumers that read "headers" first.
	if resp.Headers == nil {
		resp.Headers = map[string]string{}
	}
	return resp
}

// ServeAPIGatewayV2 answers an HTTP API or function URL event (payload
// 2.0). Such responses have no multi-value headers: API Gateway wants
// repeated response headers joined with commas (and Set-Cookie apart, in
// cookies), which the library does.
func (h *Handler) ServeAPIGatewayV2(ctx context.Context, ev events.APIGatewayV2HTTPRequest) events.APIGatewayV2HTTPResponse {
	a := httpadapter.NewV2(h.api)
	path := ev.RawPath
	if path == "" {
		path = ev.RequestContext.HTTP.Path
	}
	if base := stagePrefix(ev.RequestContext.Stage, path); base != "" {
		a.StripBasePath(base)
	}
	resp, err := a.ProxyWithContext(withEvent(ctx, &ev), ev)
	if err != nil {
		status, header, body := malformed()
		return events.APIGatewayV2HTTPResponse{StatusCode: status, Headers: joined(header), Body: body}
	}
	return resp
}

// ServeALB answers an ALB target-group event. The response carries its
// headers the way the target group sent the request's: multiValueHeaders
// if multi-value headers are enabled on it, else headers: the ALB reads
// only the member that matches its setting.
func (h *Handler) ServeALB(ctx context.Context, ev events.ALBTargetGroupRequest) events.ALBTargetGroupResponse {
	resp, err := httpadapter.NewALB(h.api).ProxyWithContext(withEvent(ctx, &ev), ev)
	if err != nil {
		status, header, body := malformed()
		resp = events.ALBTargetGroupResponse{StatusCode: status, MultiValueHeaders: header, Body: body}
	}
	// The ALB's documented form is "200 OK"; the library sends "OK".
	resp.StatusDescription = fmt.Sprintf("%d %s", resp.StatusCode, http.StatusText(resp.StatusCode))
	if ev.MultiValueHeaders == nil && ev.MultiValueQueryStringParameters == nil {
		resp.Headers, resp.MultiValueHeaders = joined(resp.MultiValueHeaders), nil
	} else {
		resp.Headers = nil
	}
	return resp
}

// stagePrefix returns "/"+stage if path starts with that segment, for
// StripBasePath, or "" when there is nothing to strip. An HTTP API's
// named stage (not $default) prefixes rawPath with it; a REST API's path
// normally lacks it, but carries it through a custom domain mapped
// without a stage. The match is on a whole segment: stage "Prod" does not
// strip "/Production/...". (So a stage must not be named after a route's
// first segment: auth, tasks or health.)
func stagePrefix(stage, path string) string {
	if stage == "" || stage == "$default" || strings.ContainsAny(stage, "/?#") {
		return ""
	}
	prefix := "/" + stage
	if path == prefix || strings.HasPrefix(path, prefix+"/") {
		return prefix
	}
	return ""
}

// eventKey carries the raw event to fix, which repairs what the library's
// conversion loses.
type eventKey struct{}

func withEvent(ctx context.Context, ev any) context.Context {
	return context.WithValue(ctx, eventKey{}, ev)
}

// fix wraps the API with the repairs the library's conversion needs; it
// runs after the library has built the request from the event.
func fix(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch ev := r.Context().Value(eventKey{}).(type) {
		case *events.APIGatewayProxyRequest:
			// A REST API passes a binary body (and a compressed one is
			// binary) to the client only for the media types listed in its
			// binaryMediaTypes, and otherwise sends the base64 text the
			// function returned. The template lists none, so answers to a
			// REST API stay uncompressed; an HTTP API, a function URL and
			// an ALB decode isBase64Encoded and get them compressed.
			r.Header.Del("Accept-Encoding")
		case *events.APIGatewayV2HTTPRequest:
			// API Gateway joins repeated headers with commas; the library
			// splits every header but a few on commas again, which breaks
			// values that contain one (User-Agent, a date, an id) and
			// makes them differ from what net/http sees. Take each value
			// as sent: one value, commas and all, as net/http reads one
			// header line.
			r.Header = headerAsSent(ev)
		case *events.ALBTargetGroupRequest:
			// The ALB passes the query string still URL-encoded, and the
			// library escapes it again (%3A becomes %253A). Rebuild the
			// raw query from the encoded pairs as they came.
			r.URL.RawQuery = rawQuery(ev)
			r.RequestURI = r.URL.RequestURI()
		}
		// net/http keeps Host out of the header map, in r.Host.
		if host := r.Header.Get("Host"); host != "" {
			r.Host = host
		}
		r.Header.Del("Host")

		sw := &statusWriter{ResponseWriter: w}
		next.ServeHTTP(sw, r)
		if !sw.wrote {
			// net/http answers 200 for a handler that writes nothing; the
			// library would fail the invocation ("Status code not set").
			sw.WriteHeader(http.StatusOK)
		}
	})
}

// statusWriter makes the library's response writer behave like
// net/http's: the first status written wins, and one is always written.
type statusWriter struct {
	http.ResponseWriter
	wrote bool
}

func (w *statusWriter) WriteHeader(status int) {
	if w.wrote {
		return
	}
	w.wrote = true
	w.ResponseWriter.WriteHeader(status)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if !w.wrote {
		w.WriteHeader(http.StatusOK)
	}
	return w.ResponseWriter.Write(b)
}

// headerAsSent returns an HTTP API event's headers with one value each.
func headerAsSent(ev *events.APIGatewayV2HTTPRequest) http.Header {
	h := make(http.Header, len(ev.Headers)+1)
	for k, v := range ev.Headers {
		key := textproto.CanonicalMIMEHeaderKey(k)
		h[key] = append(h[key], v)
	}
	// API Gateway moves Cookie headers into cookies; HTTP/1.1 sends them
	// as one header, its pairs separated by "; ".
	if len(ev.Cookies) > 0 {
		h["Cookie"] = []string{strings.Join(ev.Cookies, "; ")}
	}
	return h
}

// rawQuery rebuilds an ALB event's query string from its still-encoded
// names and values, in a stable order (names sorted, each name's values
// in the order sent).
func rawQuery(ev *events.ALBTargetGroupRequest) string {
	multi := ev.MultiValueQueryStringParameters
	if len(multi) == 0 {
		multi = make(map[string][]string, len(ev.QueryStringParameters))
		for k, v := range ev.QueryStringParameters {
			multi[k] = []string{v}
		}
	}
	names := make([]string, 0, len(multi))
	for k := range multi {
		names = append(names, k)
	}
	sort.Strings(names)
	var b strings.Builder
	for _, k := range names {
		for _, v := range multi[k] {
			if b.Len() > 0 {
				b.WriteByte('&')
			}
			b.WriteString(k)
			b.WriteByte('=')
			b.WriteString(v)
		}
	}
	return b.String()
}

// joined folds multi-value headers into one value each, comma-separated.
func joined(h map[string][]string) map[string]string {
	out := make(map[string]string, len(h))
	for k, v := range h {
		out[k] = strings.Join(v, ",")
	}
	return out
}

// malformed is the answer to an event the library cannot turn into a
// request (a body that is not valid base64, a method or path that is not
// HTTP), in the API's error shape rather than a failed invocation, which
// API Gateway would turn into a bare 502.
func malformed() (int, map[string][]string, string) {
	status := http.StatusBadRequest
	body, _ := json.Marshal(httpapi.ErrorBody{Error: http.StatusText(status), Message: "Malformed request"})
	header := map[string][]string{
		"Content-Type":           {"application/json"},
		"Cache-Control":          {"no-store"},
		"X-Content-Type-Options": {"nosniff"},
	}
	return status, header, string(body) + "\n"
}
