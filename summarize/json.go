package summarize

import (
	"io"

	"entra8344/schema"
)

// WriteJSON writes the summary document (schema/summary.schema.json) the
// way every entra8344 command prints JSON.
func (r *Result) WriteJSON(w io.Writer) error {
	b, err := schema.Marshal(r.Summary)
	if err != nil {
		return err
	}
	_, err = w.Write(b)
	return err
}
