package statefile

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

type doc struct {
	A string `json:"a"`
	N int    `json:"n"`
}

// TestSealOpen: a sealed document opens under its key and kind only; any
// change to it, another key or another kind is refused before decoding.
func TestSealOpen(t *testing.T) {
	key, other := Key([]byte("k1-0123456789abcdef0123456789abcdef")), Key([]byte("k2-0123456789abcdef0123456789abcdef"))
	b, err := Seal(key, "baseline", doc{A: "x<&>", N: 3})
	if err != nil {
		t.Fatal(err)
	}
	var got doc
	if err := Open(key, "baseline", b, &got); err != nil || got != (doc{A: "x<&>", N: 3}) {
		t.Fatalf("open: %v %+v", err, got)
	}
	for _, tc := range []struct {
		name string
		key  []byte
		kind string
		data string
	}{
		{"other key", other, "baseline", string(b)},
		{"other kind", key, "journal", string(b)},
		{"altered value", key, "baseline", strings.Replace(string(b), `"n": 3`, `"n": 4`, 1)},
		{"added field", key, "baseline", strings.Replace(string(b), `"n": 3`, `"n": 3, "z": 1`, 1)},
		{"not json", key, "baseline", "garbage"},
		{"empty", key, "baseline", ""},
		{"kind lies", key, "journal", strings.Replace(string(b), `"kind": "baseline"`, `"kind": "journal"`, 1)},
	} {
		var v doc
		if err := Open(tc.key, tc.kind, []byte(tc.data), &v); err == nil {
			t.Errorf("%s: opened", tc.name)
		} else if v != (doc{}) {
			t.Errorf("%s: decoded %+v before refusing", tc.name, v)
		}
	}
	if MAC(key, "journal", []byte("x")) == MAC(key, "baseline", []byte("x")) {
		t.Error("the kind is not part of the MAC")
	}
}

func TestReadWrite(t *testing.T) {
	dir := t.TempDir()
	key := Key([]byte("0123456789abcdef0123456789abcdef"))
	path := filepath.Join(dir, "b.json")
	var v doc
	if err := Read(path, key, "baseline", &v); !IsNotExist(err) {
		t.Fatalf("missing file: %v", err)
	}
	if err := Write(path, key, "baseline", doc{A: "a"}); err != nil {
		t.Fatal(err)
	}
	if err := Read(path, key, "baseline", &v); err != nil || v.A != "a" {
		t.Fatalf("%v %+v", err, v)
	}
	big := make([]byte, MaxSize+10)
	os.WriteFile(path, big, 0o600)
	if err := Read(path, key, "baseline", &v); err == nil || errors.Is(err, ErrNotAuthentic) || !strings.Contains(err.Error(), "larger") {
		t.Fatalf("oversized file: %v", err)
	}
}
