package shellquote

import (
	"math/rand"
	"reflect"
	"strings"
	"testing"

	"entra8344/internal/ldap"
	"entra8344/internal/shellquote/shelltest"
)

// TestPowerShellNamesExactlyTheDN: every hostile DN, quoted for PowerShell
// and put on a line, reads back (by PowerShell's tokenizing rules) as
// exactly that DN, and nothing in it ends the string: the rest of the line
// is the template's.
func TestPowerShellNamesExactlyTheDN(t *testing.T) {
	for _, tc := range shelltest.Hostile {
		q, err := PowerShell(tc.DN)
		if err != nil {
			t.Errorf("%s: %v", tc.Name, err)
			continue
		}
		line := "Set-ADObject -Identity " + q + " -Clear adminCount"
		sk, vals, err := shelltest.PowerShell(line)
		if err != nil {
			t.Errorf("%s: %s: %v", tc.Name, line, err)
			continue
		}
		if sk != "Set-ADObject -Identity <S> -Clear adminCount" || !reflect.DeepEqual(vals, []string{tc.DN}) {
			t.Errorf("%s: %s reads back as %q with strings %q, want exactly %q", tc.Name, line, sk, vals, tc.DN)
		}
		sameDN(t, tc.Name, tc.DN, vals)
	}
}

// TestCmdNamesExactlyTheDNOrRefuses: a hostile DN either is refused for a
// cmd.exe line (the callers print the PowerShell form or a note instead)
// or, on a dsacls line, passes cmd.exe's checks (no expansion, no
// operator outside quotes, no line break), splits by the MSVCRT rules into
// exactly the DN, and names the same DN if pasted into PowerShell.
func TestCmdNamesExactlyTheDNOrRefuses(t *testing.T) {
	for _, tc := range shelltest.Hostile {
		q, err := Cmd(tc.DN)
		if (err == nil) != tc.Cmd {
			t.Errorf("%s: Cmd(%q) = %q, %v; want refused %v", tc.Name, tc.DN, q, err, !tc.Cmd)
		}
		if err != nil {
			continue
		}
		line := "dsacls " + q + " /P:N"
		args, err := shelltest.Cmd(line)
		if err != nil || !reflect.DeepEqual(args, []string{"dsacls", tc.DN, "/P:N"}) {
			t.Errorf("%s: %s splits as %q (%v), want exactly the DN", tc.Name, line, args, err)
			continue
		}
		sameDN(t, tc.Name, tc.DN, args[1:2])
		if sk, vals, err := shelltest.PowerShell(line); err != nil || sk != "dsacls <S> /P:N" || !reflect.DeepEqual(vals, []string{tc.DN}) {
			t.Errorf("%s: pasted into PowerShell, %s reads as %q %q (%v)", tc.Name, line, sk, vals, err)
		}
	}
}

func TestInvalidUTF8Refused(t *testing.T) {
	if _, err := PowerShell("CN=a\xff,DC=c"); err == nil {
		t.Error("PowerShell accepted invalid UTF-8")
	}
	if _, err := Cmd("CN=a\xff,DC=c"); err == nil {
		t.Error("Cmd accepted invalid UTF-8")
	}
}

// TestQuotingRandomHostileStrings: strings drawn from the dangerous
// characters always read back exactly (PowerShell) or are refused or read
// back exactly (cmd).
func TestQuotingRandomHostileStrings(t *testing.T) {
	alphabet := []rune("'\u2018\u2019\u201a\u201b\"\u201c\u201d\u201e$()`%!^&|<>;,=+#\\ \t\r\n\x00aZ9\u2028\u202e\U000E0041")
	rnd := rand.New(rand.NewSource(8344))
	for n := 0; n < 20000; n++ {
		rs := make([]rune, rnd.Intn(12))
		for i := range rs {
			rs[i] = alphabet[rnd.Intn(len(alphabet))]
		}
		s := string(rs)
		q, err := PowerShell(s)
		if err != nil {
			t.Fatalf("PowerShell(%q): %v", s, err)
		}
		if sk, vals, err := shelltest.PowerShell("X " + q + " Y"); err != nil || sk != "X <S> Y" || !reflect.DeepEqual(vals, []string{s}) {
			t.Fatalf("PowerShell(%q) = %s reads as %q %q (%v)", s, q, sk, vals, err)
		}
		if q, err := Cmd(s); err == nil {
			if args, err := shelltest.Cmd("dsacls " + q + " /P:N"); err != nil || !reflect.DeepEqual(args, []string{"dsacls", s, "/P:N"}) {
				t.Fatalf("Cmd(%q) = %s splits as %q (%v)", s, q, args, err)
			}
		}
	}
}

// sameDN: where the original parses as a DN, the value read back is the
// same DN by internal/ldap's parser and equality.
func sameDN(t *testing.T, name, want string, got []string) {
	t.Helper()
	w, err := ldap.ParseDN(want)
	if err != nil || len(got) != 1 {
		return
	}
	if g, err := ldap.ParseDN(got[0]); err != nil || !g.Equal(w) || strings.Compare(g.String(), w.String()) != 0 {
		t.Errorf("%s: read back %q, not the DN %q (%v)", name, got, want, err)
	}
}
