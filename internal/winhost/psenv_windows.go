package winhost

import (
	"errors"
	"fmt"
	"strings"

	"golang.org/x/sys/windows"
	"golang.org/x/sys/windows/registry"
)

// registryEnv reads the machine's system environment from the registry;
// %variables% resolve from the registry and the system directory, never
// from the inherited environment (which the RMM or a caller set).
type registryEnv struct{}

const systemEnvKey = `SYSTEM\CurrentControlSet\Control\Session Manager\Environment`

func (registryEnv) PSModulePath() (string, error) {
	v, err := readHKLMString(systemEnvKey, psModulePathEnv)
	if errors.Is(err, registry.ErrNotExist) {
		// No machine value (Wine has none): the child builds its default,
		// which is what Windows PowerShell does without one; no note.
		return "", nil
	}
	return v, err
}

func (registryEnv) Lookup(name string) (string, bool) {
	var v string
	var err error
	switch strings.ToLower(name) {
	case "systemroot", "windir":
		v, err = windows.GetSystemWindowsDirectory()
	case "programfiles", "programw6432":
		v, err = readHKLMString(`SOFTWARE\Microsoft\Windows\CurrentVersion`, "ProgramFilesDir")
	case "commonprogramfiles", "commonprogramw6432":
		v, err = readHKLMString(`SOFTWARE\Microsoft\Windows\CurrentVersion`, "CommonFilesDir")
	default:
		// Another system variable, taken only when it needs no expansion itself.
		v, err = readHKLMString(systemEnvKey, name)
	}
	if err != nil || v == "" || strings.Contains(v, "%") {
		return "", false
	}
	return v, true
}

// readHKLMString reads a REG_SZ or REG_EXPAND_SZ value as stored (not expanded).
func readHKLMString(path, name string) (string, error) {
	k, err := registry.OpenKey(registry.LOCAL_MACHINE, path, registry.QUERY_VALUE)
	if err != nil {
		return "", err
	}
	defer k.Close()
	v, typ, err := k.GetStringValue(name)
	if err != nil {
		return "", err
	}
	if typ != registry.SZ && typ != registry.EXPAND_SZ {
		return "", fmt.Errorf("%s is registry type %d, want a string", name, typ)
	}
	return v, nil
}
