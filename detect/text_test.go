package detect

import (
	"reflect"
	"strings"
	"testing"

	"entra8344/internal/textout"
	"entra8344/schema"
)

// hostileText holds what a directory or sync engine could put in a name:
// a terminal escape sequence, a bidi override, C1 controls, a line
// separator, a newline and a byte that is not UTF-8.
const hostileText = "x\x1b]0;owned\x07\x1b[2J\u202egnp.exe\u2066\u0085\u009b\u2028\r\nline2\xff\x00\x7f"

// fill sets every string reachable from v to hostileText, every slice to
// two elements, every pointer to a value: so a renderer that prints any
// field raw is caught, including fields added after this test.
func fill(v reflect.Value) {
	switch v.Kind() {
	case reflect.String:
		v.SetString(hostileText)
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Int, reflect.Int64:
		v.SetInt(2)
	case reflect.Float64:
		v.SetFloat(1.5)
	case reflect.Pointer:
		p := reflect.New(v.Type().Elem())
		fill(p.Elem())
		v.Set(p)
	case reflect.Slice:
		s := reflect.MakeSlice(v.Type(), 2, 2)
		for i := 0; i < 2; i++ {
			fill(s.Index(i))
		}
		v.Set(s)
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			if v.Type().Field(i).IsExported() {
				fill(v.Field(i))
			}
		}
	}
}

// assertPrintable: no line of out holds a character a terminal acts on.
func assertPrintable(t *testing.T, what, out string) {
	t.Helper()
	if out == "" {
		t.Fatalf("%s: empty output", what)
	}
	for i, line := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
		if bad, ok := textout.Unsafe(line); ok {
			t.Errorf("%s line %d holds %s: %q", what, i+1, bad, line)
		}
	}
}

// TestTextEscapesEveryString: with every string of a verdict and of a
// result hostile (the plan's changes once for each action), the console
// views print no control character, bidi override or invalid UTF-8, and
// the hostile text does appear, escaped.
func TestTextEscapesEveryString(t *testing.T) {
	escaped := textout.Escape(hostileText)
	for _, action := range []string{schema.ActionAddACE, schema.ActionRemoveACE, schema.ActionRunProtectTask, hostileText} {
		var v schema.Verdict
		fill(reflect.ValueOf(&v).Elem())
		for _, p := range []*schema.Plan{&v.Directory.Plan, &v.Directory.Cleanup} {
			for i := range p.Changes {
				p.Changes[i].Action = action
			}
		}
		for _, scope := range []string{"host", "dc"} {
			v.Approval.Scope, v.CleanupApproval.Scope = scope, scope
			var b strings.Builder
			if err := WriteText(&b, &v); err != nil {
				t.Fatal(err)
			}
			assertPrintable(t, "verdict ("+action+", "+scope+")", b.String())
			if !strings.Contains(b.String(), escaped) {
				t.Errorf("the verdict view does not show the hostile strings escaped")
			}
		}
		assertPrintable(t, "summary", Summary(&v))
	}
	for _, status := range schema.Statuses {
		var v schema.Verdict
		fill(reflect.ValueOf(&v).Elem())
		v.Status = status
		assertPrintable(t, "summary of "+string(status), Summary(&v))
	}
	for _, cmd := range []string{"remediate", "revert"} {
		var r schema.Result
		fill(reflect.ValueOf(&r).Elem())
		r.Command = cmd
		var b strings.Builder
		if err := WriteResultText(&b, &r); err != nil {
			t.Fatal(err)
		}
		assertPrintable(t, cmd+" result", b.String())
		if !strings.Contains(b.String(), escaped) {
			t.Errorf("the %s view does not show the hostile strings escaped", cmd)
		}
	}
}
