package cli

import (
	"os"
	"testing"
)

// TestMain keeps the tests' replay sessions out of the user's cache
// folder; tests that need a session of their own set sessionsEnv again.
func TestMain(m *testing.M) {
	root, err := os.MkdirTemp("", "entra8344-cli-test-sessions-")
	if err != nil {
		panic(err)
	}
	os.Setenv(sessionsEnv, root)
	code := m.Run()
	os.RemoveAll(root)
	os.Exit(code)
}
