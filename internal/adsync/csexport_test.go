package adsync

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/text/encoding/unicode"

	"entra8344/internal/adsync/csexportgen"
)

func csTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "csexport", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func csUTC(s string) time.Time {
	t, err := time.Parse("2006-01-02 15:04:05.000", s)
	if err != nil {
		panic(err)
	}
	return t
}

// collect runs ParseExportErrors and returns everything delivered.
func csCollect(t testing.TB, in []byte) ([]ExportError, ExportStats, error) {
	t.Helper()
	var got []ExportError
	stats, err := ParseExportErrors(bytes.NewReader(in), func(e ExportError) error {
		got = append(got, e)
		return nil
	})
	return got, stats, err
}

const (
	literal8344 = "Insufficient access rights to perform the operation."
	detail8344  = "00002098: SecErr: DSID-03150F94, problem 4003 (INSUFF_ACCESS_RIGHTS), data 0"
)

// sampleWant is the reference sample (shared/reference/samples), field by field.
var sampleWant = []ExportError{
	{
		DN: "CN=Jane Admin,OU=Admins,DC=contoso,DC=com", CSID: "{7E1B6C2A-4F3D-4B8E-9C11-2A5D3E9F0B71}", ObjectType: "user",
		ErrorType: "permission-issue", ErrorCode: "8344", Code: 8344, ErrorLiteral: literal8344, ServerErrorDetail: detail8344,
		FirstOccurred: csUTC("2025-06-10 09:30:14.287"), DateOccurred: csUTC("2025-06-16 14:30:21.600"), RetryCount: 147,
		Attributes: []string{"msDS-KeyCredentialLink"}, DeltaOperation: "update",
	},
	{
		DN: "CN=Bob Ops,OU=Admins,DC=contoso,DC=com", CSID: "{0C5F8D31-9A7E-4E62-B0D4-5F1A6C2E8B93}", ObjectType: "user",
		ErrorType: "permission-issue", ErrorCode: "8344", Code: 8344, ErrorLiteral: literal8344, ServerErrorDetail: detail8344,
		FirstOccurred: csUTC("2025-05-02 03:00:40.913"), DateOccurred: csUTC("2025-06-16 14:30:21.611"), RetryCount: 2113,
		Attributes: []string{"msExchSafeSendersHash"}, DeltaOperation: "update",
	},
	{
		DN: "CN=Carol Staff,OU=Staff,DC=contoso,DC=com", CSID: "{5A2E9C44-13B8-4F0A-8E7D-C9B1D2F3A4E5}", ObjectType: "user",
		ErrorType: "dn-attributes-failure", Code: -1,
		FirstOccurred: csUTC("2025-06-16 14:00:19.402"), DateOccurred: csUTC("2025-06-16 14:30:21.640"), RetryCount: 1,
		Attributes: []string{"manager"}, DeltaOperation: "update",
	},
}

func csUTF16(t testing.TB, s string, e unicode.Endianness, bom unicode.BOMPolicy) []byte {
	t.Helper()
	b, err := unicode.UTF16(e, bom).NewEncoder().Bytes([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestParseExportErrorsEncodings(t *testing.T) {
	sample := string(csTestdata(t, "permission-issue.xml"))
	// csexport's real encoding is undocumented; .NET tools write UTF-16 with
	// a declaration that says so, which plain encoding/xml cannot read.
	decl16 := `<?xml version="1.0" encoding="utf-16"?>` + "\r\n" + sample
	tests := []struct {
		name, enc string
		in        []byte
	}{
		{"utf-8", "utf-8", []byte(sample)},
		{"utf-8 BOM", "utf-8-bom", append([]byte{0xEF, 0xBB, 0xBF}, sample...)},
		{"utf-16le BOM + declaration", "utf-16le", csUTF16(t, decl16, unicode.LittleEndian, unicode.UseBOM)},
		{"utf-16le BOM", "utf-16le", csUTF16(t, sample, unicode.LittleEndian, unicode.UseBOM)},
		{"utf-16be BOM", "utf-16be", csUTF16(t, sample, unicode.BigEndian, unicode.UseBOM)},
		{"utf-16le no BOM", "utf-16le", csUTF16(t, decl16, unicode.LittleEndian, unicode.IgnoreBOM)},
		{"utf-16be no BOM", "utf-16be", csUTF16(t, decl16, unicode.BigEndian, unicode.IgnoreBOM)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, stats, err := csCollect(t, tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(sampleWant, got); diff != "" {
				t.Errorf("errors (-want +got):\n%s", diff)
			}
			want := ExportStats{Objects: 3, ExportErrors: 3, Bytes: int64(len(tt.in)), Encoding: tt.enc}
			if !cmp.Equal(stats, want) {
				t.Errorf("stats = %+v, want %+v", stats, want)
			}
		})
	}
}

func TestParseExportErrorsLayouts(t *testing.T) {
	tests := []struct {
		file    string
		objects int
		want    []ExportError
	}{
		{"hex-code.xml", 1, []ExportError{{
			DN: "CN=Hex Code,OU=Admins,DC=contoso,DC=com", CSID: "{11111111-2222-3333-4444-555555555555}", ObjectType: "user",
			ErrorType: "permission-issue", ErrorCode: "0x2098", Code: 8344, ErrorLiteral: literal8344,
			ServerErrorDetail: "00000005: SecErr: DSID-031514A0, problem 4003 (INSUFF_ACCESS_RIGHTS), data 0",
			FirstOccurred:     time.Date(2025, 6, 16, 14, 30, 5, 120e6, time.UTC),
			DateOccurred:      time.Date(2025, 6, 16, 14, 30, 21, 0, time.UTC), // +02:00 converted
			RetryCount:        3, Attributes: []string{"mS-DS-ConsistencyGuid", "msDS-KeyCredentialLink"}, DeltaOperation: "update",
		}}},
		{"fim-layout.xml", 2, []ExportError{
			{
				DN: "UK0057339", CSID: "{68C3525F-0E9A-4D6C-9E5B-4C7C2C1F0001}", ObjectType: "person",
				ErrorType: "cd-error", ErrorCode: "0x80230713", Code: 0x80230713, ErrorLiteral: "The user does not have permission",
				FirstOccurred: csUTC("2010-02-27 09:15:00.000"), DateOccurred: csUTC("2010-03-01 10:00:00.000"), RetryCount: 12,
				Attributes: []string{"displayName", "manager"}, DeltaOperation: "add",
			},
			{
				DN: "UK0057340", CSID: "{68C3525F-0E9A-4D6C-9E5B-4C7C2C1F0002}", ObjectType: "person",
				ErrorType: "permission-issue", ErrorCode: "8344", Code: 8344, ErrorLiteral: literal8344,
				FirstOccurred: csUTC("2010-03-01 10:00:01.000"), DateOccurred: csUTC("2010-03-01 10:00:01.000"), RetryCount: 0,
			},
		}},
		{"aad-connector.xml", 1, []ExportError{{
			DN: "{6F1E2D3C-4B5A-4978-8899-AABBCCDDEEFF}", CSID: "{0A0B0C0D-0E0F-4A1B-8C2D-3E4F5A6B7C8D}", ObjectType: "user",
			ErrorType: "unexpected-error", Code: -1, ErrorName: "AttributeValueMustBeUnique",
			ExtraErrorDetails: "Unable to update this object because the following attributes associated with this object have values that may already be associated with another object in your local directory services: [ProxyAddresses SMTP:dup@contoso.com;]. Correct or remove the duplicate values in your local directory.",
			FirstOccurred:     csUTC("2025-06-01 08:00:00.000"), DateOccurred: csUTC("2025-06-16 14:31:00.000"), RetryCount: 57,
			Attributes: []string{"proxyAddresses", "userPrincipalName"}, DeltaOperation: "add",
		}}},
		{"element-values.xml", 1, []ExportError{{
			DN: "CN=Element Style,OU=Staff,DC=contoso,DC=com", CSID: "{22222222-3333-4444-5555-666666666666}", ObjectType: "user",
			ErrorType: "permission-issue", ErrorCode: "8344", Code: 8344, ErrorLiteral: literal8344, ServerErrorDetail: detail8344,
			FirstOccurred: csUTC("2025-06-10 09:30:14.287"), DateOccurred: csUTC("2025-06-16 14:30:21.600"), RetryCount: 9,
			Attributes: []string{"msExchSafeSendersHash"}, DeltaOperation: "replace",
		}}},
		{"escaped-dn.xml", 3, []ExportError{
			{
				DN: `CN=Smith\, John \"JJ\",OU=R&D,DC=contoso,DC=com`, CSID: "{33333333-4444-5555-6666-777777777777}", ObjectType: "user",
				ErrorType: "permission-issue", ErrorCode: "8344", Code: 8344, ErrorLiteral: "Insufficient access rights & more <here>.",
				FirstOccurred: csUTC("2025-06-10 09:30:14.287"), DateOccurred: csUTC("2025-06-16 14:30:21.600"), RetryCount: 4,
				Attributes: []string{"msDS-KeyCredentialLink"}, DeltaOperation: "update",
			},
			{
				DN: "CN=Jürgen Müller-Łukasiewicz,OU=Zoë's Team,OU=Bâle,DC=contoso,DC=com", CSID: "{44444444-5555-6666-7777-888888888888}", ObjectType: "user",
				ErrorType: "permission-issue", ErrorCode: "8344", Code: 8344, ErrorLiteral: "Недостаточно прав доступа для выполнения операции.",
				FirstOccurred: csUTC("2025-06-10 09:30:14.287"), DateOccurred: csUTC("2025-06-16 14:30:21.600"), RetryCount: 5,
				Attributes: []string{"msExchSafeSendersHash"}, DeltaOperation: "update",
			},
		}},
		{"empty-root.xml", 0, nil},
		{"empty-root-decl.xml", 0, nil},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			got, stats, err := csCollect(t, csTestdata(t, tt.file))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("errors (-want +got):\n%s", diff)
			}
			if stats.Objects != tt.objects || stats.ExportErrors != len(tt.want) {
				t.Errorf("stats = %+v, want %d objects, %d errors", stats, tt.objects, len(tt.want))
			}
		})
	}
}

func TestParseExportErrorsBad(t *testing.T) {
	sample := csTestdata(t, "permission-issue.xml")
	tests := []struct {
		name      string
		in        []byte
		delivered int    // errors delivered before the failure
		wantErr   string // substring
	}{
		{"empty file", nil, 0, "empty csexport output"},
		{"only whitespace", []byte(" \r\n\t\n"), 0, "empty csexport output"},
		{"only BOM", []byte{0xEF, 0xBB, 0xBF}, 0, "empty csexport output"},
		{"garbage", csTestdata(t, "garbage.txt"), 0, `csexport output line 1: text 'c' before the root element`},
		{"binary garbage", []byte("\x00\x01\x02\xff\xfe<<<>>>"), 0, "csexport output line 1:"},
		{"wrong root", []byte("<?xml version='1.0'?>\n<objects><cs-object/></objects>"), 0, `line 2: root element is "objects", want <cs-objects>`},
		{"only a declaration", []byte(`<?xml version="1.0"?>`), 0, "no <cs-objects> root element"},
		{"truncated", csTestdata(t, "truncated.xml"), 1, "csexport output line 53: unexpected EOF (file truncated?)"},
		{"truncated after last object", sample[:3750], 3, "line 83: unexpected EOF"},
		{"mismatched tag", bytes.Replace(sample, []byte("</attr>\n   </delta>\n  </unapplied-export>\n  <export-errordetail first-occurred=\"2025-05-02"), []byte("</attx>\n   </delta>\n  </unapplied-export>\n  <export-errordetail first-occurred=\"2025-05-02"), 1), 1,
			"csexport output line 54: element <attr> closed by </attx>"},
		{"invalid UTF-8", bytes.Replace(sample, []byte("Carol"), []byte("Car\xffl"), 2), 2, "line 68: invalid UTF-8"},
		{"content after root", append(append([]byte{}, sample...), "<cs-objects/>"...), 3, "line 84: second root element after </cs-objects>"},
		{"text after root", append(append([]byte{}, sample...), "oops"...), 3, "line 84: content after the </cs-objects> end tag"},
		{"xxe external", csTestdata(t, "xxe-external.xml"), 0, "line 2: DOCTYPE or other <! declaration is not allowed"},
		{"xxe internal entity", csTestdata(t, "xxe-internal.xml"), 0, "line 2: DOCTYPE"},
		{"undefined entity", csTestdata(t, "undefined-entity.xml"), 1, "line 3: invalid character entity &xxe;"},
		{"doctype inside root", []byte("<cs-objects>\n<!DOCTYPE x>\n</cs-objects>"), 0, "line 2: DOCTYPE"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, stats, err := csCollect(t, tt.in)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err = %v, want it to contain %q", err, tt.wantErr)
			}
			if len(got) != tt.delivered || stats.ExportErrors != tt.delivered {
				t.Errorf("delivered %d (stats %d), want %d", len(got), stats.ExportErrors, tt.delivered)
			}
			if diff := cmp.Diff(sampleWant[:min(len(got), 3)], got[:min(len(got), 3)]); tt.in != nil && bytes.HasPrefix(tt.in, sample[:100]) && diff != "" {
				t.Errorf("delivered objects differ from the sample (-want +got):\n%s", diff)
			}
			for _, e := range got {
				if strings.Contains(e.DN, "EXPANDED") || strings.Contains(e.DN, "root:") {
					t.Errorf("entity was expanded: %q", e.DN)
				}
			}
		})
	}
}

// TestEntitiesNeverExpand checks the XML layer itself, below the splitter's
// DOCTYPE refusal: a DTD-declared entity must be an error, not an expansion.
func TestEntitiesNeverExpand(t *testing.T) {
	for _, f := range []string{"xxe-internal.xml", "xxe-external.xml"} {
		r := parseChunkBytes(csexportSpec, nil, csTestdata(t, f), "")
		if r.err == nil || !strings.Contains(r.err.Error(), "invalid character entity") {
			t.Errorf("%s: err = %v, want invalid character entity", f, r.err)
		}
		if len(r.errs) != 0 {
			t.Errorf("%s: got objects %+v", f, r.errs)
		}
	}
}

func TestParseExportErrorsCallbackError(t *testing.T) {
	errStop := errors.New("stop here")
	calls := 0
	stats, err := ParseExportErrors(bytes.NewReader(csTestdata(t, "permission-issue.xml")), func(ExportError) error {
		calls++
		if calls == 2 {
			return errStop
		}
		return nil
	})
	if err != errStop {
		t.Fatalf("err = %v, want the callback's error unchanged", err)
	}
	if calls != 2 {
		t.Errorf("fn called %d times after returning an error", calls)
	}
	if stats.Objects < 2 {
		t.Errorf("stats = %+v", stats)
	}
}

func TestParseSyncErrorsXML(t *testing.T) {
	// The JSON string from the run-history projection, unescaped by hand so
	// that the test does not depend on the JSON reader.
	js := string(csTestdata(t, "run-step-projection.json"))
	i := strings.Index(js, `"SyncErrorsXml":  "`)
	if i < 0 {
		t.Fatal("no SyncErrorsXml in fixture")
	}
	raw := js[i+len(`"SyncErrorsXml":  "`):]
	raw = raw[:strings.Index(raw, `"`+"\n")]
	s := strings.NewReplacer(`\u003c`, "<", `\u003e`, ">", `\"`, `"`, `\n`, "\n").Replace(raw)

	got, err := ParseSyncErrorsXML(s)
	if err != nil {
		t.Fatal(err)
	}
	want := []ExportError{sampleWant[0], sampleWant[1]}
	for i := range want {
		want[i].ObjectType, want[i].Attributes, want[i].DeltaOperation = "", nil, ""
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}

	if got, err := ParseSyncErrorsXML(" \n"); got != nil || err != nil {
		t.Errorf("blank: got %v, %v; want nil, nil", got, err)
	}
	if got, err := ParseSyncErrorsXML("<synchronization-errors/>"); got != nil || err != nil {
		t.Errorf("empty root: got %v, %v; want nil, nil", got, err)
	}
	got, err = ParseSyncErrorsXML(s[:len(s)-60])
	if err == nil || !strings.Contains(err.Error(), "SyncErrorsXml line 3: unexpected EOF") || len(got) != 1 {
		t.Errorf("truncated: got %d errors, err %v", len(got), err)
	}
	if _, err := ParseSyncErrorsXML("<cs-objects/>"); err == nil || !strings.Contains(err.Error(), "want <synchronization-errors>") {
		t.Errorf("wrong root: err = %v", err)
	}
}

func TestParseErrorCode(t *testing.T) {
	tests := []struct {
		in   string
		want int64
	}{
		{"8344", 8344}, {"0x2098", 8344}, {"0X2098", 8344}, {"0x00002098", 8344}, {" 8344\n", 8344},
		{"\t0x2098 ", 8344}, {"00002098", 2098}, {"0", 0}, {"0x0", 0}, {"0x80230713", 0x80230713},
		{"-2147467259", 0x80004005}, {"-1", 0xFFFFFFFF}, {"-2147483649", -1},
		{"", -1}, {"  ", -1}, {"0x", -1}, {"x2098", -1}, {"8344 (0x2098)", -1}, {"+8344", -1},
		{"8_344", -1}, {"0x_2098", -1}, {"0x2098g", -1}, {"１２", -1}, {"-0x1", -1}, {"--1", -1}, {"-", -1},
		{"9223372036854775807", 9223372036854775807}, {"9223372036854775808", -1},
		{"0x7FFFFFFFFFFFFFFF", 9223372036854775807}, {"0x8000000000000000", -1},
	}
	for _, tt := range tests {
		if got := ParseErrorCode(tt.in); got != tt.want {
			t.Errorf("ParseErrorCode(%q) = %d, want %d", tt.in, got, tt.want)
		}
	}
}

func TestParseCSTime(t *testing.T) {
	tests := []struct {
		in   string
		want time.Time // zero: expect failure
	}{
		{"2025-06-10 09:30:14.287", csUTC("2025-06-10 09:30:14.287")},
		{" 2025-06-10 09:30:14 \n", csUTC("2025-06-10 09:30:14.000")},
		{"2025-06-16T14:30:05.1200000", time.Date(2025, 6, 16, 14, 30, 5, 120e6, time.UTC)},
		{"2025-06-16T14:30:05", time.Date(2025, 6, 16, 14, 30, 5, 0, time.UTC)},
		{"2025-06-16T14:30:05Z", time.Date(2025, 6, 16, 14, 30, 5, 0, time.UTC)},
		{"2025-06-16T14:30:05.5Z", time.Date(2025, 6, 16, 14, 30, 5, 5e8, time.UTC)},
		{"2025-06-16T16:30:05+02:00", time.Date(2025, 6, 16, 14, 30, 5, 0, time.UTC)},
		{"2025-06-16T09:30:05.1234567-05:00", time.Date(2025, 6, 16, 14, 30, 5, 123456700, time.UTC)},
		{"2025-06-16 14:30:05Z", time.Date(2025, 6, 16, 14, 30, 5, 0, time.UTC)},
		{"", time.Time{}}, {"garbage", time.Time{}}, {"2025-06-16", time.Time{}},
		{"2025-13-16 14:30:05", time.Time{}}, {"2025-06-16T14:30:05+25:00", time.Time{}},
		{"6/16/2025 2:30:05 PM", time.Time{}}, {"2025-06-16T14:30:05 trailing", time.Time{}},
	}
	for _, tt := range tests {
		got, ok := ParseCSTime(tt.in)
		if ok != !tt.want.IsZero() || !got.Equal(tt.want) || (ok && got.Location() != time.UTC) {
			t.Errorf("ParseCSTime(%q) = %v, %v; want %v", tt.in, got, ok, tt.want)
		}
	}
}

// BenchmarkParseExportErrors parses a generated csexport file of
// ENTRA8344_BENCH_MB megabytes (default 64) and reports MB/s and the peak
// heap seen from the callback (sampled every 256 objects through
// runtime/metrics, which does not stop the world).
func BenchmarkParseExportErrors(b *testing.B) {
	mb := int64(64)
	if v := os.Getenv("ENTRA8344_BENCH_MB"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n <= 0 {
			b.Fatalf("ENTRA8344_BENCH_MB=%q: want a positive integer", v)
		}
		mb = n
	}
	path := filepath.Join(b.TempDir(), "csexport.xml")
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	objects, err := csexportgen.WriteAtLeast(f, mb<<20, 8344)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		b.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(fi.Size())

	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	var peak uint64
	runtime.GC()
	for b.Loop() {
		f, err := os.Open(path)
		if err != nil {
			b.Fatal(err)
		}
		calls := 0
		stats, err := ParseExportErrors(f, func(ExportError) error {
			if calls++; calls%256 == 0 {
				metrics.Read(sample)
				peak = max(peak, sample[0].Value.Uint64())
			}
			return nil
		})
		f.Close()
		if err != nil || stats.Objects != objects {
			b.Fatalf("parse: %v (%d of %d objects)", err, stats.Objects, objects)
		}
	}
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MB")
}
