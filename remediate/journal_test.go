package remediate_test

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"entra8344/internal/ntsd"
	"entra8344/remediate"
	"entra8344/schema"
)

const adminDN = "CN=Jane Admin,OU=Admins,DC=contoso,DC=com"

// everyoneAll is a descriptor whose DACL is D:(A;;GA;;;WD), built from a
// real one so that only the DACL differs.
func everyoneAll(t *testing.T, from []byte) []byte {
	sd, err := ntsd.Parse(from)
	if err != nil {
		t.Fatal(err)
	}
	sd.DACL.ACEs = nil
	sd.DACL.Insert(ntsd.ACE{Type: ntsd.AccessAllowed, Mask: ntsd.GenericAll, SID: ntsd.Everyone})
	return sd.Marshal()
}

// remediated runs the demo's remediation and returns its journal's path.
func remediated(t *testing.T) (*world, string, string) {
	w := newWorld(t, "keycredlink-admin", true)
	_, tok := w.approve()
	res := w.remediate(tok)
	if res.Status != schema.ResultVerified {
		t.Fatalf("remediate: %s", res.Summary)
	}
	return w, res.Journal.ID, filepath.Join(w.stateDir, remediate.JournalDir, res.Journal.ID+".json")
}

// editJSON rewrites a journal file through edit, keeping its MAC field.
func editJSON(t *testing.T, path string, edit func(j map[string]any)) {
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var j map[string]any
	if err := json.Unmarshal(b, &j); err != nil {
		t.Fatal(err)
	}
	edit(j)
	b, _ = json.MarshalIndent(j, "", "  ")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

func stepsOf(j map[string]any, name string) []map[string]any {
	var out []map[string]any
	for _, s := range j["steps"].([]any) {
		if m := s.(map[string]any); m["name"] == name {
			out = append(out, m)
		}
	}
	return out
}

// TestTamperedJournalRefused: a journal edited after the run (the issue's
// attack: the backup step pointed at an admin account with
// D:(A;;GA;;;WD)), or authenticated under another key, is refused as
// journal-tampered by revert and --restore-exact, and nothing is written.
func TestTamperedJournalRefused(t *testing.T) {
	for _, c := range []struct {
		name  string
		exact bool
		edit  func(t *testing.T, w *world, j map[string]any)
	}{
		{"backup pointed at an admin with Everyone:GenericAll", true, func(t *testing.T, w *world, j map[string]any) {
			b := stepsOf(j, "backup")[0]["backup"].(map[string]any)
			b["dn"], b["sd_hex"] = adminDN, hex.EncodeToString(everyoneAll(t, w.readSD(adminDN)))
			stepsOf(j, "backup")[0]["dn"] = adminDN
		}},
		{"backup SD only", true, func(t *testing.T, w *world, j map[string]any) {
			stepsOf(j, "backup")[0]["backup"].(map[string]any)["sd_hex"] = hex.EncodeToString(everyoneAll(t, w.holder()))
		}},
		{"added ACE replaced", false, func(t *testing.T, w *world, j map[string]any) {
			stepsOf(j, "write")[0]["ace_hex"] = hex.EncodeToString(ntsd.ACE{Type: ntsd.AccessAllowed, Mask: ntsd.RightReadControl, SID: ntsd.Everyone}.Bytes())
		}},
		{"server replaced", false, func(t *testing.T, w *world, j map[string]any) {
			stepsOf(j, "write")[0]["server"] = "evil.example.net"
		}},
		{"MAC removed", false, func(t *testing.T, w *world, j map[string]any) { delete(j, "mac") }},
		{"key source claimed msp", false, func(t *testing.T, w *world, j map[string]any) { j["key_source"] = "msp" }},
	} {
		t.Run(c.name, func(t *testing.T) {
			w, id, path := remediated(t)
			editJSON(t, path, func(j map[string]any) { c.edit(t, w, j) })
			admin, holder, mods := w.readSD(adminDN), w.holder(), len(w.dir.Modifications())
			rev := w.revert(w.revertEnv(id, c.exact))
			if rev.Status != schema.ResultRefused || rev.Refusal.Code != "journal-tampered" || !strings.Contains(rev.Refusal.Message, id) {
				t.Fatalf("got %s %+v, want refused journal-tampered", rev.Status, rev.Refusal)
			}
			if n := len(w.dir.Modifications()); n != mods || !bytes.Equal(w.readSD(adminDN), admin) || !bytes.Equal(w.holder(), holder) {
				t.Errorf("a refused revert wrote %d modifications", n-mods)
			}
		})
	}
	t.Run("another key", func(t *testing.T) {
		w, id, _ := remediated(t)
		env := w.revertEnv(id, false)
		env.Key = func() ([]byte, string, error) { return remediate.ReplayKey("other"), "msp", nil }
		rev := w.revert(env)
		if rev.Status != schema.ResultRefused || rev.Refusal.Code != "journal-tampered" || !strings.Contains(rev.Refusal.Message, "replay key") {
			t.Fatalf("got %s %+v, want journal-tampered naming the key the journal says it has", rev.Status, rev.Refusal)
		}
	})
}

// forged writes a journal that verifies (as if a bug or a key holder wrote
// it) with one done step per entry.
func forged(t *testing.T, w *world, entries ...remediate.JournalEntry) string {
	j, err := remediate.NewJournal(w.stateDir, "remediate", "entra01.contoso.com", strings.Repeat("0", 64), w.key, "replay", func() time.Time { return w.sc.Now })
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		b := e.Backup
		e.Backup = nil
		i, _ := j.Begin(e)
		if err := j.End(i, "done", "", func(je *remediate.JournalEntry) { je.Backup = b }); err != nil {
			t.Fatal(err)
		}
	}
	j.Finish("verified")
	return j.ID
}

// TestRevertBounded: even an authenticated journal makes revert act only
// on AdminSDHolder of the domain the DC confirms, remove only an ACE of
// the grant's exact shape for an allow-listed attribute and an ordinary
// account (detect.Grantable), and --restore-exact change nothing beyond
// the journal's own ACEs without a token for the difference.
func TestRevertBounded(t *testing.T) {
	connector := ntsd.MustSID("S-1-5-21-1004336348-1177238915-682003330-1109")
	keyCred, _ := ntsd.ParseGUID("5b47d60f-6090-40b2-9f37-2a4de88f3063")
	member, _ := ntsd.ParseGUID("bf9679c0-0de6-11d0-a285-00aa003049e2")
	ours := ntsd.NewObjectAllow(ntsd.RightWriteProperty, keyCred, connector)
	user := ntsd.MustGUID("bf967aba-0de6-11d0-a285-00aa003049e2")
	group := ntsd.MustGUID("bf967a9c-0de6-11d0-a285-00aa003049e2")
	computer := ntsd.MustGUID("bf967a86-0de6-11d0-a285-00aa003049e2")
	pwdLastSet := ntsd.MustGUID("bf967a0a-0de6-11d0-a285-00aa003049e2")
	const ouDN = "OU=Admins,DC=contoso,DC=com"
	write := func(dn string, a ntsd.ACE) remediate.JournalEntry {
		return remediate.JournalEntry{Name: "write", Server: "dc01.contoso.com", DN: dn, ACE: a.SDDL(nil), ACEHex: hex.EncodeToString(a.Bytes())}
	}
	backup := func(dn string, sd []byte) remediate.JournalEntry {
		return remediate.JournalEntry{Name: "backup", Server: "dc01.contoso.com", DN: dn,
			Backup: &remediate.Backup{DN: dn, Server: "dc01.contoso.com", SDHex: hex.EncodeToString(sd)}}
	}
	for _, c := range []struct {
		name, code string
		exact      bool
		entries    func(w *world) []remediate.JournalEntry
	}{
		{"our ACE on an admin account", "revert-out-of-bounds", false, func(w *world) []remediate.JournalEntry {
			return []remediate.JournalEntry{write(adminDN, ours)}
		}},
		{"Everyone GenericAll", "revert-out-of-bounds", false, func(w *world) []remediate.JournalEntry {
			return []remediate.JournalEntry{write(holderDN, ntsd.ACE{Type: ntsd.AccessAllowed, Mask: ntsd.GenericAll, SID: ntsd.Everyone})}
		}},
		{"inheritable", "revert-out-of-bounds", false, func(w *world) []remediate.JournalEntry {
			a := ours
			a.Flags = ntsd.ContainerInherit
			return []remediate.JournalEntry{write(holderDN, a)}
		}},
		{"all properties", "revert-out-of-bounds", false, func(w *world) []remediate.JournalEntry {
			return []remediate.JournalEntry{write(holderDN, ntsd.ACE{Type: ntsd.AccessAllowed, Mask: ntsd.RightWriteProperty, SID: connector})}
		}},
		{"not allow-listed attribute", "revert-out-of-bounds", false, func(w *world) []remediate.JournalEntry {
			return []remediate.JournalEntry{write(holderDN, ntsd.NewObjectAllow(ntsd.RightWriteProperty, member, connector))}
		}},
		{"well-known trustee", "revert-out-of-bounds", false, func(w *world) []remediate.JournalEntry {
			return []remediate.JournalEntry{write(holderDN, ntsd.NewObjectAllow(ntsd.RightWriteProperty, keyCred, ntsd.Everyone))}
		}},
		{"another domain's AdminSDHolder", "revert-out-of-bounds", false, func(w *world) []remediate.JournalEntry {
			return []remediate.JournalEntry{write("CN=AdminSDHolder,CN=System,DC=fabrikam,DC=com", ours)}
		}},
		// Issue 16: an OU target is accepted only for exactly shape (b).
		{"OU: all properties", "revert-out-of-bounds", false, func(w *world) []remediate.JournalEntry {
			a := ntsd.NewInheritableObjectAllow(ntsd.RightReadProperty|ntsd.RightWriteProperty, ntsd.GUID{}, user, connector)
			a.ObjectFlags = ntsd.InheritedObjectTypePresent
			return []remediate.JournalEntry{write(ouDN, a)}
		}},
		{"OU: not inherit-only", "revert-out-of-bounds", false, func(w *world) []remediate.JournalEntry {
			a := ntsd.NewInheritableObjectAllow(ntsd.RightReadProperty|ntsd.RightWriteProperty, keyCred, user, connector)
			a.Flags = ntsd.ContainerInherit
			return []remediate.JournalEntry{write(ouDN, a)}
		}},
		{"OU: password attribute", "revert-out-of-bounds", false, func(w *world) []remediate.JournalEntry {
			return []remediate.JournalEntry{write(ouDN, ntsd.NewInheritableObjectAllow(ntsd.RightReadProperty|ntsd.RightWriteProperty, pwdLastSet, user, connector))}
		}},
		{"OU: group writeback attribute", "revert-out-of-bounds", false, func(w *world) []remediate.JournalEntry {
			return []remediate.JournalEntry{write(ouDN, ntsd.NewInheritableObjectAllow(ntsd.RightReadProperty|ntsd.RightWriteProperty, member, group, connector))}
		}},
		{"OU: a class outside the four", "revert-out-of-bounds", false, func(w *world) []remediate.JournalEntry {
			return []remediate.JournalEntry{write(ouDN, ntsd.NewInheritableObjectAllow(ntsd.RightReadProperty|ntsd.RightWriteProperty, keyCred, computer, connector))}
		}},
		{"OU: well-known trustee", "revert-out-of-bounds", false, func(w *world) []remediate.JournalEntry {
			return []remediate.JournalEntry{write(ouDN, ntsd.NewInheritableObjectAllow(ntsd.RightReadProperty|ntsd.RightWriteProperty, keyCred, user, ntsd.AuthenticatedUsers))}
		}},
		{"OU shape on an admin account", "revert-out-of-bounds", false, func(w *world) []remediate.JournalEntry {
			return []remediate.JournalEntry{write(adminDN, ntsd.NewInheritableObjectAllow(ntsd.RightReadProperty|ntsd.RightWriteProperty, keyCred, user, connector))}
		}},
		{"restore onto an admin account", "revert-out-of-bounds", true, func(w *world) []remediate.JournalEntry {
			return []remediate.JournalEntry{backup(adminDN, everyoneAll(w.t, w.readSD(adminDN)))}
		}},
		{"restore beyond the journal", "restore-beyond-journal", true, func(w *world) []remediate.JournalEntry {
			return []remediate.JournalEntry{backup(holderDN, everyoneAll(w.t, w.holder()))}
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			w := newWorld(t, "keycredlink-admin", true)
			w.editDACL(holderDN, func(d *ntsd.ACL) { d.Insert(ours) }) // present, so a remove would write
			w.editDACL(adminDN, func(d *ntsd.ACL) { d.Insert(ours) })
			id := forged(t, w, c.entries(w)...)
			admin, holder, mods := w.readSD(adminDN), w.holder(), len(w.dir.Modifications())
			rev := w.revert(w.revertEnv(id, c.exact))
			if rev.Status != schema.ResultRefused || rev.Refusal.Code != c.code {
				t.Fatalf("got %s %+v, want refused %s", rev.Status, rev.Refusal, c.code)
			}
			if n := len(w.dir.Modifications()); n != mods || !bytes.Equal(w.readSD(adminDN), admin) || !bytes.Equal(w.holder(), holder) {
				t.Errorf("a refused revert wrote %d modifications", n-mods)
			}
			t.Logf("refused: %s", rev.Refusal.Message)
		})
	}
}

// TestApprovalWritesOnce: after an approval led to a write, a person
// removes the ACE by hand (from AdminSDHolder and the admin's copy), so the
// live plan equals the approved one again; the same token then writes
// nothing: token-used. With the ACE back in place it is already-present.
// A used-approval record that does not verify still refuses.
func TestApprovalWritesOnce(t *testing.T) {
	for _, c := range []struct {
		name   string
		edit   func(t *testing.T, w *world)
		status schema.ResultStatus
		code   string
	}{
		{"removed by hand", nil, schema.ResultRefused, "token-used"},
		{"record altered", func(t *testing.T, w *world) {
			ents, _ := os.ReadDir(filepath.Join(w.stateDir, remediate.UsedDir))
			if len(ents) != 1 {
				t.Fatalf("%d used-approval records, want 1", len(ents))
			}
			editJSON(t, filepath.Join(w.stateDir, remediate.UsedDir, ents[0].Name()), func(j map[string]any) { j["journal"] = "20250101T000000Z-000000" })
		}, schema.ResultRefused, "token-used"},
		{"put back by hand", func(t *testing.T, w *world) {
			w.editDACL(holderDN, func(d *ntsd.ACL) { d.Insert(ourACE(t)) })
		}, schema.ResultAlreadyPresent, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			w := newWorld(t, "keycredlink-admin", true)
			v, tok := w.approve()
			if res := w.remediate(tok); res.Status != schema.ResultVerified {
				t.Fatalf("remediate: %s", res.Summary)
			}
			for _, dn := range []string{holderDN, adminDN} {
				w.editDACL(dn, func(d *ntsd.ACL) { d.Remove(ourACE(t)) })
			}
			if again, _ := w.approve(); remediate.Digest(again.Directory.Plan) != remediate.Digest(v.Directory.Plan) {
				t.Fatal("after the manual removal the live plan should equal the approved one")
			}
			if c.edit != nil {
				c.edit(t, w)
			}
			holder, mods := w.holder(), len(w.dir.Modifications())
			res := w.remediate(tok)
			if res.Status != c.status || (c.code != "" && (res.Refusal == nil || res.Refusal.Code != c.code)) {
				t.Fatalf("got %s %+v, want %s %s", res.Status, res.Refusal, c.status, c.code)
			}
			if n := len(w.dir.Modifications()); n != mods || !bytes.Equal(w.holder(), holder) {
				t.Errorf("the used approval wrote %d modifications", n-mods)
			}
		})
	}
}
