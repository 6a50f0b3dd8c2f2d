// Package statefile authenticates the documents entra8344 keeps in its state
// directory (journals, used approvals, the baseline): one key derivation
// from the approval key and one MAC, shared by remediate and detect (detect
// never imports remediate). A state file is hostile input until its MAC
// verifies: the directory's ACL is one line of defence, this is the other.
package statefile

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"

	"entra8344/internal/atomicfile"
)

// Key derives, from an approval key (the host's, the MSP's or a replay's),
// the key state documents are authenticated under. The distinct label keeps
// the two apart: no state MAC is ever a valid token MAC, nor the reverse.
func Key(approvalKey []byte) []byte {
	m := hmac.New(sha256.New, approvalKey)
	m.Write([]byte("entra8344 journal key v1"))
	return m.Sum(nil)
}

// MAC authenticates one state document of kind under a Key (hex
// HMAC-SHA256 over the kind's label and the document). The kind is part of
// the MAC, so a document of one kind never verifies as another.
func MAC(key []byte, kind string, doc []byte) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte("entra8344 " + kind + " v1\x00"))
	m.Write(doc)
	return hex.EncodeToString(m.Sum(nil))
}

// envelope is a sealed file: the document's exact bytes and their MAC.
type envelope struct {
	Kind string          `json:"kind"`
	MAC  string          `json:"mac"`
	Doc  json.RawMessage `json:"doc"`
}

// ErrNotAuthentic: the file is not one this key sealed (altered, another
// kind, or sealed under another approval key).
var ErrNotAuthentic = errors.New("not authenticated")

// Seal renders v as a sealed document of kind under key (a Key).
func Seal(key []byte, kind string, v any) ([]byte, error) {
	doc, err := json.Marshal(v) // compact: the envelope keeps these bytes as they are
	if err != nil {
		return nil, err
	}
	b, err := json.MarshalIndent(envelope{Kind: kind, MAC: MAC(key, kind, doc), Doc: doc}, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

// Open checks a sealed document of kind under key and decodes it into v
// (unknown fields refused). Nothing is decoded before the MAC verifies.
func Open(key []byte, kind string, data []byte, v any) error {
	var e envelope
	if err := json.Unmarshal(data, &e); err != nil {
		return fmt.Errorf("it is not a sealed entra8344 document: %w", err)
	}
	if e.Kind != kind {
		return fmt.Errorf("%w: it is a %q document, not a %q one", ErrNotAuthentic, e.Kind, kind)
	}
	// The envelope was written indented: its doc is compacted as written.
	var doc bytes.Buffer
	if err := json.Compact(&doc, e.Doc); err != nil {
		return fmt.Errorf("%w: its document does not parse", ErrNotAuthentic)
	}
	if !hmac.Equal([]byte(e.MAC), []byte(MAC(key, kind, doc.Bytes()))) {
		return fmt.Errorf("%w: its MAC does not match (altered, or written under another approval key)", ErrNotAuthentic)
	}
	d := json.NewDecoder(bytes.NewReader(doc.Bytes()))
	d.DisallowUnknownFields()
	if err := d.Decode(v); err != nil {
		return fmt.Errorf("its document does not decode: %w", err)
	}
	return nil
}

// MaxSize bounds what Read loads (a state file is hostile until verified).
const MaxSize = 64 << 20

// Read loads and opens the sealed file at path; a missing file is
// fs.ErrNotExist (wrapped), for the caller to tell "none yet" apart.
func Read(path string, key []byte, kind string, v any) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, MaxSize+1))
	if err != nil {
		return fmt.Errorf("read %s: %w", path, err)
	}
	if len(b) > MaxSize {
		return fmt.Errorf("%s is larger than %d bytes: not one entra8344 wrote", path, MaxSize)
	}
	if err := Open(key, kind, b, v); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

// Write seals v and replaces path with it atomically (a reader sees the
// old file or the new one, never half of one).
func Write(path string, key []byte, kind string, v any) error {
	b, err := Seal(key, kind, v)
	if err != nil {
		return fmt.Errorf("seal %s: %w", path, err)
	}
	if err := atomicfile.WriteFile(path, b, 0o600); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// IsNotExist reports whether err says the file is not there.
func IsNotExist(err error) bool { return errors.Is(err, fs.ErrNotExist) }
