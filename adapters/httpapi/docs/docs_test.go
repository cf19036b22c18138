package docs

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// TestVendoredSwaggerUIIsThePinnedVersion: the files under assets/ are the
// swagger-ui-dist release the Makefile pins, so `make docs-assets` after a
// version change is not forgotten.
func TestVendoredSwaggerUIIsThePinnedVersion(t *testing.T) {
	makefile, err := os.ReadFile("../../../Makefile")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^SWAGGER_UI_VERSION\s*\?=\s*(\S+)$`).FindSubmatch(makefile)
	if m == nil {
		t.Fatal("the Makefile pins no SWAGGER_UI_VERSION")
	}
	if want := `PACKAGE_VERSION:"` + string(m[1]) + `"`; !strings.Contains(string(Assets["swagger-ui-bundle.js"]), want) {
		t.Errorf("assets/swagger-ui-bundle.js is not swagger-ui-dist %s: run make docs-assets", m[1])
	}
}

// TestPageLoadsOnlyEmbeddedFiles: every file the page refers to under
// docs/ is one of the embedded assets, and no script is inline.
func TestPageLoadsOnlyEmbeddedFiles(t *testing.T) {
	refs := regexp.MustCompile(`(?:src|href)="docs/([^"]+)"`).FindAllSubmatch(Page, -1)
	if len(refs) < 4 {
		t.Fatalf("the page refers to %d files", len(refs))
	}
	for _, r := range refs {
		if Assets[string(r[1])] == nil {
			t.Errorf("the page loads docs/%s, which is not embedded", r[1])
		}
	}
	for _, tag := range regexp.MustCompile(`<script[^>]*>`).FindAll(Page, -1) {
		if !strings.Contains(string(tag), ` src="docs/`) {
			t.Errorf("%s is not one of the page's own files: the policy blocks inline scripts", tag)
		}
	}
}
