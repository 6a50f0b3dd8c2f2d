package detect

import (
	"strings"
	"testing"

	"entra8344/internal/ad"
	"entra8344/internal/ntsd"
)

// TestOriginNamesTheContainer (issue 13 §6): an inherited deciding ACE is
// traced to the container where it is explicit, through ancestors that hold
// only an inherited copy, and never past a container whose inheritance is
// blocked; an ACE that is not inheritable there, or gives something else,
// is no origin.
func TestOriginNamesTheContainer(t *testing.T) {
	const nc = "DC=contoso,DC=com"
	msol := ntsd.MustSID("S-1-5-21-1-2-3-1109")
	attr, user := ntsd.MustGUID("5b47d60f-6090-40b2-9f37-2a4de88f3063"), ntsd.MustGUID("bf967aba-0de6-11d0-a285-00aa003049e2")
	grant := ntsd.NewInheritableObjectAllow(0x30, attr, user, msol) // RP+WP, CI+IO, for users
	copyOf := func(a ntsd.ACE, applies bool) ntsd.ACE { return ntsd.InheritedCopy(a, applies) }
	other := ntsd.NewInheritableObjectAllow(0x20, attr, user, msol) // WP only: another grant
	notInheritable := grant
	notInheritable.Flags = 0
	sd := func(protected bool, aces ...ntsd.ACE) *ntsd.SecurityDescriptor {
		c := ntsd.ControlSelfRelative | ntsd.ControlDACLPresent
		if protected {
			c |= ntsd.ControlDACLProtected
		}
		return &ntsd.SecurityDescriptor{Revision: 1, Control: c, DACL: &ntsd.ACL{Revision: 4, ACEs: aces}}
	}
	obj := &ad.Object{DN: "CN=Jane,OU=Team,OU=Staff," + nc, Found: true, DomainNC: nc, SD: sd(false, copyOf(grant, true))}
	cases := []struct {
		name              string
		head, staff, team *ntsd.SecurityDescriptor
		want              string
	}{
		{"explicit on the domain head, copies below", sd(false, grant), sd(false, copyOf(grant, false)), sd(false, copyOf(grant, false)), "inherited from " + nc},
		{"explicit on the OU that holds it", sd(false), sd(false, grant), sd(false, copyOf(grant, false)), "inherited from OU=Staff," + nc},
		{"explicit on the parent", sd(false, grant), sd(false, grant), sd(false, grant), "inherited from OU=Team,OU=Staff," + nc},
		{"blocked in between: the head is no origin", sd(false, grant), sd(true), sd(false, copyOf(grant, false)), "inherited from a parent container the read did not reach"},
		{"not inheritable where it is explicit", sd(false, notInheritable), sd(false), sd(false), "inherited from a parent container the read did not reach"},
		{"another grant is no origin", sd(false, other), sd(false), sd(false), "inherited from a parent container the read did not reach"},
		{"a container not read", nil, sd(false), sd(false), "inherited from a parent container the read did not reach"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := &ad.Snapshot{Containers: map[string]*ad.Object{}}
			for dn, d := range map[string]*ntsd.SecurityDescriptor{nc: c.head, "OU=Staff," + nc: c.staff, "OU=Team,OU=Staff," + nc: c.team} {
				if d != nil {
					s.Containers[normalKey(dn)] = &ad.Object{DN: dn, Found: true, DomainNC: nc, SD: d}
				}
			}
			if got := originOf(s, obj, 0, nil); got != c.want {
				t.Errorf("got %q, want %q", got, c.want)
			}
		})
	}
	explicit := &ad.Object{DN: obj.DN, Found: true, SD: sd(false, grant)}
	if got := originOf(&ad.Snapshot{}, explicit, 0, nil); !strings.HasPrefix(got, "explicit") {
		t.Errorf("an explicit ACE: %q", got)
	}
}
