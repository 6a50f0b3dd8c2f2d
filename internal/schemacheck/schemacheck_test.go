package schemacheck_test

import (
	"entra8344/internal/schemacheck"
	"entra8344/schema"
	"strings"
	"testing"
)

const minimal = `{"schema_version":"entra8344.verdict.v2","tool":{"name":"entra8344","version":"dev"},
"generated_at":"2025-06-16T15:00:00Z","status":"not_applicable","exit_code":0,"summary":"NOT_APPLICABLE",
"labels":{"client":"","site":""},
"host":{"computer":"FS01","dns_domain":"","is_dc":false,"is_pdc_emulator":null,"adsync_service":"absent","connect_version":null,"sync_engine_dir":null},
"sync":null,"findings":[],"directory":{"performed":false,"reason":"r","domains":[],"connector_accounts":[],"attributes":[],"diagnoses":[],
"plan":{"changes":[],"manual":[],"remediable_here":false,"remediable_reason":"","risk_notes":[]},"ldap_operations":0},"approval":null,"warnings":[],"errors":[],
"collection":{"replay":null,"processes_started":0,"timings_ms":{"host":0,"collector":0,"csexport":0,"classify":0,"directory":0,"total":0}}}`

// The schema is the contract: it must refuse what the dashboard cannot read.
func TestVerdictSchemaRefuses(t *testing.T) {
	if err := schemacheck.Validate("verdict", []byte(minimal)); err != nil {
		t.Fatalf("minimal verdict: %v", err)
	}
	for name, edit := range map[string][2]string{
		"unknown field":      {`"sync":null,`, `"sync":null,"extra":1,`},
		"unknown status":     {`"status":"not_applicable"`, `"status":"fine"`},
		"exit code 4":        {`"exit_code":0`, `"exit_code":4`},
		"wrong version":      {`entra8344.verdict.v2`, `entra8344.verdict.v1`},
		"local time":         {`2025-06-16T15:00:00Z`, `2025-06-16T15:00:00+02:00`},
		"not a time":         {`2025-06-16T15:00:00Z`, `yesterday`},
		"list as null":       {`"findings":[]`, `"findings":null`},
		"summary too long":   {`"summary":"NOT_APPLICABLE"`, `"summary":"` + strings.Repeat("x", 256) + `"`},
		"bad notice code":    {`"warnings":[]`, `"warnings":[{"code":"Bad Code","message":"m","object":""}]`},
		"missing directory":  {`"directory":{"performed":false,`, `"directory_":{"performed":false,`},
		"unknown diagnosis":  {`"diagnoses":[]`, `"diagnoses":[{"id":"D1","kind":"guess","remediation":"none","connector":"","domain":"","attribute":"","object_count":0,"objects":[],"objects_omitted":0,"admin_sd_holder_aces":[],"explanation":"","next_step":"","manual":[],"changes":[]}]`},
		"unknown action":     {`"changes":[]`, `"changes":[{"id":"C1","action":"grant-all","domain":"","domain_sid":"","target_dn":"","server":"","trustee_sid":"","trustee_name":"","right":"","attribute":"","attribute_guid":"","ace":"","writable_here":false}]`},
		"token with a slash": {`"approval":null`, `"approval":{"token":"e8a1/x","expires_at":"2025-06-19T15:00:00Z","scope":"host","plan_digest":"` + strings.Repeat("a", 64) + `","key_source":"host"}`},
		"plan as null":       {`"plan":{"changes":[],"manual":[],"remediable_here":false,"remediable_reason":"","risk_notes":[]}`, `"plan":null`},
		"cleanup as null":    {`"ldap_operations":0}`, `"cleanup":null,"ldap_operations":0}`},
		"unknown scope":      {`"approval":null`, `"approval":{"token":"e8a1x","expires_at":"2025-06-19T15:00:00Z","scope":"forest","plan_digest":"` + strings.Repeat("a", 64) + `","key_source":"msp","run_on":"dc01","plan":""}`},
		"plan with a plus":   {`"approval":null`, `"approval":{"token":"e8a1x","expires_at":"2025-06-19T15:00:00Z","scope":"dc","plan_digest":"` + strings.Repeat("a", 64) + `","key_source":"msp","run_on":"dc01","plan":"a+b"}`},
		"negative processes": {`"processes_started":0`, `"processes_started":-1`},
	} {
		doc := strings.Replace(minimal, edit[0], edit[1], 1)
		if doc == minimal {
			t.Fatalf("%s: edit did not apply", name)
		}
		if err := schemacheck.Validate("verdict", []byte(doc)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestDocuments(t *testing.T) {
	if names := strings.Join(schema.Names(), ","); !strings.Contains(names, "verdict") || !strings.Contains(names, "result") {
		t.Errorf("names %v", names)
	}
	if _, err := schema.Document("nope"); err == nil || !strings.Contains(err.Error(), "verdict") {
		t.Errorf("unknown schema error should list the known ones: %v", err)
	}
}
