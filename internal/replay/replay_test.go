package replay

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"entra8344/internal/adsync"
	"entra8344/internal/winhost"
)

func TestFileName(t *testing.T) {
	for in, want := range map[string]string{
		"contoso.com":                   "contoso.com.xml",
		"contoso.onmicrosoft.com - AAD": "contoso.onmicrosoft.com - AAD.xml",
		"a/b\\c:d*e?f\"g<h>i|j%k":       "a%2Fb%5Cc%3Ad%2Ae%3Ff%22g%3Ch%3Ei%7Cj%25k.xml",
		"line\nbreak":                   "line%0Abreak.xml",
		"Zoë":                           "Zoë.xml",
	} {
		if got := FileName(in); got != want {
			t.Errorf("FileName(%q) = %q, want %q", in, got, want)
		}
	}
}

func scenario(t *testing.T) *Scenario {
	t.Helper()
	fsys := fstest.MapFS{
		"scenario.json":            {Data: []byte(`{"description":"t","now":"2025-06-16T15:00:00Z"}`)},
		"host.json":                {Data: []byte(`{"computer_name":"X","adsync_service":"running"}`)},
		"collector.json":           {Data: []byte(`{}`)},
		"csexport/contoso.com.xml": {Data: []byte("<cs-objects/>")},
	}
	s, err := Load(fsys, "t")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// The replayed csexport behaves like the real one where detect could get it
// wrong: only /f:e is answered, and an existing file is never overwritten.
func TestReplayCSExport(t *testing.T) {
	r := scenario(t).Runner()
	dir := t.TempDir()
	exe := `C:\Program Files\Microsoft Azure AD Sync\Bin\csexport.exe`
	file := filepath.Join(dir, "a.xml")

	res, err := r.Run(context.Background(), winhost.Command{Path: exe, Args: []string{"contoso.com", file, "/f:x"}})
	if err != nil || res.ExitCode == 0 {
		t.Errorf("/f:x must not be answered: exit %d err %v", res.ExitCode, err)
	}
	if _, err := os.Stat(file); err == nil {
		t.Errorf("/f:x wrote a file")
	}
	res, err = r.Run(context.Background(), winhost.Command{Path: exe, Args: adsync.CSExportArgs("contoso.com", file)})
	if err != nil || res.ExitCode != 0 {
		t.Fatalf("exit %d err %v", res.ExitCode, err)
	}
	if b, _ := os.ReadFile(file); string(b) != "<cs-objects/>" {
		t.Errorf("file %q", b)
	}
	res, _ = r.Run(context.Background(), winhost.Command{Path: exe, Args: adsync.CSExportArgs("contoso.com", file)})
	if res.ExitCode == 0 {
		t.Errorf("an existing output file must not be overwritten")
	}
	res, _ = r.Run(context.Background(), winhost.Command{Path: exe, Args: adsync.CSExportArgs("fabrikam.com", filepath.Join(dir, "b.xml"))})
	if res.ExitCode == 0 || !strings.Contains(string(res.Stdout), "fabrikam.com") {
		t.Errorf("unknown connector: exit %d %q", res.ExitCode, res.Stdout)
	}
	if got := r.Started()["csexport.exe"]; got != 4 {
		t.Errorf("counted %d csexport starts, want 4", got)
	}
	if _, err := r.Run(context.Background(), winhost.Command{Path: `C:\Windows\System32\cmd.exe`}); err == nil {
		t.Errorf("an unrecorded process must be an error")
	}
}

func TestReplayPowerShellNeedsTheCollector(t *testing.T) {
	r := scenario(t).Runner()
	ps := `C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe`
	if _, err := r.Run(context.Background(), winhost.Command{Path: ps, Stdin: []byte("Get-Date")}); err == nil {
		t.Errorf("a script other than the embedded collector must be refused")
	}
	res, err := r.Run(context.Background(), winhost.Command{Path: ps, Args: adsync.CollectorArgs(), Stdin: adsync.CollectorScript})
	if err != nil || string(res.Stdout) != "{}" {
		t.Errorf("collector: %q %v", res.Stdout, err)
	}
}

func TestLoadRejects(t *testing.T) {
	for name, fsys := range map[string]fstest.MapFS{
		"no host":       {"scenario.json": {Data: []byte(`{"now":"2025-06-16T15:00:00Z"}`)}},
		"bad now":       {"scenario.json": {Data: []byte(`{"now":"16/06/2025"}`)}, "host.json": {Data: []byte(`{}`)}},
		"unknown field": {"scenario.json": {Data: []byte(`{"now":"2025-06-16T15:00:00Z","nw":1}`)}, "host.json": {Data: []byte(`{}`)}},
		"host garbage":  {"scenario.json": {Data: []byte(`{"now":"2025-06-16T15:00:00Z"}`)}, "host.json": {Data: []byte(`{"is_dc":"yes"}`)}},
	} {
		if _, err := Load(fsys, name); err == nil {
			t.Errorf("%s: loaded", name)
		}
	}
}
