package winhost

import (
	"errors"
	"strings"
	"testing"

	"golang.org/x/sys/windows/registry"
)

// On a real Windows (or a Wine prefix that defines it) the machine's
// PSModulePath comes back with every %variable% resolved.
func TestRegistryPSModulePath(t *testing.T) {
	if _, err := readHKLMString(systemEnvKey, psModulePathEnv); errors.Is(err, registry.ErrNotExist) {
		t.Skip("this system environment defines no PSModulePath (Wine)")
	}
	got, err := machinePSModulePath(registryEnv{})
	if err != nil {
		t.Fatal(err)
	}
	if got == "" || strings.Contains(got, "%") {
		t.Errorf("PSModulePath %q: want expanded folders", got)
	}
	if v, ok := (registryEnv{}).Lookup("SystemRoot"); !ok || !strings.Contains(strings.ToLower(v), `\windows`) {
		t.Errorf("SystemRoot = %q, %v", v, ok)
	}
}
