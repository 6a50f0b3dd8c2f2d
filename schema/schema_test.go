package schema

import (
	"strings"
	"testing"
)

const minimal = `{"schema_version":"entra8344.verdict.v1","tool":{"name":"entra8344","version":"dev"},
"generated_at":"2025-06-16T15:00:00Z","status":"not_applicable","exit_code":0,"summary":"NOT_APPLICABLE",
"labels":{"client":"","site":""},
"host":{"computer":"FS01","dns_domain":"","is_dc":false,"is_pdc_emulator":null,"adsync_service":"absent","connect_version":null,"sync_engine_dir":null},
"sync":null,"findings":[],"directory":{"performed":false,"reason":"r"},"warnings":[],"errors":[],
"collection":{"replay":null,"processes_started":0,"timings_ms":{"host":0,"collector":0,"csexport":0,"classify":0,"total":0}}}`

// The schema is the contract: it must refuse what the dashboard cannot read.
func TestVerdictSchemaRefuses(t *testing.T) {
	if err := Validate("verdict", []byte(minimal)); err != nil {
		t.Fatalf("minimal verdict: %v", err)
	}
	for name, edit := range map[string][2]string{
		"unknown field":      {`"sync":null,`, `"sync":null,"extra":1,`},
		"unknown status":     {`"status":"not_applicable"`, `"status":"fine"`},
		"exit code 4":        {`"exit_code":0`, `"exit_code":4`},
		"wrong version":      {`entra8344.verdict.v1`, `entra8344.verdict.v0`},
		"local time":         {`2025-06-16T15:00:00Z`, `2025-06-16T15:00:00+02:00`},
		"not a time":         {`2025-06-16T15:00:00Z`, `yesterday`},
		"list as null":       {`"findings":[]`, `"findings":null`},
		"summary too long":   {`"summary":"NOT_APPLICABLE"`, `"summary":"` + strings.Repeat("x", 256) + `"`},
		"bad notice code":    {`"warnings":[]`, `"warnings":[{"code":"Bad Code","message":"m","object":""}]`},
		"missing directory":  {`"directory":{"performed":false,"reason":"r"},`, ``},
		"negative processes": {`"processes_started":0`, `"processes_started":-1`},
	} {
		doc := strings.Replace(minimal, edit[0], edit[1], 1)
		if doc == minimal {
			t.Fatalf("%s: edit did not apply", name)
		}
		if err := Validate("verdict", []byte(doc)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestDocuments(t *testing.T) {
	if names := Names(); len(names) == 0 || names[0] != "verdict" {
		t.Errorf("names %v", names)
	}
	if _, err := Document("nope"); err == nil || !strings.Contains(err.Error(), "verdict") {
		t.Errorf("unknown schema error should list the known ones: %v", err)
	}
}
