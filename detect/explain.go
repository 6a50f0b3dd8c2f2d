package detect

import (
	"fmt"
	"strings"

	"entra8344/internal/adsync"
	"entra8344/schema"
)

// explain writes what a technician reads first: what is failing, since when,
// why it matters, and what to do next. Plain English, no jargon without a gloss.
func explain(c adsync.Connector, f schema.Finding) (explanation, next string) {
	objs := plural(f.ObjectCount, "object", "objects")
	attrs := "the attributes it exports"
	if len(f.Attributes) > 0 {
		attrs = strings.Join(f.Attributes, ", ")
	}
	since := ""
	if f.FirstOccurred != nil {
		since = fmt.Sprintf(" since %s", (*f.FirstOccurred)[:10])
	}
	retries := ""
	if f.MaxRetryCount > 0 {
		retries = fmt.Sprintf(", retried up to %d times", f.MaxRetryCount)
	}
	switch f.Kind {
	case schema.KindPermission8344:
		account := "the AD DS connector account"
		if c.LoginUser != "" {
			account = fmt.Sprintf("the AD DS connector account %s", accountName(c))
		}
		explanation = fmt.Sprintf("Entra Connect cannot write %s back to on-premises AD for %s in %q: "+
			"AD answers every export cycle with error 8344 (insufficient access rights)%s%s. "+
			"%s lacks Write permission on that attribute of those objects. "+
			"The usual hidden cause is AdminSDHolder: for protected admin accounts (adminCount=1) "+
			"the protection task (SDProp) replaces their permissions every hour and removes the inherited writeback right; "+
			"on ordinary objects the OU permissions for the feature are missing.",
			attrs, objs, c.Name, since, retries, capitalize(account))
		next = "Check whether these objects are protected (adminCount=1, inheritance disabled). " +
			"Protected: the fix is one Write-Property ACE for the connector account on that attribute on " +
			"CN=AdminSDHolder,CN=System,<domain>, then SDProp, then a delta sync. " +
			"Not protected: grant the OU permissions with the ADSyncConfig module (Set-ADSync...Permissions). " +
			"Nothing was changed by this check."
	case schema.KindCloudConflict:
		explanation = fmt.Sprintf("Microsoft Entra ID rejects %s from %q because a value it must hold uniquely "+
			"(for example proxyAddresses or userPrincipalName) already belongs to another object (%s)%s%s. "+
			"This is a data collision, not a permission problem: no permission change will fix it.",
			objs, c.Name, strings.Join(f.ErrorTypes, ", "), since, retries)
		next = "A person decides which object keeps the value: find the duplicate (Entra admin center, " +
			"Entra Connect Health sync errors, or Get-ADSyncCSObject), correct or remove it on-premises, " +
			"and the next sync cycle exports the object."
	default:
		dir := map[string]string{"writeback": "to on-premises AD", "cloud": "to Microsoft Entra ID", "other": "to the connected system"}[f.Direction]
		explanation = fmt.Sprintf("%s of connector %q fail to export %s with %s%s%s. "+
			"This is not the 8344 permission pattern.",
			capitalize(objs), c.Name, dir, describeErrors(f), since, retries)
		next = "Read the error detail of the objects below (Synchronization Service Manager, Connectors, " +
			"the connector, Search Connector Space, export errors) and fix the data or the configuration it names."
	}
	return explanation, next
}

func describeErrors(f schema.Finding) string {
	parts := append([]string{}, f.ErrorTypes...)
	if len(f.ErrorCodes) > 0 {
		parts = append(parts, "code "+strings.Join(f.ErrorCodes, ", "))
	}
	if len(parts) == 0 {
		return "an unnamed error"
	}
	return strings.Join(parts, ", ")
}

func accountName(c adsync.Connector) string {
	if c.LoginDomain == "" {
		return c.LoginUser
	}
	return c.LoginDomain + `\` + c.LoginUser
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
