package remediate

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"entra8344/detect"
	"entra8344/internal/ldap"
	"entra8344/internal/ntsd"
	"entra8344/schema"
)

// apply carries out the plan: every grant (backup, compare, write, verify),
// then every trigger, then waits for the objects and starts a delta sync.
// The first failed write stops everything after it.
func (r *run) apply(ctx context.Context, v *schema.Verdict) {
	for _, c := range v.Directory.Plan.Changes {
		if c.Action == schema.ActionAddACE && !r.grant(ctx, v, c) {
			return
		}
		if c.Action == schema.ActionAddOUACE && !r.ouGrant(ctx, v, c) {
			return
		}
		if c.Action == schema.ActionRemoveACE && !r.removeStale(ctx, v, c) {
			return
		}
	}
	for _, c := range v.Directory.Plan.Changes {
		if c.Action != schema.ActionRunProtectTask {
			continue
		}
		if r.env.DryRun {
			r.step(schema.ResultStep{Name: "trigger", Status: schema.StepSkipped, Change: c.ID, Server: c.Server, Message: "dry run: the protection task would be triggered here"})
			continue
		}
		r.trigger(ctx, v, c)
	}
	if r.env.DryRun {
		r.step(schema.ResultStep{Name: "sync", Status: schema.StepSkipped, Message: "dry run: a sync cycle would be started (--sync " + map[bool]string{true: "delta", false: r.env.SyncPolicy}[r.env.SyncPolicy == ""] + ")"})
		r.waitExport(ctx, v, time.Time{})
		return
	}
	r.wait(ctx, v)
	syncStarted := time.Now() // real time, like the engine's run history
	r.sync(ctx, v)
	r.waitExport(ctx, v, syncStarted)
}

// dial connects to server through the directory source of the connector
// whose diagnosis led to change id (another forest has another source).
func (r *run) dial(ctx context.Context, v *schema.Verdict, changeID, server string) (ldap.Conn, error) {
	d, err := r.env.Detect.Directory.Dialer(connectorOf(v, changeID))
	if err != nil {
		return nil, err
	}
	return d.Dial(ctx, server)
}

// connectorOf is the connector whose diagnosis led to change id.
func connectorOf(v *schema.Verdict, changeID string) string {
	for _, g := range v.Directory.Diagnoses {
		for _, id := range g.Changes {
			if id == changeID {
				return g.Connector
			}
		}
	}
	return ""
}

// readSD reads dn's DACL-only descriptor and uSNChanged.
func readSD(ctx context.Context, c ldap.Conn, dn string) (*ntsd.SecurityDescriptor, []byte, string, error) {
	es, err := c.Search(ctx, &ldap.SearchRequest{BaseDN: dn, Scope: ldap.ScopeBase, Filter: "(objectClass=*)",
		Attributes: []string{"nTSecurityDescriptor", "uSNChanged"}, Controls: []ldap.Control{ldap.SDFlagsControl(ldap.SDDACL)}})
	if err != nil {
		return nil, nil, "", err
	}
	if len(es) != 1 || len(es[0].Value("nTSecurityDescriptor")) == 0 {
		return nil, nil, "", fmt.Errorf("%s returned no security descriptor for %s", c.Server(), dn)
	}
	raw := es[0].Value("nTSecurityDescriptor")
	sd, err := ntsd.Parse(raw)
	if err != nil {
		return nil, nil, "", fmt.Errorf("the descriptor of %s does not parse: %w", dn, err)
	}
	return sd, raw, es[0].String("uSNChanged"), nil
}

// aceOf rebuilds the one ACE a grant adds from the plan's fields, checking
// them again: never broaden access, whatever the plan says.
func aceOf(c schema.Change) (ntsd.ACE, ntsd.SID, ntsd.GUID, error) {
	sid, err := ntsd.ParseSIDString(c.TrusteeSID)
	if err != nil {
		return ntsd.ACE{}, sid, ntsd.GUID{}, fmt.Errorf("trustee %q: %w", c.TrusteeSID, err)
	}
	g, err := ntsd.ParseGUID(c.AttributeGUID)
	if err != nil {
		return ntsd.ACE{}, sid, g, fmt.Errorf("attribute GUID %q: %w", c.AttributeGUID, err)
	}
	rid, _ := sid.RID()
	if len(sid.Sub) != 5 || sid.Sub[0] != 21 || rid < 1000 || g.IsZero() || c.Right != "WriteProperty" ||
		!isAdminSDHolder(c.TargetDN) {
		return ntsd.ACE{}, sid, g, fmt.Errorf("change %s is not one attribute-scoped Write-Property grant for an ordinary account on AdminSDHolder", c.ID)
	}
	return ntsd.NewObjectAllow(ntsd.RightWriteProperty, g, sid), sid, g, nil
}

// daclEdit is one change to a DACL (AdminSDHolder's or an OU's), carried out by edit: a
// grant inserts its ACE, a cleanup removes one.
type daclEdit struct {
	name string // the result and journal step of the write: write or remove
	// resolve finds the ACE in the backed-up descriptor; done says the DACL
	// is already as wanted (why), and nothing is written.
	resolve func(sd *ntsd.SecurityDescriptor) (ace ntsd.ACE, done string, err error)
	apply   func(dacl *ntsd.ACL, ace ntsd.ACE) error
	// holds checks the wanted state in the DACL as read back.
	holds func(dacl *ntsd.ACL, ace ntsd.ACE) bool
}

// grant adds one ACE to AdminSDHolder; false stops the run.
func (r *run) grant(ctx context.Context, v *schema.Verdict, c schema.Change) bool {
	ace, _, _, err := aceOf(c)
	if err != nil {
		r.step(schema.ResultStep{Name: "backup", Status: schema.StepFailed, Change: c.ID, Server: c.Server, DN: c.TargetDN, Message: err.Error() + ": nothing written"})
		return false
	}
	return r.edit(ctx, v, c, daclEdit{
		name: "write",
		resolve: func(sd *ntsd.SecurityDescriptor) (ntsd.ACE, string, error) {
			// Detect's access model (tokenGroups, property sets), not a SID comparison.
			dec, err := detect.HolderGrants(v, connectorOf(v, c.ID), c.Attribute, sd)
			if err != nil {
				return ace, "", err
			}
			if dec.Allowed {
				return ace, "AdminSDHolder already grants it: " + dec.Reason, nil
			}
			return ace, "", nil
		},
		apply: func(dacl *ntsd.ACL, a ntsd.ACE) error {
			if dacl.Insert(a) < 0 {
				return errors.New("the DACL would exceed its maximum size")
			}
			return nil
		},
		// Compared as a set: a DC may re-sort the DACL.
		holds: func(dacl *ntsd.ACL, a ntsd.ACE) bool { return dacl.Index(a) >= 0 },
	})
}

// edit backs up the DACL, re-reads and compares it, writes one edit, and
// reads it back; false stops the run.
func (r *run) edit(ctx context.Context, v *schema.Verdict, c schema.Change, e daclEdit) bool {
	base := schema.ResultStep{Change: c.ID, Server: c.Server, DN: c.TargetDN}
	what := "AdminSDHolder"
	if c.Action == schema.ActionAddOUACE {
		what = c.TargetDN
	}
	fail := func(name, msg string, i int) bool {
		s := base
		s.Name, s.Status, s.Message = name, schema.StepFailed, msg
		r.step(s)
		if i >= 0 {
			r.journal.End(i, "failed", msg, nil)
		}
		return false
	}
	conn, err := r.dial(ctx, v, c.ID, c.Server)
	if err != nil {
		return fail("backup", fmt.Sprintf("connect to %s: %v: nothing written", c.Server, err), -1)
	}
	defer conn.Close()

	i, _ := r.journal.Begin(JournalEntry{Name: "backup", Change: c.ID, Server: c.Server, DN: c.TargetDN})
	sd, raw, usn, err := readSD(ctx, conn, c.TargetDN)
	if err != nil {
		return fail("backup", err.Error()+": nothing written", i)
	}
	before := sd.SDDL(nil)
	r.journal.End(i, "done", "", func(je *JournalEntry) {
		je.Backup = &Backup{DN: c.TargetDN, Server: conn.Server(), SDHex: hex.EncodeToString(raw), SDDL: before, USNChanged: usn}
	})
	s := base
	s.Name, s.Status, s.Evidence.Before = "backup", schema.StepDone, before
	r.step(s)

	if sd.DACL == nil {
		return fail(e.name, what+" has no DACL: nothing written", -1)
	}
	ace, done, err := e.resolve(sd)
	if err != nil {
		return fail(e.name, err.Error()+": nothing written", -1)
	}
	aceSDDL := ace.SDDL(nil)
	if ace.SID.IsZero() {
		aceSDDL = c.ACE // a removal whose ACE is gone already
	}
	if done != "" {
		s := base
		s.Name, s.Status, s.Message, s.Evidence.ACE = e.name, schema.StepAlreadyPresent, done, aceSDDL
		r.step(s)
		return true
	}

	i, _ = r.journal.Begin(JournalEntry{Name: "compare", Change: c.ID, Server: c.Server, DN: c.TargetDN})
	_, again, _, err := readSD(ctx, conn, c.TargetDN)
	if err != nil {
		return fail("compare", err.Error()+": nothing written", i)
	}
	if !bytes.Equal(raw, again) {
		return fail("compare", what+"'s DACL changed between the backup and the write (someone else is editing it): nothing written; run detect again", i)
	}
	r.journal.End(i, "done", "", nil)

	if err := e.apply(sd.DACL, ace); err != nil {
		return fail(e.name, err.Error()+": nothing written", -1)
	}
	if r.env.DryRun {
		s := base
		s.Name, s.Status, s.Message = e.name, schema.StepSkipped, "dry run: this ACE would be "+map[string]string{"write": "inserted", "remove": "removed"}[e.name]+"; nothing written"
		s.Evidence.ACE, s.Evidence.Before, s.Evidence.After = aceSDDL, before, sd.SDDL(nil)
		r.step(s)
		return true
	}
	i, _ = r.journal.Begin(JournalEntry{Name: e.name, Change: c.ID, Server: c.Server, DN: c.TargetDN, ACE: aceSDDL, ACEHex: hex.EncodeToString(ace.Bytes())})
	if err := r.recordUse(); err != nil {
		return fail(e.name, err.Error()+": nothing written", i)
	}
	err = conn.Modify(ctx, c.TargetDN, []ldap.Mod{{Op: ldap.ModReplace, Attr: "nTSecurityDescriptor", Values: [][]byte{sd.Marshal()}}},
		[]ldap.Control{ldap.SDFlagsControl(ldap.SDDACL)})
	if err != nil {
		// A failed modify is atomic on the server: the DACL is as backed up.
		return fail(e.name, fmt.Sprintf("%v: %s is unchanged (as in the journal's backup)", err, what), i)
	}
	r.journal.End(i, "done", "", nil)
	s = base
	s.Name, s.Status, s.Evidence.ACE = e.name, schema.StepDone, aceSDDL
	r.step(s)

	i, _ = r.journal.Begin(JournalEntry{Name: "verify", Change: c.ID, Server: c.Server, DN: c.TargetDN})
	after, _, _, err := readSD(ctx, conn, c.TargetDN)
	if err != nil {
		return fail("verify", "the write was accepted but could not be read back: "+err.Error(), i)
	}
	if after.DACL == nil || !e.holds(after.DACL, ace) {
		return fail("verify", "the write was accepted but "+what+"'s DACL as read back does not show it", i)
	}
	r.journal.End(i, "done", "", nil)
	s = base
	s.Name, s.Status, s.Evidence.ACE, s.Evidence.Before, s.Evidence.After = "verify", schema.StepDone, aceSDDL, before, after.SDDL(nil)
	r.step(s)
	return true
}

// trigger asks the PDC emulator to run the protection task now.
func (r *run) trigger(ctx context.Context, v *schema.Verdict, c schema.Change) {
	r.triggerOn(ctx, func(ctx context.Context) (ldap.Conn, error) { return r.dial(ctx, v, c.ID, c.Server) },
		c.ID, c.Server, "the wait step shows when it has")
}

// triggerOn writes runProtectAdminGroupsTask on server's rootDSE; a refusal
// (Samba answers 53) leaves the step pending with afterwards said.
func (r *run) triggerOn(ctx context.Context, dial func(context.Context) (ldap.Conn, error), change, server, afterwards string) {
	s := schema.ResultStep{Name: "trigger", Change: change, Server: server}
	i, _ := r.journal.Begin(JournalEntry{Name: "trigger", Change: change, Server: server})
	conn, err := dial(ctx)
	if err == nil {
		err = conn.Modify(ctx, "", []ldap.Mod{{Op: ldap.ModAdd, Attr: "runProtectAdminGroupsTask", Values: [][]byte{[]byte("1")}}}, nil)
		conn.Close()
	}
	if err != nil {
		s.Status = schema.StepPending
		s.Message = fmt.Sprintf("the protection task could not be triggered on %s (%v); it runs there every 60 minutes by default: %s", server, err, afterwards)
		r.journal.End(i, "pending", s.Message, nil)
	} else {
		s.Status = schema.StepDone
		r.journal.End(i, "done", "", nil)
	}
	r.step(s)
}

// ouChanges: the plan carries OU grants.
func (r *run) ouChanges(v *schema.Verdict) bool {
	for _, c := range v.Directory.Plan.Changes {
		if c.Action == schema.ActionAddOUACE {
			return true
		}
	}
	return false
}

// sync starts the sync cycle (--sync) so the failing exports are retried now.
func (r *run) sync(ctx context.Context, v *schema.Verdict) {
	s := schema.ResultStep{Name: "sync"}
	if r.scope == ScopeDC {
		s.Status, s.Message = schema.StepSkipped, "this run carries out a member server's plan (--plan), away from its Entra Connect server: the Connect server's next scheduled cycle (every 30 minutes) retries the exports, or run Start-ADSyncSyncCycle -PolicyType Delta there"
		r.step(s)
		return
	}
	policy := "Delta"
	if r.env.SyncPolicy == "initial" {
		policy = "Initial"
	}
	switch {
	case r.env.SyncPolicy == "none":
		s.Status, s.Message = schema.StepSkipped, "--sync none: no cycle started; the next scheduled cycle (every 30 minutes) retries the exports, or run Start-ADSyncSyncCycle -PolicyType Delta"
		r.step(s)
		return
	case r.env.Sync == nil:
		s.Status, s.Message = schema.StepSkipped, "no sync engine to ask (run Start-ADSyncSyncCycle -PolicyType "+policy+")"
		r.step(s)
		return
	}
	i, _ := r.journal.Begin(JournalEntry{Name: "sync"})
	if err := r.env.Sync(ctx); err != nil {
		s.Status, s.Message = schema.StepPending, syncPendingMessage(err)
	} else {
		s.Status, s.Message = schema.StepDone, "Start-ADSyncSyncCycle -PolicyType "+policy+" accepted"
		if policy == "Delta" && r.ouChanges(v) {
			s.Message += "; a delta retries the pending exports, which is enough for these export errors. Microsoft's guidance after permission changes is a full cycle: run remediate with --sync initial (or Start-ADSyncSyncCycle -PolicyType Initial) when the connector's scope changed too (OUs or filtering added)"
		}
	}
	r.journal.End(i, string(s.Status), s.Message, nil)
	r.step(s)
}

// alreadyApplied: the live plan differs from the approved one because the
// approved one is in place (a second run). It finds the journal of that
// plan and checks, read from the directory, that every ACE it added is there.
func (r *run) alreadyApplied(ctx context.Context, v *schema.Verdict, prefix string) bool {
	js, _ := Journals(r.env.StateDir, r.akey)
	for _, j := range js {
		if j.Command != "remediate" || !strings.HasPrefix(j.PlanDigest, prefix) || prefix == "" {
			continue
		}
		var steps []schema.ResultStep
		for _, e := range j.Steps {
			// A grant's ACE must still be there, a cleanup's still gone.
			if (e.Name != "write" && e.Name != "remove") || e.State != "done" {
				continue
			}
			raw, err := hex.DecodeString(e.ACEHex)
			if err != nil {
				return false
			}
			if r.acePresent(ctx, v, e, raw) != (e.Name == "write") {
				return false
			}
			steps = append(steps, schema.ResultStep{Name: e.Name, Status: schema.StepAlreadyPresent, Change: e.Change, Server: e.Server, DN: e.DN,
				Message: "applied by journal " + j.ID + " and still in place", Evidence: schema.Evidence{ACE: e.ACE, ObjectsVerified: []string{}, ObjectsPending: []string{}}})
		}
		if len(steps) == 0 {
			return false
		}
		r.res.Steps = append(r.res.Steps, steps...)
		r.res.Status = schema.ResultAlreadyPresent
		return true
	}
	return false
}

func (r *run) acePresent(ctx context.Context, v *schema.Verdict, e JournalEntry, raw []byte) bool {
	conn, err := r.anyDial(ctx, v, e.Server)
	if err != nil {
		return false
	}
	defer conn.Close()
	sd, _, _, err := readSD(ctx, conn, e.DN)
	if err != nil || sd.DACL == nil {
		return false
	}
	for _, a := range sd.DACL.ACEs {
		if bytes.Equal(a.Bytes(), raw) {
			return true
		}
	}
	return false
}

// anyDial dials server through the first AD connector's directory source.
func (r *run) anyDial(ctx context.Context, v *schema.Verdict, server string) (ldap.Conn, error) {
	if v.Sync == nil && len(v.Directory.ConnectorAccounts) > 0 {
		// The DC path: the connectors are the plan parameters'.
		d, err := r.env.Detect.Directory.Dialer(v.Directory.ConnectorAccounts[0].Connector)
		if err != nil {
			return nil, err
		}
		return d.Dial(ctx, server)
	}
	if v.Sync != nil {
		for _, c := range v.Sync.Connectors {
			if c.Kind == "ad" {
				d, err := r.env.Detect.Directory.Dialer(c.Name)
				if err != nil {
					return nil, err
				}
				return d.Dial(ctx, server)
			}
		}
	}
	return nil, fmt.Errorf("no AD connector to reach %s through", server)
}
