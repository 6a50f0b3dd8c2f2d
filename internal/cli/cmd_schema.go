package cli

import "entra8344/schema"

// SchemaCmd prints an embedded JSON Schema document.
type SchemaCmd struct {
	Name string `arg:"" optional:"" default:"verdict" help:"Which schema: ${enum}." enum:"verdict,result,summary,doctor"`
}

func (c *SchemaCmd) Run(stdio *IO) error {
	doc, err := schema.Document(c.Name)
	if err != nil {
		return err
	}
	_, err = stdio.Stdout.Write(doc)
	return err
}
