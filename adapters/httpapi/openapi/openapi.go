// Package openapi holds the API's contract: one OpenAPI 3.0 document,
// openapi.yaml, embedded in the binary. Each service serves it with its own
// routes only; the integration tests validate every request and response
// against it, and a test keeps it and the router in step.
package openapi

import (
	"bytes"
	_ "embed"
	"fmt"
	"sync"

	"gopkg.in/yaml.v3"
)

// Source is the document as committed, with every route of every service.
//
//go:embed openapi.yaml
var Source []byte

// Services says which services a process runs, and so which routes its
// document covers.
type Services struct {
	Auth  bool // the auth service: /auth/...
	Tasks bool // the task service: /tasks...
}

// Document is the document of one process, in both encodings.
type Document struct {
	JSON []byte
	YAML []byte
}

var parsed = sync.OnceValues(func() (*yaml.Node, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(Source, &root); err != nil {
		return nil, fmt.Errorf("openapi.yaml: %w", err)
	}
	if root.Kind != yaml.DocumentNode || len(root.Content) != 1 || root.Content[0].Kind != yaml.MappingNode {
		return nil, fmt.Errorf("openapi.yaml: not a mapping")
	}
	return &root, nil
})

// For returns the document with only the paths keep accepts (those of
// the routes a process serves), and only the tags those paths use.
func For(keep func(path string) bool) (Document, error) {
	root, err := parsed()
	if err != nil {
		return Document{}, err
	}
	doc := cloneMapping(root.Content[0])
	used := map[string]bool{}
	if paths := value(doc, "paths"); paths != nil {
		kept := &yaml.Node{Kind: yaml.MappingNode, Tag: paths.Tag}
		for i := 0; i+1 < len(paths.Content); i += 2 {
			if keep(paths.Content[i].Value) {
				kept.Content = append(kept.Content, paths.Content[i], paths.Content[i+1])
				for _, tag := range operationTags(paths.Content[i+1]) {
					used[tag] = true
				}
			}
		}
		set(doc, "paths", kept)
	}
	if tags := value(doc, "tags"); tags != nil {
		kept := &yaml.Node{Kind: yaml.SequenceNode, Tag: tags.Tag}
		for _, t := range tags.Content {
			if name := value(t, "name"); name != nil && used[name.Value] {
				kept.Content = append(kept.Content, t)
			}
		}
		set(doc, "tags", kept)
	}
	var y, j bytes.Buffer
	enc := yaml.NewEncoder(&y)
	enc.SetIndent(2)
	if err := enc.Encode(doc); err != nil {
		return Document{}, fmt.Errorf("openapi: encode YAML: %w", err)
	}
	if err := toJSON(&j, doc); err != nil {
		return Document{}, fmt.Errorf("openapi: encode JSON: %w", err)
	}
	return Document{JSON: j.Bytes(), YAML: y.Bytes()}, nil
}

// cloneMapping copies a mapping's list of keys and values (not the nodes
// themselves), so that replacing a value leaves the parsed source alone.
func cloneMapping(n *yaml.Node) *yaml.Node {
	c := *n
	c.Content = append([]*yaml.Node(nil), n.Content...)
	return &c
}

// value returns the value of key in mapping n, or nil.
func value(n *yaml.Node, key string) *yaml.Node {
	if n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

// set replaces the value of an existing key in mapping n.
func set(n *yaml.Node, key string, v *yaml.Node) {
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			n.Content[i+1] = v
		}
	}
}

// operationTags lists the tags of every operation of a path item.
func operationTags(item *yaml.Node) []string {
	var out []string
	for i := 0; i+1 < len(item.Content); i += 2 {
		if tags := value(item.Content[i+1], "tags"); tags != nil && tags.Kind == yaml.SequenceNode {
			for _, t := range tags.Content {
				out = append(out, t.Value)
			}
		}
	}
	return out
}
