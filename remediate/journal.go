package remediate

import (
	"crypto/hmac"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"entra8344/internal/atomicfile"
)

// JournalDir is the journals' folder inside the state directory.
const JournalDir = "journal"

// Journal is the exact record of one remediate or revert run: written
// before and after every step (atomically, the whole file), so a crash
// leaves the state the directory is in, and revert knows what was added.
type Journal struct {
	ID         string `json:"id"`
	Command    string `json:"command"`
	Host       string `json:"host"`
	PlanDigest string `json:"plan_digest"`
	Started    string `json:"started"`
	Finished   string `json:"finished"`
	Status     string `json:"status"`
	Reverts    string `json:"reverts,omitempty"`
	// TokenID names the approval a remediation carried out (a hash, never
	// the token), so that a reverted approval is not carried out again.
	TokenID string         `json:"token_id,omitempty"`
	Steps   []JournalEntry `json:"steps"`
	// KeySource names the approval key the MAC is under (host, msp,
	// replay): a hint for a run with another key, never trusted alone.
	KeySource string `json:"key_source"`
	// MAC authenticates everything above under JournalKey: revert and the
	// used-approval checks act only on journals this host's key wrote.
	MAC string `json:"mac"`

	path string
	key  []byte
	now  func() time.Time
}

// ErrJournalTampered is wrapped by LoadJournal's error for a journal whose
// MAC does not verify: it was altered, or written under another key.
var ErrJournalTampered = errors.New("the journal does not verify under this host's key")

// JournalEntry is one step as journaled.
type JournalEntry struct {
	Name    string  `json:"name"`
	Change  string  `json:"change"`
	Server  string  `json:"server"`
	DN      string  `json:"dn"`
	State   string  `json:"state"` // started, then the step's status
	At      string  `json:"at"`
	Message string  `json:"message"`
	Backup  *Backup `json:"backup,omitempty"`
	// ACE is the added ACE in SDDL and as bytes (base64-free hex), which
	// revert removes exactly.
	ACE    string `json:"ace,omitempty"`
	ACEHex string `json:"ace_hex,omitempty"`
}

// Backup is AdminSDHolder's DACL before the write.
type Backup struct {
	DN         string `json:"dn"`
	Server     string `json:"server"`
	SDHex      string `json:"sd_hex"`
	SDDL       string `json:"sddl"`
	USNChanged string `json:"usn_changed"`
}

// NewJournal creates the journal file in stateDir/journal, authenticated
// under JournalKey(approvalKey) (source: where that key came from);
// failure to write it is reported before anything is changed.
func NewJournal(stateDir, command, host, digest string, approvalKey []byte, source string, now func() time.Time) (*Journal, error) {
	if len(approvalKey) == 0 {
		return nil, errors.New("no key to authenticate the journal with")
	}
	dir := filepath.Join(stateDir, JournalDir)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create the journal folder %s: %w", dir, err)
	}
	var r [3]byte
	if _, err := rand.Read(r[:]); err != nil {
		return nil, err
	}
	t := now().UTC()
	j := &Journal{ID: t.Format("20060102T150405Z") + "-" + hex.EncodeToString(r[:]), Command: command, Host: host,
		PlanDigest: digest, Started: t.Format(time.RFC3339), Status: "running", Steps: []JournalEntry{}, KeySource: source,
		key: JournalKey(approvalKey), now: now}
	j.path = filepath.Join(dir, j.ID+".json")
	return j, j.save()
}

// Path is the journal file.
func (j *Journal) Path() string { return j.path }

// Begin journals a step before it runs and returns its index. A nil
// journal (a dry run) records nothing.
func (j *Journal) Begin(e JournalEntry) (int, error) {
	if j == nil {
		return -1, nil
	}
	e.State, e.At = "started", j.now().UTC().Format(time.RFC3339)
	j.Steps = append(j.Steps, e)
	return len(j.Steps) - 1, j.save()
}

// End journals a step's outcome.
func (j *Journal) End(i int, state, msg string, edit func(*JournalEntry)) error {
	if j == nil || i < 0 || i >= len(j.Steps) {
		return nil
	}
	e := &j.Steps[i]
	e.State, e.Message, e.At = state, msg, j.now().UTC().Format(time.RFC3339)
	if edit != nil {
		edit(e)
	}
	return j.save()
}

// Finish journals the run's outcome.
func (j *Journal) Finish(status string) error {
	if j == nil {
		return nil
	}
	j.Status, j.Finished = status, j.now().UTC().Format(time.RFC3339)
	return j.save()
}

func (j *Journal) save() error {
	j.MAC = ""
	unsigned, err := json.MarshalIndent(j, "", "  ")
	if err != nil {
		return err
	}
	j.MAC = stateMAC(j.key, "journal", unsigned)
	b, err := json.MarshalIndent(j, "", "  ")
	if err != nil {
		return err
	}
	// Temp file and rename (a reader sees one whole journal), waiting out
	// a reader that holds it open on Windows (internal/atomicfile).
	if err := atomicfile.WriteFile(j.path, append(b, '\n'), 0o600); err != nil {
		return fmt.Errorf("write the journal %s: %w", j.path, err)
	}
	return nil
}

// LoadJournal reads a journal by ID from stateDir and checks its MAC under
// JournalKey(approvalKey) (source: where that key came from, for the
// message). The MAC covers the journal as parsed, so every field revert
// acts on is authenticated; a journal that fails is ErrJournalTampered.
func LoadJournal(stateDir, id string, approvalKey []byte, source string) (*Journal, error) {
	if id == "" || strings.ContainsAny(id, `/\.:`) {
		return nil, fmt.Errorf("journal id %q is not one entra8344 wrote (like 20250616T150000Z-1a2b3c)", id)
	}
	path := filepath.Join(stateDir, JournalDir, id+".json")
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read journal %s: %w", id, err)
	}
	var j Journal
	if err := json.Unmarshal(b, &j); err != nil {
		return nil, fmt.Errorf("journal %s is damaged: %w", id, err)
	}
	got := j.MAC
	j.MAC, j.key = "", JournalKey(approvalKey)
	unsigned, err := json.MarshalIndent(&j, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("journal %s is damaged: %w", id, err)
	}
	if !hmac.Equal([]byte(got), []byte(stateMAC(j.key, "journal", unsigned))) || j.ID != id {
		hint := "it was altered, or written by a version that did not authenticate journals"
		if got != "" && j.KeySource != "" && j.KeySource != source {
			hint = fmt.Sprintf("it says it was written under the %s key and this run has the %s key (%s set or unset as then), or it was altered", j.KeySource, source, EnvApprovalKey)
		}
		return nil, fmt.Errorf("%w: journal %s (%s): %s; nothing is done with it", ErrJournalTampered, id, path, hint)
	}
	j.MAC, j.path = got, path
	return &j, nil
}

// Journals lists the journals in stateDir that verify under approvalKey's
// journal key, newest first: an unauthenticated journal never vouches for
// anything (an applied plan, a used or reverted approval).
func Journals(stateDir string, approvalKey []byte) ([]*Journal, error) {
	entries, err := os.ReadDir(filepath.Join(stateDir, JournalDir))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []*Journal
	for _, e := range entries {
		id, ok := strings.CutSuffix(e.Name(), ".json")
		if !ok {
			continue
		}
		if j, err := LoadJournal(stateDir, id, approvalKey, ""); err == nil {
			out = append(out, j)
		}
	}
	sort.Slice(out, func(a, b int) bool { return out[a].ID > out[b].ID })
	return out, nil
}
