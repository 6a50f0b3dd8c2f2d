package cli

import (
	"runtime"

	"entra8344/schema"
)

// VersionCmd prints the build's identity as one JSON document.
type VersionCmd struct{}

func (c *VersionCmd) Run(stdio *IO) error {
	b, err := schema.Marshal(map[string]string{
		"name": "entra8344", "version": version, "commit": commit, "built": built,
		"go": runtime.Version(), "os": runtime.GOOS, "arch": runtime.GOARCH,
	})
	if err != nil {
		return err
	}
	_, err = stdio.Stdout.Write(b)
	return err
}
