package ecs_test

import (
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"taskapi/web"
)

// chosen resolves Fn::If (and AWS::NoValue, as nil) in a raw value for
// deployment d, everywhere in it, leaving other functions as they are.
func chosen(t *testing.T, all map[string]*stack, st *stack, v any, d deployment) any {
	t.Helper()
	if refOf(v) == "AWS::NoValue" {
		return nil
	}
	if name, arg, ok := fn(v); ok && name == "Fn::If" {
		l := arg.([]any)
		if condition(t, all, st, l[0].(string), d) {
			return chosen(t, all, st, l[1], d)
		}
		return chosen(t, all, st, l[2], d)
	}
	switch x := v.(type) {
	case map[string]any:
		out := map[string]any{}
		for k, e := range x {
			if c := chosen(t, all, st, e, d); c != nil {
				out[k] = c
			}
		}
		return out
	case []any:
		var out []any
		for _, e := range x {
			if c := chosen(t, all, st, e, d); c != nil {
				out = append(out, c)
			}
		}
		return out
	}
	return v
}

// cloudFrontMatch is CloudFront's path pattern: * any run of characters,
// ? one character, the rest literal (case-sensitive).
func cloudFrontMatch(pattern, p string) bool {
	re := "^" + strings.NewReplacer(`\*`, ".*", `\?`, ".").Replace(regexp.QuoteMeta(pattern)) + "$"
	return regexp.MustCompile(re).MatchString(p)
}

// distribution returns the distribution's config for deployment d, its
// conditions evaluated.
func distribution(t *testing.T, d deployment) map[string]any {
	t.Helper()
	all := stacks(t)
	st := all["services"]
	return asMap(chosen(t, all, st, property(st, "Distribution", "DistributionConfig"), d))
}

// cloudFrontOrigin is the origin CloudFront sends path p to: the first
// cache behavior whose pattern matches, in order, else the default.
func cloudFrontOrigin(config map[string]any, p string) map[string]any {
	for _, b := range config["CacheBehaviors"].([]any) {
		if cloudFrontMatch(asMap(b)["PathPattern"].(string), p) {
			return asMap(b)
		}
	}
	return asMap(config["DefaultCacheBehavior"])
}

// withDomain is a deployment with a custom name and both certificates.
func withDomain(t *testing.T) deployment {
	return designDeployment(t).with(map[string]string{
		"DomainName":               "tasks.example.com",
		"CloudFrontCertificateArn": "arn:aws:acm:us-east-1:123456789012:certificate/11111111-2222-3333-4444-555555555555",
		"CertificateArn":           "arn:aws:acm:eu-west-1:123456789012:certificate/66666666-7777-8888-9999-000000000000",
	})
}

// TestCloudFrontServesEverythingOverHTTPS: with the default parameters the
// public origin is the distribution, on its own certificate, HTTPS only;
// the web app (every file of web/static) comes from the bucket at /, and
// every API path (and /docs, /openapi.json) goes to the internal ALB,
// which routes it to a service that answers it.
func TestCloudFrontServesEverythingOverHTTPS(t *testing.T) {
	all := stacks(t)
	st := all["services"]
	d := designDeployment(t)
	config := distribution(t, d)

	sameJSON(t, "default certificate", config["ViewerCertificate"], map[string]any{"CloudFrontDefaultCertificate": true})
	if config["Aliases"] != nil {
		t.Errorf("aliases %v without a DomainName", config["Aliases"])
	}
	eq(t, "distribution enabled", config["Enabled"], any(true))
	behaviors := append([]any{config["DefaultCacheBehavior"]}, config["CacheBehaviors"].([]any)...)
	for _, b := range behaviors {
		policy := asMap(b)["ViewerProtocolPolicy"]
		if policy != "redirect-to-https" && policy != "https-only" {
			t.Errorf("behavior %v: viewer protocol %v lets plain HTTP through", asMap(b)["PathPattern"], policy)
		}
	}
	eq(t, "the web app redirects http:// to https://", asMap(config["DefaultCacheBehavior"])["ViewerProtocolPolicy"], any("redirect-to-https"))

	origins := map[string]map[string]any{}
	for _, o := range config["Origins"].([]any) {
		origins[asMap(o)["Id"].(string)] = asMap(o)
	}

	// The web app: each of its files goes to the bucket.
	webPaths := []string{"/"}
	err := fs.WalkDir(os.DirFS("../web/static"), ".", func(p string, e fs.DirEntry, err error) error {
		if err == nil && !e.IsDir() {
			webPaths = append(webPaths, "/"+p)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range webPaths {
		eq(t, "CloudFront sends "+p+" to", cloudFrontOrigin(config, p)["TargetOriginId"], any("web"))
	}
	eq(t, "/ is index.html", config["DefaultRootObject"], any("index.html"))
	web := origins["web"]
	eq(t, "web origin is the bucket", getAttString(web["DomainName"]), "WebBucket.RegionalDomainName")
	eq(t, "web origin signs with the origin access control", getAttString(web["OriginAccessControlId"]), "WebOriginAccessControl.Id")
	sameJSON(t, "web origin has no legacy identity", web["S3OriginConfig"], map[string]any{"OriginAccessIdentity": ""})

	// The API: every route the ALB serves, and the reference, go to the
	// VPC origin, and the ALB routes each to a service that answers it.
	handlers := map[string]http.Handler{}
	for _, c := range containers(t) {
		if c.Logical != "MigrateTaskDefinition" {
			handlers[c.Service] = serviceHandler(t, c)
		}
	}
	rules := albRules(t)
	for _, r := range []struct{ method, path string }{
		{"POST", "/auth/register"}, {"POST", "/auth/login"}, {"POST", "/auth/logout"}, {"GET", "/auth/me"},
		{"PUT", "/auth/password"}, {"GET", "/tasks"}, {"POST", "/tasks"}, {"GET", "/tasks/7"}, {"DELETE", "/tasks/7"},
		{"GET", "/health"}, {"GET", "/docs"}, {"GET", "/openapi.json"}, {"GET", "/openapi.yaml"},
	} {
		b := cloudFrontOrigin(config, r.path)
		if b["TargetOriginId"] != "api" {
			t.Errorf("CloudFront sends %s %s to %v, want the API", r.method, r.path, b["TargetOriginId"])
			continue
		}
		if !slices.Contains(b["AllowedMethods"].([]any), any(r.method)) {
			t.Errorf("CloudFront refuses %s on %s", r.method, r.path)
		}
		target := route(rules, r.path)
		if target == "default" || strings.HasPrefix(target, "fixed") {
			t.Errorf("the ALB answers %s %s itself (%s)", r.method, r.path, target)
			continue
		}
		svc, _, _ := strings.Cut(target, "+")
		rec := httptest.NewRecorder()
		handlers[svc].ServeHTTP(rec, httptest.NewRequest(r.method, r.path, nil))
		if rec.Code == http.StatusNotFound || rec.Code == http.StatusMethodNotAllowed {
			t.Errorf("%s %s reaches the %s service, which answers %d", r.method, r.path, svc, rec.Code)
		}
	}
	api := origins["api"]
	eq(t, "API origin is the VPC origin", getAttString(asMap(api["VpcOriginConfig"])["VpcOriginId"]), "ApiVpcOrigin.Id")
	eq(t, "API origin name (no certificate)", getAttString(api["DomainName"]), "LoadBalancer.DNSName")
	vpcOrigin := asMap(chosen(t, all, st, property(st, "ApiVpcOrigin", "VpcOriginEndpointConfig"), d))
	eq(t, "VPC origin is the ALB", refOf(vpcOrigin["Arn"]), "LoadBalancer")
	eq(t, "VPC origin protocol (no certificate: inside AWS's network)", vpcOrigin["OriginProtocolPolicy"], any("http-only"))

	eq(t, "ServiceUrl", evaluate(t, all, st, asMap(asMap(st.Raw["Outputs"])["ServiceUrl"])["Value"], d), "https://<Distribution.DomainName>")
}

// TestCloudFrontApiBehavior: the API's answers are never cached, and every
// request carries its Authorization and the viewer's address.
func TestCloudFrontApiBehavior(t *testing.T) {
	all := stacks(t)
	st := all["services"]
	config := distribution(t, designDeployment(t))
	for _, b := range config["CacheBehaviors"].([]any) {
		b := asMap(b)
		if b["TargetOriginId"] != "api" {
			continue
		}
		p := b["PathPattern"]
		eq(t, "cache policy of "+p.(string), refOf(b["CachePolicyId"]), "ApiCachePolicy")
		// Managed AllViewerExceptHostHeader: bodies, queries, If-Match,
		// Idempotency-Key and the rest, with the origin's own Host.
		eq(t, "origin request policy of "+p.(string), b["OriginRequestPolicyId"], any("b689b0a8-53d0-40ab-baf2-68738e2966ac"))
		sameJSON(t, "methods of "+p.(string), b["AllowedMethods"], []any{"GET", "HEAD", "OPTIONS", "PUT", "PATCH", "POST", "DELETE"})
		sameJSON(t, "functions of "+p.(string), b["FunctionAssociations"], []any{map[string]any{
			"EventType": "viewer-request", "FunctionARN": map[string]any{"Fn::GetAtt": "ViewerAddressFunction.FunctionARN"}}})
	}
	policy := asMap(property(st, "ApiCachePolicy", "CachePolicyConfig"))
	eq(t, "API default TTL", policy["DefaultTTL"], any(0.0))
	eq(t, "API min TTL", policy["MinTTL"], any(0.0))
	if max, _ := policy["MaxTTL"].(float64); max > 1 {
		t.Errorf("API max TTL %v: an answer the API marked cacheable could stay", max)
	}
	key := asMap(policy["ParametersInCacheKeyAndForwardedToOrigin"])
	sameJSON(t, "API cache key headers (Authorization forwarded, and no user sees another's answer)", key["HeadersConfig"],
		map[string]any{"HeaderBehavior": "whitelist", "Headers": []any{"Authorization"}})
	sameJSON(t, "API cache key queries", key["QueryStringsConfig"], map[string]any{"QueryStringBehavior": "all"})

	code := property(st, "ViewerAddressFunction", "FunctionCode").(string)
	if !strings.Contains(code, "event.request.headers['x-viewer-address'] = { value: event.viewer.ip }") {
		t.Errorf("the viewer-address function does not overwrite X-Viewer-Address with the viewer's IP:\n%s", code)
	}
}

// TestCloudFrontWebBucketIsPrivate: the bucket is private, readable by this
// distribution only, over TLS, and the app keeps the binary's headers.
func TestCloudFrontWebBucketIsPrivate(t *testing.T) {
	st := stacks(t)["services"]
	sameJSON(t, "public access block", property(st, "WebBucket", "PublicAccessBlockConfiguration"), map[string]any{
		"BlockPublicAcls": true, "BlockPublicPolicy": true, "IgnorePublicAcls": true, "RestrictPublicBuckets": true})
	sameJSON(t, "ownership", property(st, "WebBucket", "OwnershipControls"), map[string]any{"Rules": []any{map[string]any{"ObjectOwnership": "BucketOwnerEnforced"}}})
	statements := asMap(property(st, "WebBucketPolicy", "PolicyDocument"))["Statement"].([]any)
	eq(t, "bucket policy statements", len(statements), 2)
	allow := asMap(statements[0])
	sameJSON(t, "reader", allow["Principal"], map[string]any{"Service": "cloudfront.amazonaws.com"})
	eq(t, "read only", allow["Action"], any("s3:GetObject"))
	sameJSON(t, "this distribution only", allow["Condition"], map[string]any{"StringEquals": map[string]any{
		"AWS:SourceArn": map[string]any{"Fn::Sub": "arn:${AWS::Partition}:cloudfront::${AWS::AccountId}:distribution/${Distribution}"}}})
	deny := asMap(statements[1])
	eq(t, "TLS only", deny["Effect"], any("Deny"))
	sameJSON(t, "TLS only condition", deny["Condition"], map[string]any{"Bool": map[string]any{"aws:SecureTransport": "false"}})
	sameJSON(t, "origin access control", property(st, "WebOriginAccessControl", "OriginAccessControlConfig"), map[string]any{
		"Name": map[string]any{"Fn::Sub": "${AWS::StackName}-web"}, "Description": "taskapi web app bucket",
		"OriginAccessControlOriginType": "s3", "SigningBehavior": "always", "SigningProtocol": "sigv4"})

	headers := asMap(asMap(property(st, "WebHeadersPolicy", "ResponseHeadersPolicyConfig"))["SecurityHeadersConfig"])
	eq(t, "the app's CSP (web.CSP, as the binary serves it)", asMap(headers["ContentSecurityPolicy"])["ContentSecurityPolicy"], any(web.CSP))
	eq(t, "HSTS max age", asMap(headers["StrictTransportSecurity"])["AccessControlMaxAgeSec"], any(31536000.0))
	eq(t, "no framing", asMap(headers["FrameOptions"])["FrameOption"], any("DENY"))
	eq(t, "web behavior headers", refOf(asMap(distribution(t, designDeployment(t))["DefaultCacheBehavior"])["ResponseHeadersPolicyId"]), "WebHeadersPolicy")
}

// TestCloudFrontWithADomain: given a name and certificates, the
// distribution answers on the name with its certificate, and reaches the
// ALB over HTTPS under that name (what the ALB's certificate covers).
func TestCloudFrontWithADomain(t *testing.T) {
	all := stacks(t)
	st := all["services"]
	d := withDomain(t)
	config := distribution(t, d)
	sameJSON(t, "aliases", config["Aliases"], []any{ref("DomainName")})
	sameJSON(t, "viewer certificate", config["ViewerCertificate"], map[string]any{
		"AcmCertificateArn": ref("CloudFrontCertificateArn"), "SslSupportMethod": "sni-only", "MinimumProtocolVersion": "TLSv1.2_2021"})
	for _, o := range config["Origins"].([]any) {
		if asMap(o)["Id"] == "api" {
			eq(t, "API origin name with the ALB's certificate", refOf(asMap(o)["DomainName"]), "DomainName")
		}
	}
	vpcOrigin := asMap(chosen(t, all, st, property(st, "ApiVpcOrigin", "VpcOriginEndpointConfig"), d))
	eq(t, "VPC origin protocol with the ALB's certificate", vpcOrigin["OriginProtocolPolicy"], any("https-only"))
	eq(t, "ServiceUrl", evaluate(t, all, st, asMap(asMap(st.Raw["Outputs"])["ServiceUrl"])["Value"], d), "https://tasks.example.com")
	// Each certificate needs the name, and the name its certificate.
	rules := asMap(st.Raw["Rules"])
	for _, r := range []string{"DomainNeedsItsCertificate", "AlbCertificateNeedsTheDomain"} {
		if rules[r] == nil {
			t.Errorf("no rule %s", r)
		}
	}
	eq(t, "ALB HTTPS listener with the certificate", condition(t, all, st, "HasCertificate", d), true)
}

// getAttString is "Resource.Attribute" for an Fn::GetAtt.
func getAttString(v any) string {
	res, attr := getAttOf(v)
	return res + "." + attr
}
