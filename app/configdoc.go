package app

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"
)

// The generated table's place in docs/configuration.md: between these
// two lines, everything is rewritten by taskapi config-doc.
const (
	configDocBegin = "<!-- The table below is generated from app/variables.go by `make config-doc`: change it there. -->"
	configDocEnd   = "<!-- End of the generated table. -->"
)

// ConfigDoc is the Markdown table of every variable: name, default,
// which service reads it (and whether it is a secret), and its meaning.
func ConfigDoc(vars []Variable) string {
	var b strings.Builder
	b.WriteString("| Variable | Default | Read by | Meaning |\n|---|---|---|---|\n")
	for _, v := range vars {
		fmt.Fprintf(&b, "| `%s` | %s | %s | %s |\n", v.Name, v.defaultDoc(), v.services(), v.Doc)
	}
	return b.String()
}

// configDoc is the config-doc command: the table on stdout, or, given a
// file, the file with its generated table replaced.
func configDoc(args []string, stdout io.Writer) error {
	if len(args) == 0 {
		_, err := io.WriteString(stdout, ConfigDoc(Variables))
		return err
	}
	if len(args) > 1 {
		return fmt.Errorf("config-doc: want at most one file, got %q", args)
	}
	old, err := os.ReadFile(args[0])
	if err != nil {
		return fmt.Errorf("config-doc: %w", err)
	}
	updated, err := spliceConfigDoc(old, ConfigDoc(Variables))
	if err != nil {
		return fmt.Errorf("config-doc: %s: %w", args[0], err)
	}
	if bytes.Equal(old, updated) {
		return nil
	}
	return os.WriteFile(args[0], updated, 0o644)
}

// spliceConfigDoc replaces what lies between the markers of doc by table.
func spliceConfigDoc(doc []byte, table string) ([]byte, error) {
	begin := bytes.Index(doc, []byte(configDocBegin+"\n"))
	end := bytes.Index(doc, []byte(configDocEnd))
	if begin < 0 || end < begin {
		return nil, fmt.Errorf("no lines %q and %q around the table", configDocBegin, configDocEnd)
	}
	begin += len(configDocBegin) + 1
	var out bytes.Buffer
	out.Write(doc[:begin])
	out.WriteString(table)
	out.Write(doc[end:])
	return out.Bytes(), nil
}

// defaultDoc is the Default column: the documented wording, else the
// value, else a dash.
func (v Variable) defaultDoc() string {
	switch {
	case v.DefaultDoc != "":
		return v.DefaultDoc
	case v.Default != "":
		return "`" + v.Default + "`"
	}
	return "–"
}

// services is the Read by column.
func (v Variable) services() string {
	s := "both"
	switch {
	case v.Auth && !v.Task:
		s = "auth"
	case v.Task && !v.Auth:
		s = "task"
	}
	if v.Secret {
		s += ", secret"
	}
	return s
}

var markdownLink = regexp.MustCompile(`\[([^\]]*)\]\([^)]*\)`)

// plain turns a line of Markdown into terminal text: links keep their
// words, code loses its backticks.
func plain(md string) string {
	return strings.ReplaceAll(markdownLink.ReplaceAllString(md, "$1"), "`", "")
}

// helpVariables lists the variables marked Help, each with its meaning
// and default, wrapped for an 80-column terminal.
func helpVariables(vars []Variable) string {
	const indent = 20
	var b strings.Builder
	for _, v := range vars {
		if !v.Help {
			continue
		}
		text := plain(v.Doc)
		if d := v.defaultDoc(); d != "–" {
			text += "; default " + plain(d)
		}
		line, words := fmt.Sprintf("  %-*s", indent-2, v.Name), 0
		for _, word := range strings.Fields(text) {
			if words > 0 && len(line)+1+len(word) > 79 {
				b.WriteString(line + "\n")
				line, words = strings.Repeat(" ", indent), 0
			}
			if words > 0 || !strings.HasSuffix(line, " ") {
				line += " "
			}
			line += word
			words++
		}
		b.WriteString(line + "\n")
	}
	return b.String()
}
