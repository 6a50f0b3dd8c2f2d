package remediate

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"entra8344/internal/statefile"
)

// EnvApprovalKey holds an MSP-wide approval key (base64, base64url or hex,
// at least 32 bytes): set in the RMM, every host signs and checks with it.
const EnvApprovalKey = "ENTRA8344_APPROVAL_KEY"

// KeyFile is the per-host key's file name in the state directory.
const KeyFile = "approval.key"

const keySize = 32

// KeyFromEnv returns the MSP-wide key when EnvApprovalKey is set.
func KeyFromEnv() ([]byte, bool, error) {
	v := strings.TrimSpace(os.Getenv(EnvApprovalKey))
	if v == "" {
		return nil, false, nil
	}
	for _, dec := range []func(string) ([]byte, error){
		hex.DecodeString, base64.StdEncoding.DecodeString, base64.RawStdEncoding.DecodeString,
		base64.URLEncoding.DecodeString, base64.RawURLEncoding.DecodeString,
	} {
		if k, err := dec(v); err == nil && len(k) >= keySize {
			return k, true, nil
		}
	}
	return nil, true, fmt.Errorf("%s must be at least %d random bytes as hex or base64 (for example: openssl rand -base64 32)", EnvApprovalKey, keySize)
}

// HostKey reads the host's key from dir, creating it on first use (the
// directory's ACL, SYSTEM and Administrators only, protects it). Two first
// runs at once agree on one key: the key is written whole to a temporary
// file and then hard-linked into place, which fails if the name exists, so
// nobody ever reads a half-written key and only one creation wins.
func HostKey(dir string) ([]byte, error) {
	path := filepath.Join(dir, KeyFile)
	k, err := os.ReadFile(path)
	if err == nil {
		if len(k) != keySize {
			return nil, fmt.Errorf("approval key %s has %d bytes, want %d: delete it to create a new one (tokens issued so far stop working)", path, len(k), keySize)
		}
		return k, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("read the approval key: %w", err)
	}
	k = make([]byte, keySize)
	if _, err := rand.Read(k); err != nil {
		return nil, fmt.Errorf("generate an approval key: %w", err)
	}
	tmp, err := os.CreateTemp(dir, KeyFile+".*.tmp")
	if err != nil {
		return nil, fmt.Errorf("create the approval key in %s: %w", dir, err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(k); err != nil {
		tmp.Close()
		return nil, fmt.Errorf("write the approval key in %s: %w", dir, err)
	}
	if err := tmp.Close(); err != nil {
		return nil, fmt.Errorf("write the approval key in %s: %w", dir, err)
	}
	if err := os.Link(tmp.Name(), path); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return HostKey(dir) // another run created it first: use that one
		}
		return nil, fmt.Errorf("put the approval key in place in %s: %w", dir, err)
	}
	return k, nil
}

// ReplayKey is the key of a replayed scenario: fixed per scenario, so a
// replay's verdict is reproducible and its token can only approve that
// scenario's replayed remediation, never a live host (a live host's key is
// its own random one or the MSP's).
func ReplayKey(scenario string) []byte {
	k := sha256.Sum256([]byte("entra8344 replay key\x00" + scenario))
	return k[:]
}

// JournalKey derives, from an approval key (the host's, the MSP's or a
// replay's), the key that journals, used-approval records and the baseline
// are authenticated under (internal/statefile, shared with detect).
func JournalKey(approvalKey []byte) []byte { return statefile.Key(approvalKey) }

// stateMAC authenticates one state-directory document of kind under a
// journal key (statefile.MAC).
func stateMAC(key []byte, kind string, doc []byte) string { return statefile.MAC(key, kind, doc) }
