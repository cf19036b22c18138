// Package docs is the interactive API reference served at /docs: Swagger
// UI (the swagger-ui-dist package from npm, pinned in the Makefile's
// SWAGGER_UI_VERSION and vendored under assets/ by `make docs-assets`), a
// page and its initializer. Everything is embedded, so a running server
// needs neither Node nor any other host.
package docs

import (
	"embed"
	"io/fs"
)

//go:embed index.html init.js docs.css assets/swagger-ui-bundle.js assets/swagger-ui.css assets/favicon-32x32.png
var files embed.FS

// Page is the HTML page, which loads its files relative to itself as
// docs/<name> and the document as openapi.json.
var Page = mustRead("index.html")

// Assets are the files the page loads, by name.
var Assets = map[string][]byte{
	"init.js":              mustRead("init.js"),
	"docs.css":             mustRead("docs.css"),
	"swagger-ui-bundle.js": mustRead("assets/swagger-ui-bundle.js"),
	"swagger-ui.css":       mustRead("assets/swagger-ui.css"),
	"favicon-32x32.png":    mustRead("assets/favicon-32x32.png"),
}

func mustRead(name string) []byte {
	b, err := fs.ReadFile(files, name)
	if err != nil {
		panic(err) // every name is embedded above: the build guarantees it
	}
	return b
}

// ContentSecurityPolicy is the policy of the page: scripts, styles and
// images from this origin only, no inline script. Swagger UI sets style
// attributes from script ('unsafe-inline' for styles only) and draws some
// icons as data: images; calls ("Try it out") go to this origin.
const ContentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; " +
	"img-src 'self' data:; connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
