package detect

import (
	"fmt"
	"regexp"
	"strings"

	"entra8344/internal/shellquote"
)

// The manual lines are for a PowerShell prompt; dsacls lines are also valid
// cmd.exe lines. Every name from the directory goes through
// internal/shellquote; where it cannot be carried safely the line is
// replaced by a note (starting with #) that names no directory string, so
// no printed line ever breaks or names another object.

// dsaclsArg is one argument after the object: a switch of ours (raw) or a
// value, quoted.
type dsaclsArg struct {
	s   string
	raw bool
}

func sw(s string) dsaclsArg  { return dsaclsArg{s, true} }
func val(s string) dsaclsArg { return dsaclsArg{s, false} }

// dsaclsLine is `dsacls <object> <args...>`, object and values quoted for
// cmd.exe; on refusal a note says why and what to do instead.
func dsaclsLine(instead string, object string, args ...dsaclsArg) string {
	obj, err := shellquote.Cmd(object)
	if err != nil {
		return fmt.Sprintf("# no dsacls line for this object: its name %v; %s", err, instead)
	}
	line := "dsacls " + obj
	for _, a := range args {
		q := a.s
		if !a.raw {
			if q, err = shellquote.Cmd(a.s); err != nil {
				return fmt.Sprintf("# no dsacls line for this object: an argument %v; %s", err, instead)
			}
		}
		line += " " + q
	}
	return line
}

// psLine fills each %s of format with the PowerShell literal of the
// matching string.
func psLine(format string, strs ...string) string {
	qs := make([]any, len(strs))
	for i, s := range strs {
		q, err := shellquote.PowerShell(s)
		if err != nil {
			return fmt.Sprintf("# no PowerShell line for this object: a name %v", err)
		}
		qs[i] = q
	}
	return fmt.Sprintf(format, qs...)
}

// clearAdminCountLine clears adminCount on dn.
func clearAdminCountLine(dn string) string {
	return psLine("Set-ADObject -Identity %s -Clear adminCount", dn)
}

// inheritLine re-enables inheritance on dn: dsacls /P:N, or where dn cannot
// go on a cmd.exe line, the same through the ActiveDirectory module.
func inheritLine(dn string) string {
	if _, err := shellquote.Cmd(dn); err == nil {
		return dsaclsLine("", dn, sw("/P:N"))
	}
	return psLine("$o = Get-ADObject -Identity %[1]s -Properties nTSecurityDescriptor; $o.nTSecurityDescriptor.SetAccessRuleProtection($false, $true); Set-ADObject -Identity %[1]s -Replace @{nTSecurityDescriptor = $o.nTSecurityDescriptor}", dn)
}

// hostRE is a DNS host name: it goes into \\server\ and LDAP://server/
// paths, where a / or \ would name another object.
var hostRE = regexp.MustCompile(`^[A-Za-z0-9_]([A-Za-z0-9_-]{0,62})(\.[A-Za-z0-9_]([A-Za-z0-9_-]{0,62}))*\.?$`)

// attrRE is an LDAP display name; dsacls reads ; and : as separators.
var attrRE = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9-]{0,254}$`)

// dsaclsOnHolder is a dsacls line on AdminSDHolder through server, with
// one permission argument (op is /G or /R) for trustee[:perm].
func dsaclsOnHolder(instead, server, holder, op, perm string) string {
	if perm == "" {
		return "# no dsacls line: the account's name holds a dsacls separator (: or ;); " + instead
	}
	if !hostRE.MatchString(server) {
		return "# no dsacls line: the domain controller's name is not a DNS host name; " + instead
	}
	return dsaclsLine(instead, `\\`+server+`\`+holder, sw(op), val(perm))
}

// triggerLine writes runProtectAdminGroupsTask on server's rootDSE.
func triggerLine(server string) string {
	if !hostRE.MatchString(server) {
		return "# no protection task line: the PDC emulator's name is not a DNS host name; trigger runProtectAdminGroupsTask with ldp.exe on the PDC emulator"
	}
	return psLine("$d = [ADSI]%s; $d.Put('runProtectAdminGroupsTask', '1'); $d.SetInfo()", "LDAP://"+server+"/RootDSE")
}

// syncLine starts a delta sync on the Entra Connect server.
const syncLine = "Start-ADSyncSyncCycle -PolicyType Delta"

// permArg is a dsacls permission argument trustee:rights;attr[;class], or
// "" when a name would be read as another permission: a trustee holding a
// dsacls separator (: ;), or an attribute that is not an LDAP display name.
func permArg(trustee, rights, attr, class string) string {
	if trustee == "" || strings.ContainsAny(trustee, ":;") || !attrRE.MatchString(attr) {
		return ""
	}
	p := trustee + ":" + rights + ";" + attr
	if class != "" {
		p += ";" + class
	}
	return p
}

// staleRemoveLines remove a stale connector account's ACEs from
// AdminSDHolder by hand. dsacls /R removes every explicit ACE of the
// account, so it is printed only when all of them are allow ACEs
// (broadens false): removing a deny could grant access.
func staleRemoveLines(server, holder, who string, broadens bool) []string {
	const instead = "approve the cleanup instead (it removes only the allow ACEs listed in its changes), or remove them in Active Directory Users and Computers (View > Advanced Features, System > AdminSDHolder > Properties > Security > Advanced)"
	if broadens {
		return []string{"# no dsacls line: dsacls /R would also remove this account's deny or audit ACEs on AdminSDHolder (or ACEs entra8344 cannot read) and could grant access; " + instead}
	}
	if who == "" || strings.ContainsAny(who, ":;") {
		return []string{"# no dsacls line: the account's name holds a dsacls separator (: or ;); " + instead}
	}
	return []string{dsaclsOnHolder(instead, server, holder, "/R", who)}
}
