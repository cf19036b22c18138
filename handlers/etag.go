package handlers

import (
	"strconv"
	"strings"

	"taskapi"
)

// TaskETag is a task's entity tag: its version, quoted (RFC 9110). It is
// strong: every change of the task increments the version.
func TaskETag(t taskapi.Task) string {
	return `"` + strconv.FormatInt(t.Version, 10) + `"`
}

// MsgMalformedIfMatch is the 400 answer to an If-Match header that is not
// RFC 9110's "*" or list of quoted entity tags (a bare 1, a lone quote).
// Answering 412 there would tell the client its copy is stale when it
// only spelled the header wrong.
const MsgMalformedIfMatch = `Malformed If-Match header: send "*" or the ETag exactly as the server gave it, quotes included, e.g. If-Match: "3"`

// MsgWeakIfMatch is the 412 answer to an If-Match whose only tag for the
// current version is weak: the task did not change, so the usual 412
// message would mislead; RFC 9110 still forbids the match.
const MsgWeakIfMatch = `If-Match compares entity tags strongly (RFC 9110), so a weak tag (W/"3") never matches: send the ETag exactly as the server gave it, e.g. If-Match: "3"`

// ifMatch is a parsed If-Match header: absent, "*", or a list of tags.
type ifMatch struct {
	present, any bool
	tags         []entityTag
}

// entityTag is one tag of the list: its opaque part, with its quotes.
type entityTag struct {
	weak   bool
	opaque string
}

// parseIfMatch reads an If-Match field value (RFC 9110 sections 8.8.3 and
// 13.1.1): empty, "*", or a comma-separated list of `"x"` or `W/"x"`, where
// x is any visible character but `"`. Anything else is malformed: 400.
func parseIfMatch(v string) (ifMatch, error) {
	v = strings.Trim(v, " \t")
	switch v {
	case "":
		return ifMatch{}, nil
	case "*":
		return ifMatch{present: true, any: true}, nil
	}
	m := ifMatch{present: true}
	malformed := taskapi.Errorf(taskapi.EINVALID, MsgMalformedIfMatch)
	for i := 0; i < len(v); {
		// The list rule allows empty elements and whitespace around commas.
		if c := v[i]; c == ',' || c == ' ' || c == '\t' {
			i++
			continue
		}
		var tag entityTag
		if strings.HasPrefix(v[i:], `W/`) {
			tag.weak = true
			i += 2
		}
		if i >= len(v) || v[i] != '"' {
			return ifMatch{}, malformed
		}
		end := i + 1
		for end < len(v) && v[end] != '"' {
			if c := v[end]; c < 0x21 || c == 0x7f { // etagc: visible or obs-text
				return ifMatch{}, malformed
			}
			end++
		}
		if end == len(v) {
			return ifMatch{}, malformed
		}
		tag.opaque = v[i : end+1]
		m.tags = append(m.tags, tag)
		i = end + 1
		// After a tag only whitespace, then a comma or the end.
		for i < len(v) && (v[i] == ' ' || v[i] == '\t') {
			i++
		}
		if i < len(v) && v[i] != ',' {
			return ifMatch{}, malformed
		}
	}
	if len(m.tags) == 0 {
		return ifMatch{}, malformed
	}
	return m, nil
}

// check applies the condition to the task as it is now and returns the
// version to hold the write to, 0 for none. Comparison is strong, as RFC
// 9110 requires for If-Match: a weak tag never matches, and when it names
// the current version the 412 says that this, not a change, is why.
func (m ifMatch) check(t *taskapi.Task) (int64, error) {
	if !m.present {
		return 0, nil
	}
	if m.any {
		return t.Version, nil
	}
	current := TaskETag(*t)
	weakCurrent := false
	for _, tag := range m.tags {
		if tag.opaque != current {
			continue
		}
		if !tag.weak {
			return t.Version, nil
		}
		weakCurrent = true
	}
	if weakCurrent {
		return 0, taskapi.Errorf(taskapi.EPRECONDITION, MsgWeakIfMatch)
	}
	return 0, taskapi.Errorf(taskapi.EPRECONDITION, taskapi.MsgTaskChanged)
}
