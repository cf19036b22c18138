package httpapi

import (
	"net/http"
	"path"

	"github.com/gorilla/mux"

	"taskapi"
	"taskapi/adapters/httpapi/docs"
	"taskapi/adapters/httpapi/openapi"
)

// referenceRoutes serves the API's contract, covering only the routes of
// the services this process runs, and the interactive reference.
func (s *server) referenceRoutes() {
	doc, err := openapi.For(openapi.Services{Auth: s.Auth != nil, Tasks: s.Tasks != nil})
	if err != nil {
		// The document is embedded at build time and parsed by the tests:
		// this is a broken build, not a runtime condition.
		panic(err)
	}
	r := s.router
	r.Handle("/openapi.json", static("application/json", doc.JSON, false)).Methods(http.MethodGet, http.MethodHead)
	r.Handle("/openapi.yaml", static("application/yaml", doc.YAML, false)).Methods(http.MethodGet, http.MethodHead)
	r.Handle("/docs", docsPage()).Methods(http.MethodGet, http.MethodHead)
	r.Handle("/docs/{asset}", http.HandlerFunc(s.docsAsset)).Methods(http.MethodGet, http.MethodHead)
}

// docsPage is the reference's HTML page, under a policy that lets
// Swagger UI run (the API's own policy allows nothing at all).
func docsPage() http.Handler {
	page := static("text/html; charset=utf-8", docs.Page, false)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Security-Policy", docs.ContentSecurityPolicy)
		page.ServeHTTP(w, r)
	})
}

// assetTypes are the media types of the reference's files, by extension.
var assetTypes = map[string]string{
	".js":  "text/javascript; charset=utf-8",
	".css": "text/css; charset=utf-8",
	".png": "image/png",
}

func (s *server) docsAsset(w http.ResponseWriter, r *http.Request) {
	name := mux.Vars(r)["asset"]
	body, ok := docs.Assets[name]
	if !ok {
		s.writeError(w, r, taskapi.Errorf(taskapi.ENOTFOUND, "No route for %s %s", r.Method, r.URL.Path))
		return
	}
	// The files change only with the binary: a browser may keep them for
	// an hour instead of fetching 2 MB on every visit.
	static(assetTypes[path.Ext(name)], body, true).ServeHTTP(w, r)
}

// static answers with a fixed body. Cacheable bodies replace the API's
// no-store with an hour's public caching.
func static(contentType string, body []byte, cacheable bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Type", contentType)
		if cacheable {
			h.Set("Cache-Control", "public, max-age=3600")
		}
		_, _ = w.Write(body)
	})
}
