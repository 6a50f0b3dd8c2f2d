package schema

import (
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

//go:embed *.schema.json
var files embed.FS

// Names lists the schema documents this build embeds, for `entra8344 schema`.
func Names() []string {
	entries, _ := files.ReadDir(".")
	var names []string
	for _, e := range entries {
		names = append(names, strings.TrimSuffix(e.Name(), ".schema.json"))
	}
	sort.Strings(names)
	return names
}

// Document returns the raw schema document by name ("verdict").
func Document(name string) ([]byte, error) {
	b, err := files.ReadFile(name + ".schema.json")
	if err != nil {
		return nil, fmt.Errorf("no schema named %q (have: %s)", name, strings.Join(Names(), ", "))
	}
	return b, nil
}

// Validate checks a JSON document against the named embedded schema, with
// format assertions on (date-time must be RFC 3339).
func Validate(name string, doc []byte) error {
	raw, err := Document(name)
	if err != nil {
		return err
	}
	sch, err := unmarshal(raw)
	if err != nil {
		return fmt.Errorf("embedded schema %s: %w", name, err)
	}
	url := "https://entra8344.invalid/schema/" + name + ".schema.json"
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	c.AssertFormat()
	if err := c.AddResource(url, sch); err != nil {
		return fmt.Errorf("embedded schema %s: %w", name, err)
	}
	compiled, err := c.Compile(url)
	if err != nil {
		return fmt.Errorf("embedded schema %s does not compile: %w", name, err)
	}
	inst, err := unmarshal(doc)
	if err != nil {
		return fmt.Errorf("document is not JSON: %w", err)
	}
	return compiled.Validate(inst)
}

func unmarshal(b []byte) (any, error) {
	return jsonschema.UnmarshalJSON(bytes.NewReader(b))
}

// Marshal renders a document the way every command prints it: two-space
// indent, no HTML escaping (DNs and literals stay readable), trailing newline.
func Marshal(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
