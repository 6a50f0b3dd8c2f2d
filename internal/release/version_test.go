package release

import "testing"

func TestFileVersion(t *testing.T) {
	for in, want := range map[string]string{
		"1.2.3":                "1.2.3.0",
		"v1.2.3":               "1.2.3.0",
		"1.2.3.4":              "1.2.3.4",
		"1.4.0-rc.2":           "1.4.0.0",
		"0.0.0-dev.abcdef":     "0.0.0.0",
		"2.0.1+build.7":        "2.0.1.0",
		"65535.0.0":            "65535.0.0.0",
		"10.20.30-rc.1+sha.ab": "10.20.30.0",
	} {
		if got, err := FileVersion(in); err != nil || got != want {
			t.Errorf("FileVersion(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "dev", "1.2", "1.2.3.4.5", "1.x.3", "65536.0.0", "01.2.3", "-1.2.3", "1..3"} {
		if got, err := FileVersion(bad); err == nil {
			t.Errorf("FileVersion(%q) = %q, want an error", bad, got)
		}
	}
}
