package app

import (
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// A parser turns one variable's text into its field of Config. Its
// error says what is wrong with the value; the loader adds the name.
type parser struct {
	// verbatim values are taken as given; all others are trimmed first.
	verbatim bool
	set      func(c *Config, value string) error
}

// field points a parser at the part of Config one variable fills.
type field[T any] func(c *Config) *T

func text(f field[string]) parser {
	return parser{set: func(c *Config, v string) error { *f(c) = v; return nil }}
}

// verbatimText keeps leading and trailing spaces: a password may have them.
func verbatimText(f field[string]) parser {
	p := text(f)
	p.verbatim = true
	return p
}

func oneOf(f field[string], values ...string) parser {
	return parser{set: func(c *Config, v string) error {
		if !slices.Contains(values, v) {
			return fmt.Errorf("want %s", orList(values))
		}
		*f(c) = v
		return nil
	}}
}

// logLevel accepts what slog.Level reads (debug, info, warn, error, in
// any case, with an optional offset such as info+2).
func logLevel(f field[string]) parser {
	return parser{set: func(c *Config, v string) error {
		var l slog.Level
		if err := l.UnmarshalText([]byte(v)); err != nil {
			return fmt.Errorf("want debug, info, warn or error")
		}
		*f(c) = v
		return nil
	}}
}

func integer(f field[int], lo, hi int) parser {
	return parser{set: func(c *Config, v string) error {
		n, err := strconv.Atoi(v)
		if err != nil || n < lo || n > hi {
			return fmt.Errorf("want an integer from %d to %d", lo, hi)
		}
		*f(c) = n
		return nil
	}}
}

// seconds reads a whole number of seconds from lo to hi.
func seconds(f field[time.Duration], lo, hi int) parser {
	return parser{set: func(c *Config, v string) error {
		n, err := strconv.Atoi(v)
		if err != nil || n < lo || n > hi {
			return fmt.Errorf("want a number of seconds from %d to %d", lo, hi)
		}
		*f(c) = time.Duration(n) * time.Second
		return nil
	}}
}

func duration(f field[time.Duration]) parser {
	return parser{set: func(c *Config, v string) error {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			return fmt.Errorf("want a positive duration such as 30s")
		}
		*f(c) = d
		return nil
	}}
}

// durationOrOff is a positive duration, or 0 (written 0 or 0s), which
// switches the feature off.
func durationOrOff(f field[time.Duration]) parser {
	return parser{set: func(c *Config, v string) error {
		d, err := time.ParseDuration(v)
		if err != nil || d < 0 {
			return fmt.Errorf("want a duration such as 30s, or 0 for off")
		}
		*f(c) = d
		return nil
	}}
}

func boolean(f field[bool]) parser {
	return parser{set: func(c *Config, v string) error {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return fmt.Errorf("want true or false")
		}
		*f(c) = b
		return nil
	}}
}

// httpURL is an http or https URL with a host.
func httpURL(f field[string], example string) parser {
	return parser{set: func(c *Config, v string) error {
		if u, err := url.Parse(v); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("want an http(s) URL such as %s", example)
		}
		*f(c) = v
		return nil
	}}
}

func hostPort(f field[string], example string) parser {
	return parser{set: func(c *Config, v string) error {
		if _, _, err := net.SplitHostPort(v); err != nil {
			return fmt.Errorf("want host:port, e.g. %s", example)
		}
		*f(c) = v
		return nil
	}}
}

// minBytes is a text of at least n bytes, kept as bytes (a key).
func minBytes(f field[[]byte], n int) parser {
	return parser{set: func(c *Config, v string) error {
		if len(v) < n {
			return fmt.Errorf("want at least %d bytes", n)
		}
		*f(c) = []byte(v)
		return nil
	}}
}

// origins is a comma-separated list of exact web origins. A wildcard or
// a path would either echo any origin or never match a browser's Origin
// header, so both are refused.
func origins(f field[[]string]) parser {
	return parser{set: func(c *Config, v string) error {
		var list []string
		for _, o := range strings.Split(v, ",") {
			if o = strings.TrimSpace(o); o == "" {
				continue
			}
			u, err := url.Parse(o)
			if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.Path != "" || strings.Contains(o, "*") {
				return fmt.Errorf("%q is not an exact origin such as https://app.example.com", o)
			}
			list = append(list, o)
		}
		*f(c) = list
		return nil
	}}
}

// orList writes values as "a, b or c".
func orList(values []string) string {
	if len(values) < 2 {
		return strings.Join(values, "")
	}
	return strings.Join(values[:len(values)-1], ", ") + " or " + values[len(values)-1]
}
