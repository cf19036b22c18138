package httpapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"taskapi"
)

// encoding/json reads what RFC 8259 leaves open in its own way: the last
// of two equal keys wins, and bytes that are not UTF-8 (or an escaped lone
// surrogate, \ud800) become U+FFFD. Another parser on the way (a proxy, a
// WAF, a log pipeline) may read the same body differently, so such bodies
// are refused (I-JSON, RFC 7493) before they are decoded.

// checkEncoding refuses a body that is not UTF-8, or that escapes half of
// a surrogate pair, naming the byte at fault. body is syntactically valid
// JSON, so a backslash can only be an escape inside a string.
func checkEncoding(body []byte) error {
	if !utf8.Valid(body) {
		at := 0
		for at < len(body) {
			r, size := utf8.DecodeRune(body[at:])
			if r == utf8.RuneError && size <= 1 {
				break
			}
			at += size
		}
		return invalidBody(fmt.Sprintf("Request body must be UTF-8: invalid byte at offset %d", at))
	}
	for i := 0; i < len(body); i++ {
		if body[i] != '\\' {
			continue
		}
		i++ // the escaped character
		if body[i] != 'u' {
			continue
		}
		r := hex4(body[i+1 : i+5])
		switch {
		case utf16.IsSurrogate(r) && r < 0xdc00 && i+10 < len(body) && body[i+5] == '\\' && body[i+6] == 'u' &&
			utf16.DecodeRune(r, hex4(body[i+7:i+11])) != utf8.RuneError:
			i += 10 // a high surrogate and its low one: one character
		case utf16.IsSurrogate(r):
			return invalidBody(fmt.Sprintf("Request body must be UTF-8: unpaired surrogate escape at offset %d", i-1))
		default:
			i += 4
		}
	}
	return nil
}

// hex4 is the value of four hex digits (valid: the body has parsed).
func hex4(b []byte) rune {
	v, _ := strconv.ParseUint(string(b), 16, 16)
	return rune(v)
}

// duplicateKeys names every key that appears twice in one object of body
// (valid JSON). Keys are compared as encoding/json matches them to fields,
// without regard to case: "title" and "Title" would fill the same field.
func duplicateKeys(body []byte) []taskapi.FieldError {
	dec := json.NewDecoder(bytes.NewReader(body))
	var out []taskapi.FieldError
	var walk func() error
	walk = func() error {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		switch tok {
		case json.Delim('{'):
			seen := map[string]bool{}
			for dec.More() {
				key, err := dec.Token()
				if err != nil {
					return err
				}
				k := strings.ToLower(key.(string))
				if seen[k] {
					out = append(out, taskapi.FieldError{Field: key.(string), Message: "Duplicate key: each field may appear once"})
				}
				seen[k] = true
				if err := walk(); err != nil {
					return err
				}
			}
			_, err = dec.Token() // }
		case json.Delim('['):
			for dec.More() {
				if err := walk(); err != nil {
					return err
				}
			}
			_, err = dec.Token() // ]
		}
		return err
	}
	if err := walk(); err != nil && err != io.EOF {
		return nil // cannot happen for valid JSON; the decode reports it
	}
	return out
}
