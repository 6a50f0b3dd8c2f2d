package remediate

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"entra8344/internal/ldap"
	"entra8344/internal/ntsd"
	"entra8344/schema"
)

// RevertEnv is where revert works: a dialer per server and the state directory.
type RevertEnv struct {
	Dial     func(ctx context.Context, server string) (ldap.Conn, error)
	StateDir string
	Journal  string // the id of the remediate journal to undo
	Now      func() time.Time
	Version  string
	Replay   string
	// RestoreExact writes the journal's backed-up DACL bytes back instead of
	// removing the one ACE: every change made since is undone too, and the
	// result shows the difference.
	RestoreExact bool
	// Key is the approval key: the journals are authenticated under it
	// (JournalKey), and Token, for --restore-exact, must approve under it
	// exactly the difference beyond the journal's own ACEs.
	Key   func() ([]byte, string, error)
	Token string
}

// Revert removes exactly the ACEs a remediate journal added: each one, byte
// for byte, wherever it now sits in the DACL; nothing else, even if other
// ACEs changed since. It journals itself like remediate.
func Revert(ctx context.Context, env RevertEnv) *schema.Result {
	if env.Now == nil {
		env.Now = time.Now
	}
	r := &run{now: env.Now, res: newResult("revert", Env{})}
	r.res.Tool.Version = env.Version
	if env.Replay != "" {
		name := env.Replay
		r.res.Collection.Replay = &name
	}
	r.res.GeneratedAt = env.Now().UTC().Format(time.RFC3339)
	ctx, cancel := context.WithTimeout(ctx, MaxRun) // see Run
	defer cancel()
	r.revert(ctx, env)
	r.finish()
	return r.res
}

func (r *run) revert(ctx context.Context, env RevertEnv) {
	if env.Key == nil {
		r.refuse("no-key", "no approval key to authenticate the journal with: nothing written", "")
		return
	}
	key, source, err := env.Key()
	if err != nil {
		r.refuse("no-key", "the approval key is not available to authenticate the journal: "+err.Error()+": nothing written", "")
		return
	}
	r.akey, r.asrc = key, source
	src, err := LoadJournal(env.StateDir, env.Journal, key, source)
	if errors.Is(err, ErrJournalTampered) {
		r.refuse("journal-tampered", err.Error(), env.Journal)
		return
	}
	if err != nil {
		r.refuse("journal-unreadable", err.Error(), env.Journal)
		return
	}
	if src.Command != "remediate" {
		r.refuse("not-a-remediation", fmt.Sprintf("journal %s is a %s, not a remediation", src.ID, src.Command), src.ID)
		return
	}
	unlock, tookOver, err := Lock(env.StateDir, r.now())
	if err != nil {
		r.refuse("locked", err.Error(), env.StateDir)
		return
	}
	defer unlock()
	r.step(schema.ResultStep{Name: "lock", Status: schema.StepDone, Message: tookOver})
	r.res.Host, r.res.PlanDigest = src.Host, src.PlanDigest
	if !env.RestoreExact && removedACEs(src) {
		r.refuse("cleanup-journal", "journal "+src.ID+" removed stale ACEs rather than adding one: to put them back, revert it with --restore-exact (writes the DACL backed up before the removal)", src.ID)
		return
	}
	if !r.bound(ctx, env, src) {
		return
	}
	j, err := NewJournal(env.StateDir, "revert", src.Host, src.PlanDigest, r.akey, r.asrc, r.now)
	if err != nil {
		r.refuse("journal-unwritable", err.Error()+": nothing was changed", env.StateDir)
		return
	}
	j.Reverts = src.ID
	r.journal = j
	r.res.Journal = &schema.JournalRef{ID: j.ID, Path: j.Path()}
	n := 0
	if env.RestoreExact {
		for _, e := range src.Steps {
			if e.Name == "backup" && e.State == "done" && e.Backup != nil {
				n++
				if !r.restoreExact(ctx, env, src, e) {
					return
				}
			}
		}
	}
	for _, e := range src.Steps {
		if env.RestoreExact || e.Name != "write" || e.State != "done" {
			continue
		}
		n++
		if !r.removeACE(ctx, env, e) {
			return
		}
	}
	if n > 0 {
		r.retrigger(ctx, env, src)
	}
	if n == 0 {
		r.step(schema.ResultStep{Name: "remove", Status: schema.StepSkipped, Message: "journal " + src.ID + " added no ACE"})
	}
}

// removeACE takes one added ACE out of the DACL and verifies it is gone.
func (r *run) removeACE(ctx context.Context, env RevertEnv, e JournalEntry) bool {
	s := schema.ResultStep{Name: "remove", Change: e.Change, Server: e.Server, DN: e.DN, Evidence: schema.Evidence{ACE: e.ACE}}
	fail := func(msg string, i int) bool {
		s.Status, s.Message = schema.StepFailed, msg
		r.step(s)
		if i >= 0 {
			r.journal.End(i, "failed", msg, nil)
		}
		return false
	}
	raw, err := hex.DecodeString(e.ACEHex)
	if err != nil {
		return fail("the journal's ACE bytes are damaged: nothing removed", -1)
	}
	conn, err := env.Dial(ctx, e.Server)
	if err != nil {
		return fail(fmt.Sprintf("connect to %s: %v: nothing removed", e.Server, err), -1)
	}
	defer conn.Close()
	i, _ := r.journal.Begin(JournalEntry{Name: "remove", Change: e.Change, Server: e.Server, DN: e.DN, ACE: e.ACE, ACEHex: e.ACEHex})
	sd, before, usn, err := readSD(ctx, conn, e.DN)
	if err != nil {
		return fail(err.Error()+": nothing removed", i)
	}
	r.journal.Steps[i].Backup = &Backup{DN: e.DN, Server: conn.Server(), SDHex: hex.EncodeToString(before), SDDL: sd.SDDL(nil), USNChanged: usn}
	s.Evidence.Before = sd.SDDL(nil)
	idx := indexBytes(sd.DACL, raw)
	if idx < 0 {
		s.Status, s.Message = schema.StepSkipped, "the ACE is no longer on "+e.DN+": nothing to remove"
		r.journal.End(i, "skipped", s.Message, nil)
		r.step(s)
		return true
	}
	sd.DACL.Remove(sd.DACL.ACEs[idx]) // ntsd restores the ACL's revision too: byte-exact undo
	err = conn.Modify(ctx, e.DN, []ldap.Mod{{Op: ldap.ModReplace, Attr: "nTSecurityDescriptor", Values: [][]byte{sd.Marshal()}}},
		[]ldap.Control{ldap.SDFlagsControl(ldap.SDDACL)})
	if err != nil {
		return fail(fmt.Sprintf("%v: the DACL is unchanged", err), i)
	}
	after, _, _, err := readSD(ctx, conn, e.DN)
	if err != nil {
		return fail("the removal was accepted but could not be read back: "+err.Error(), i)
	}
	if indexBytes(after.DACL, raw) >= 0 {
		return fail("the removal was accepted but the ACE is still there as read back", i)
	}
	s.Status, s.Evidence.After = schema.StepDone, after.SDDL(nil)
	r.journal.End(i, "done", "", nil)
	r.step(s)
	return true
}

func indexBytes(l *ntsd.ACL, raw []byte) int {
	if l == nil {
		return -1
	}
	for i, a := range l.ACEs {
		if bytes.Equal(a.Bytes(), raw) {
			return i
		}
	}
	return -1
}

// restoreExact writes a backed-up DACL back byte for byte, after reading
// the current one to show what that undoes.
func (r *run) restoreExact(ctx context.Context, env RevertEnv, src *Journal, e JournalEntry) bool {
	b := e.Backup
	s := schema.ResultStep{Name: "restore", Change: e.Change, Server: b.Server, DN: b.DN}
	fail := func(msg string, i int) bool {
		s.Status, s.Message = schema.StepFailed, msg
		r.step(s)
		r.journal.End(i, "failed", msg, nil)
		return false
	}
	backup, err := hex.DecodeString(b.SDHex)
	if err != nil {
		return fail("the journal's backup bytes are damaged: nothing written", -1)
	}
	want, err := ntsd.Parse(backup)
	if err != nil {
		return fail("the journal's backup does not parse: nothing written", -1)
	}
	conn, err := env.Dial(ctx, b.Server)
	if err != nil {
		return fail(fmt.Sprintf("connect to %s: %v: nothing written", b.Server, err), -1)
	}
	defer conn.Close()
	i, _ := r.journal.Begin(JournalEntry{Name: "restore", Change: e.Change, Server: b.Server, DN: b.DN})
	cur, raw, usn, err := readSD(ctx, conn, b.DN)
	if err != nil {
		return fail(err.Error()+": nothing written", i)
	}
	r.journal.Steps[i].Backup = &Backup{DN: b.DN, Server: conn.Server(), SDHex: hex.EncodeToString(raw), SDDL: cur.SDDL(nil), USNChanged: usn}
	s.Evidence.Before, s.Evidence.After = cur.SDDL(nil), want.SDDL(nil)
	gone, back := aceDiff(cur, want)
	if bytes.Equal(raw, backup) {
		s.Status, s.Message = schema.StepSkipped, "the DACL already equals the backup"
		r.journal.End(i, "skipped", s.Message, nil)
		r.step(s)
		return true
	}
	// Bounded as checked before the run wrote anything (bound): the same
	// difference, read again right before the write.
	extra, _, err := restoreExtra(ctx, conn, src, b)
	if err != nil {
		return fail(err.Error(), i)
	}
	approved := map[string]bool{}
	for _, k := range r.approvedExtra {
		approved[k] = true
	}
	for _, k := range extra {
		if !approved[k] {
			return fail("the DACL of "+b.DN+" changed since the restore was checked: nothing written; run revert again to see the difference", i)
		}
	}
	err = conn.Modify(ctx, b.DN, []ldap.Mod{{Op: ldap.ModReplace, Attr: "nTSecurityDescriptor", Values: [][]byte{backup}}},
		[]ldap.Control{ldap.SDFlagsControl(ldap.SDDACL)})
	if err != nil {
		return fail(fmt.Sprintf("%v: the DACL is unchanged", err), i)
	}
	after, _, _, err := readSD(ctx, conn, b.DN)
	if err != nil {
		return fail("the restore was accepted but could not be read back: "+err.Error(), i)
	}
	if g, k := aceDiff(after, want); len(g)+len(k) != 0 {
		return fail("the restore was accepted but the DACL read back differs from the backup", i)
	}
	s.Status = schema.StepDone
	s.Message = fmt.Sprintf("restored the backup of %s: removed %d ACEs added since (%s), put back %d (%s)", r.journal.ID,
		len(gone), strings.Join(gone, " "), len(back), strings.Join(back, " "))
	r.journal.End(i, "done", s.Message, nil)
	r.step(s)
	return true
}

// aceDiff lists, in SDDL, the ACEs of cur missing from want and those of
// want missing from cur (as multisets: a DC may re-sort).
func aceDiff(cur, want *ntsd.SecurityDescriptor) (onlyCur, onlyWant []string) {
	count := map[string]int{}
	for _, a := range want.DACL.ACEs {
		count[string(a.Bytes())]++
	}
	for _, a := range cur.DACL.ACEs {
		if count[string(a.Bytes())] > 0 {
			count[string(a.Bytes())]--
			continue
		}
		onlyCur = append(onlyCur, a.SDDL(nil))
	}
	seen := map[string]int{}
	for _, a := range cur.DACL.ACEs {
		seen[string(a.Bytes())]++
	}
	for _, a := range want.DACL.ACEs {
		if seen[string(a.Bytes())] > 0 {
			seen[string(a.Bytes())]--
			continue
		}
		onlyWant = append(onlyWant, a.SDDL(nil))
	}
	return onlyCur, onlyWant
}

// removedACEs: the journal is a cleanup's (it removed ACEs).
func removedACEs(j *Journal) bool {
	for _, e := range j.Steps {
		if e.Name == "remove" && e.State == "done" {
			return true
		}
	}
	return false
}

// retrigger runs the protection task again where the remediation did, so
// the protected objects lose their copy of the removed ACE now rather than
// within the hour; until then the revert is pending, and says so.
func (r *run) retrigger(ctx context.Context, env RevertEnv, src *Journal) {
	seen := map[string]bool{}
	for _, e := range src.Steps {
		if e.Name != "trigger" || e.Server == "" || seen[strings.ToLower(e.Server)] {
			continue
		}
		seen[strings.ToLower(e.Server)] = true
		server := e.Server
		r.triggerOn(ctx, func(ctx context.Context) (ldap.Conn, error) { return env.Dial(ctx, server) }, e.Change, server,
			"until then the protected objects keep their copy of the ACE removed from AdminSDHolder")
	}
}
