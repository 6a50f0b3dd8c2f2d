package adsync

import "strings"

// hresultInsuffAccess is HRESULT_FROM_WIN32(ERROR_DS_INSUFF_ACCESS_RIGHTS),
// the form .NET and PowerShell print 8344 in.
const hresultInsuffAccess = 0x80072098

// InsufficientAccess reports whether e is AD's "insufficient access
// rights" in any form it is written: 8344 / 0x2098 / 0x80072098
// (ERROR_DS_INSUFF_ACCESS_RIGHTS), LDAP result 50, the permission-issue
// error type, and the server text (problem 4003, INSUFF_ACCESS_RIGHTS,
// 00002098:). The DSID varies by DC build, so it is never matched.
func (e ExportError) InsufficientAccess() bool {
	if e.Code == 8344 || e.Code == hresultInsuffAccess || e.Code == 50 || strings.EqualFold(e.ErrorType, "permission-issue") {
		return true
	}
	d := strings.ToUpper(e.ServerErrorDetail + " " + e.ErrorLiteral + " " + e.ErrorName)
	return strings.Contains(d, "INSUFF_ACCESS_RIGHTS") || strings.Contains(d, "PROBLEM 4003") ||
		strings.HasPrefix(strings.TrimSpace(e.ServerErrorDetail), "00002098")
}
