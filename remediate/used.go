package remediate

import (
	"context"
	"crypto/hmac"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"entra8344/schema"
)

// UsedDir is the state directory's folder of used approvals: one record per
// approval that led to a write, named by its TokenID, authenticated under
// the journal key. It outlives the journals' meaning: whatever happens to
// the directory afterwards (a revert, a person removing the ACE by hand),
// the same approval never writes again.
const UsedDir = "approvals-used"

type usedRecord struct {
	TokenID    string `json:"token_id"`
	Journal    string `json:"journal"`
	PlanDigest string `json:"plan_digest"`
	At         string `json:"at"`
	MAC        string `json:"mac"`
}

func (u usedRecord) mac(key []byte) string {
	u.MAC = ""
	b, _ := json.Marshal(u) // a struct of strings always marshals
	return stateMAC(key, "used approval", b)
}

// recordUse records the run's approval as used; called before its first
// write, so that a crash after the write cannot leave it usable. A record
// of another run (two runs raced past the check) stops this one.
func (r *run) recordUse() error {
	if r.journal == nil || r.env.Token == "" {
		return nil
	}
	id := TokenID(r.env.Token)
	rec := usedRecord{TokenID: id, Journal: r.journal.ID, PlanDigest: r.journal.PlanDigest, At: r.now().UTC().Format(time.RFC3339)}
	rec.MAC = rec.mac(r.journal.key)
	dir := filepath.Join(r.env.StateDir, UsedDir)
	path := filepath.Join(dir, id+".json")
	if old, err := loadUsed(r.env.StateDir, r.journal.key, id); err == nil && old.Journal == r.journal.ID {
		return nil // this run recorded it at its first write
	} else if err == nil {
		return fmt.Errorf("this approval was used by journal %s: an approval causes at most one write", old.Journal)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("record the approval as used in %s: %w", dir, err)
	}
	b, _ := json.MarshalIndent(rec, "", "  ")
	tmp, err := os.CreateTemp(dir, id+".*.tmp")
	if err != nil {
		return fmt.Errorf("record the approval as used in %s: %w", dir, err)
	}
	defer os.Remove(tmp.Name())
	_, werr := tmp.Write(append(b, '\n'))
	if cerr := tmp.Close(); werr != nil || cerr != nil {
		return fmt.Errorf("record the approval as used in %s: %v", dir, errors.Join(werr, cerr))
	}
	// A link fails when the name exists: of two runs, one records.
	if err := os.Link(tmp.Name(), path); err != nil {
		return fmt.Errorf("record the approval as used (%s): %w", path, err)
	}
	return nil
}

// loadUsed reads and authenticates the record of tokenID.
func loadUsed(stateDir string, key []byte, tokenID string) (usedRecord, error) {
	var u usedRecord
	path := filepath.Join(stateDir, UsedDir, tokenID+".json")
	b, err := os.ReadFile(path)
	if err != nil {
		return u, err
	}
	if err := json.Unmarshal(b, &u); err != nil {
		return u, fmt.Errorf("the used-approval record %s is damaged: %w", path, err)
	}
	if u.TokenID != tokenID || !hmac.Equal([]byte(u.MAC), []byte(u.mac(key))) {
		return u, fmt.Errorf("the used-approval record %s does not verify under this host's key", path)
	}
	return u, nil
}

// usedApproval ends the run when its (verified) approval has already led
// to a write: already-present when the approved state is in place,
// refused otherwise (token-reverted after a revert, token-used when the
// change was undone some other way). false: the approval is unused.
func (r *run) usedApproval(ctx context.Context, v *schema.Verdict, c Claims) bool {
	id := TokenID(r.env.Token)
	if src, rev := revertedApproval(r.env.StateDir, r.akey, id); rev != "" {
		msg := fmt.Sprintf("this approval was carried out by journal %s and reverted by journal %s: an approval is used once; run detect again and approve the new plan", src, rev)
		r.step(schema.ResultStep{Name: "token", Status: schema.StepRefused, Message: msg})
		r.refuse("token-reverted", msg, src)
		return true
	}
	rec, err := loadUsed(r.env.StateDir, JournalKey(r.akey), id)
	if errors.Is(err, fs.ErrNotExist) {
		return false
	}
	var msg string
	if err != nil {
		// Someone who can write there could as well delete it: refuse.
		msg = err.Error() + ": it says this approval was used; refused (delete the record only if you know it was not)"
	} else {
		if r.alreadyApplied(ctx, v, c.DigestPrefix) {
			return true
		}
		msg = fmt.Sprintf("this approval was carried out by journal %s at %s and the approved change is no longer in place (undone since, e.g. by hand): an approval causes at most one write; run detect again and approve the new plan", rec.Journal, rec.At)
	}
	r.step(schema.ResultStep{Name: "token", Status: schema.StepRefused, Message: msg})
	r.refuse("token-used", msg, rec.Journal)
	return true
}
