package adsync

import (
	"fmt"
	"testing"
)

// csOne is a one-object csexport whose export-errordetail carries errorType
// and detail (the cd-error elements) verbatim.
func csOne(errorType, detail string) []byte {
	return []byte(fmt.Sprintf(`<?xml version="1.0" encoding="utf-8"?>
<cs-objects>
 <cs-object cs-dn="CN=First,OU=Admins,DC=contoso,DC=com" id="{11111111-2222-3333-4444-555555555555}" object-type="user">
  <unapplied-export><delta operation="update" dn="CN=First,OU=Admins,DC=contoso,DC=com"><attr name="msDS-KeyCredentialLink" type="string" multivalued="true" operation="update"><value operation="add">B:8:01:CN=First</value></attr></delta></unapplied-export>
  <export-errordetail first-occurred="2025-06-16T14:30:05.1200000" date-occurred="2025-06-16T14:30:21.0000000" retry-count="3" error-type="%s">
   <export-status>%s</export-status>
  </export-errordetail>
 </cs-object>
</cs-objects>`, errorType, detail))
}

// TestErrorTypeCaseInsensitive (issue 19 §1): the permission-issue error
// type alone (no code, no server text) marks insufficient access in any
// letter case the engine or a hand-edited export writes it.
func TestErrorTypeCaseInsensitive(t *testing.T) {
	for _, tc := range []struct {
		errorType string
		want      bool
	}{{"permission-issue", true}, {"Permission-Issue", true}, {"PERMISSION-ISSUE", true}, {"cd-error", false}, {"permission", false}} {
		got, _, err := csCollect(t, csOne(tc.errorType, `<cd-error><error-literal>refused</error-literal></cd-error>`))
		if err != nil || len(got) != 1 {
			t.Fatalf("%s: %v, %d errors", tc.errorType, err, len(got))
		}
		if got[0].InsufficientAccess() != tc.want {
			t.Errorf("error-type %q: InsufficientAccess %v, want %v", tc.errorType, !tc.want, tc.want)
		}
	}
}

// TestFirstCDErrorWins (issue 19 §1): of repeated cd-error elements, and of
// repeated children inside one, the first is taken: a later (appended,
// hostile) value never replaces what the engine wrote first.
func TestFirstCDErrorWins(t *testing.T) {
	for name, detail := range map[string]string{
		"children": `<cd-error><error-code>8344</error-code><error-code>0x80230713</error-code>` +
			`<error-literal>first</error-literal><error-literal>second</error-literal>` +
			`<server-error-detail>00002098: first</server-error-detail><server-error-detail>second</server-error-detail>` +
			`<error-name>First</error-name><error-name>Second</error-name>` +
			`<extra-error-details>first</extra-error-details><extra-error-details>second</extra-error-details></cd-error>`,
		"elements": `<cd-error><error-code>8344</error-code><error-literal>first</error-literal><server-error-detail>00002098: first</server-error-detail>` +
			`<error-name>First</error-name><extra-error-details>first</extra-error-details></cd-error>` +
			`<cd-error><error-code>0x80230713</error-code><error-literal>second</error-literal><server-error-detail>second</server-error-detail>` +
			`<error-name>Second</error-name><extra-error-details>second</extra-error-details></cd-error>`,
	} {
		got, _, err := csCollect(t, csOne("cd-error", detail))
		if err != nil || len(got) != 1 {
			t.Fatalf("%s: %v, %d errors", name, err, len(got))
		}
		e := got[0]
		if e.ErrorCode != "8344" || e.Code != 8344 || e.ErrorLiteral != "first" || e.ServerErrorDetail != "00002098: first" ||
			e.ErrorName != "First" || e.ExtraErrorDetails != "first" {
			t.Errorf("%s: %+v, want the first of each", name, e)
		}
	}
}
