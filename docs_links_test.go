package taskapi_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"unicode"
)

var (
	mdFence   = regexp.MustCompile("(?ms)^```.*?^```")
	mdLink    = regexp.MustCompile(`\]\(([^)\s]+)\)`)
	mdHeading = regexp.MustCompile(`(?m)^#{1,6} +(.+?) *$`)
	mdAnchor  = regexp.MustCompile(`<a id="([^"]+)">`)
)

// TestDocsLinksResolve keeps the README's and docs/'s links true: every
// relative link names a file of the repository, and every #fragment a
// heading of that file (as GitHub makes its id) or an <a id>. A section
// renamed or moved breaks the links to it silently otherwise: the guides
// link to each other's sections (operations.md#login-and-registration-limits).
func TestDocsLinksResolve(t *testing.T) {
	docs, err := filepath.Glob("docs/*.md")
	if err != nil {
		t.Fatal(err)
	}
	anchors := map[string]map[string]bool{}
	idsOf := func(path string) map[string]bool {
		if ids, ok := anchors[path]; ok {
			return ids
		}
		src, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		ids := markdownIDs(string(src))
		anchors[path] = ids
		return ids
	}
	for _, doc := range append([]string{"README.md"}, docs...) {
		src, err := os.ReadFile(doc)
		if err != nil {
			t.Fatal(err)
		}
		text := mdFence.ReplaceAllString(string(src), "")
		for _, m := range mdLink.FindAllStringSubmatch(text, -1) {
			link := m[1]
			if strings.Contains(link, "://") || strings.HasPrefix(link, "mailto:") {
				continue
			}
			path, fragment, _ := strings.Cut(link, "#")
			target := doc
			if path != "" {
				target = filepath.Join(filepath.Dir(doc), path)
				if _, err := os.Stat(target); err != nil {
					t.Errorf("%s links to %s: no such file", doc, link)
					continue
				}
			}
			if fragment != "" && strings.HasSuffix(target, ".md") && !idsOf(target)[fragment] {
				t.Errorf("%s links to %s: %s has no heading or anchor %q", doc, link, target, fragment)
			}
		}
	}
}

// markdownIDs returns the ids a Markdown file's headings get on GitHub
// (lower case, punctuation dropped, spaces to hyphens, -1, -2… for
// repeats) and those of its <a id="…"> tags.
func markdownIDs(src string) map[string]bool {
	ids := map[string]bool{}
	for _, m := range mdAnchor.FindAllStringSubmatch(src, -1) {
		ids[m[1]] = true
	}
	seen := map[string]int{}
	for _, m := range mdHeading.FindAllStringSubmatch(mdFence.ReplaceAllString(src, ""), -1) {
		var b strings.Builder
		for _, r := range strings.ToLower(m[1]) {
			switch {
			case unicode.IsLetter(r) || unicode.IsDigit(r) || r == '-' || r == '_':
				b.WriteRune(r)
			case r == ' ':
				b.WriteRune('-')
			}
		}
		id := b.String()
		if n := seen[id]; n > 0 {
			ids[id+"-"+strconv.Itoa(n)] = true
		} else {
			ids[id] = true
		}
		seen[id]++
	}
	return ids
}
