// Package schemacheck validates documents against the JSON Schemas that
// package schema embeds. It lives apart so that schema itself imports only
// the standard library: the validator is a test-time and tooling concern.
package schemacheck

import (
	"bytes"
	"fmt"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"entra8344/schema"
)

// Validate checks a JSON document against the named embedded schema, with
// format assertions on (date-time must be RFC 3339).
func Validate(name string, doc []byte) error {
	raw, err := schema.Document(name)
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
