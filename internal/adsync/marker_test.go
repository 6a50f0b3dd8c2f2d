package adsync

import (
	"strings"
	"testing"
)

// What powershell.exe 5.1 prints to a redirected stdout around the
// document: a module's name-checking warning, Write-Host banners, a
// progress record serialised by a parent PowerShell, a verbose line.
const (
	noiseBefore = "WARNING: The names of some imported commands from the module 'ADSync' include unapproved verbs that might make them less discoverable.\r\n" +
		"Microsoft Azure AD Connect Sync PowerShell module loaded\r\n" +
		"#< CLIXML\r\n<Objs Version=\"1.1.0.1\" xmlns=\"http://schemas.microsoft.com/powershell/2004/04\"><Obj S=\"progress\" RefId=\"0\"><TN RefId=\"0\"><T>System.Management.Automation.PSCustomObject</T></TN><MS><I64 N=\"SourceId\">1</I64><PR N=\"Record\"><AV>Preparing modules for first use.</AV></PR></MS></Obj></Objs>\r\n" +
		"{\"looks\":\"like json\"}\r\n"
	noiseAfter = "\r\nVERBOSE: Exporting function 'Get-ADSyncScheduler'.\r\nWrite-Host after the document\r\n"
)

func TestParseCollectorMarkedLine(t *testing.T) {
	doc := `{"collector_version":1,"module":{"loaded":true,"version":"2.4.21.0"},"connectors":[{"Name":"Zo\u00eb","Type":"AD","Runs":null}]}`
	for name, raw := range map[string]string{
		"alone":                       JSONMarker + doc + "\r\n",
		"noise before and after":      noiseBefore + JSONMarker + doc + noiseAfter,
		"bom, noise, LF only":         "\xEF\xBB\xBF" + strings.ReplaceAll(noiseBefore, "\r\n", "\n") + JSONMarker + doc,
		"after a carriage return":     "Progress 50%\r" + JSONMarker + doc + "\r\n",
		"legacy: the document itself": doc,
		"legacy: pretty and BOM":      "\xEF\xBB\xBF{\r\n  \"collector_version\": 1,\r\n  \"module\": {\"loaded\": true, \"version\": \"2.4.21.0\"},\r\n  \"connectors\": [{\"Name\": \"Zo\\u00eb\", \"Type\": \"AD\"}]\r\n}\r\n",
	} {
		st, err := ParseCollector([]byte(raw))
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if !st.ModuleLoaded || st.ModuleVersion != "2.4.21.0" || len(st.Connectors) != 1 || st.Connectors[0].Name != "Zoë" {
			t.Errorf("%s: %+v", name, st)
		}
	}
}

func TestParseCollectorMarkedLineRejects(t *testing.T) {
	for name, c := range map[string]struct{ raw, want string }{
		"noise, no marked line": {noiseBefore + noiseAfter, "printed no " + JSONMarker + " line"},
		"two marked lines":      {JSONMarker + `{"a":1}` + "\r\n" + JSONMarker + `{"b":2}` + "\r\n", "2 lines starting with"},
		"empty marked line":     {noiseBefore + JSONMarker + "  \r\n", "empty"},
		"marked line cut off":   {JSONMarker + `{"connectors":[{"Name":"x"` + noiseAfter, "line is not JSON"},
		"marked number":         {JSONMarker + "42\r\n", "want an object"},
		"marker mid-line":       {"noise " + JSONMarker + `{"a":1}`, "printed no"},
	} {
		_, err := ParseCollector([]byte(c.raw))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want %q", name, err, c.want)
		}
	}
}

func TestScriptDocument(t *testing.T) {
	for name, c := range map[string]struct{ raw, doc, err string }{
		"noise around":  {noiseBefore + JSONMarker + `{"started":true}` + noiseAfter, `{"started":true}`, ""},
		"utf-16":        {"\xFF\xFE" + utf16le(JSONMarker+`{"x":1}`+"\r\n"), `{"x":1}`, ""},
		"bare document": {`{"started":true}`, "", "printed no " + JSONMarker},
		"nothing":       {"", "", "printed no"},
	} {
		doc, err := ScriptDocument([]byte(c.raw))
		if string(doc) != c.doc || (err == nil) != (c.err == "") || (err != nil && !strings.Contains(err.Error(), c.err)) {
			t.Errorf("%s: %q, %v; want %q, %q", name, doc, err, c.doc, c.err)
		}
	}
}

func utf16le(s string) string {
	var b []byte
	for _, r := range s {
		b = append(b, byte(r), 0)
	}
	return string(b)
}
