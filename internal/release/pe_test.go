package release

import (
	"bytes"
	"debug/pe"
	"encoding/binary"
	"strings"
	"testing"
	"unicode/utf16"
)

// vblock encodes one VS_VERSIONINFO node (wLength, wValueLength, wType,
// key, padding, value, padding, children).
func vblock(key string, value []byte, text bool, children ...[]byte) []byte {
	var b bytes.Buffer
	b.Write(make([]byte, 6))
	for _, u := range utf16.Encode([]rune(key)) {
		binary.Write(&b, binary.LittleEndian, u)
	}
	b.Write([]byte{0, 0})
	pad := func() {
		for b.Len()%4 != 0 {
			b.WriteByte(0)
		}
	}
	pad()
	b.Write(value)
	pad()
	for _, c := range children {
		pad()
		b.Write(c)
	}
	out := b.Bytes()
	vlen, typ := len(value), uint16(0)
	if text {
		vlen, typ = len(value)/2, 1
	}
	binary.LittleEndian.PutUint16(out, uint16(len(out)))
	binary.LittleEndian.PutUint16(out[2:], uint16(vlen))
	binary.LittleEndian.PutUint16(out[4:], typ)
	return out
}

func wtext(s string) []byte {
	var b bytes.Buffer
	for _, u := range utf16.Encode([]rune(s + "\x00")) {
		binary.Write(&b, binary.LittleEndian, u)
	}
	return b.Bytes()
}

func versionInfo(fileMS, fileLS uint32, strs map[string]string) []byte {
	fixed := make([]byte, 52)
	binary.LittleEndian.PutUint32(fixed, fixedSignature)
	binary.LittleEndian.PutUint32(fixed[8:], fileMS)
	binary.LittleEndian.PutUint32(fixed[12:], fileLS)
	binary.LittleEndian.PutUint32(fixed[16:], fileMS)
	binary.LittleEndian.PutUint32(fixed[20:], fileLS)
	var kids [][]byte
	for _, k := range []string{"Comments", "FileVersion", "OriginalFilename", "ProductVersion"} {
		kids = append(kids, vblock(k, wtext(strs[k]), true))
	}
	table := vblock("040904b0", nil, true, kids...)
	return vblock("VS_VERSION_INFO", fixed, false, vblock("StringFileInfo", nil, true, table),
		vblock("VarFileInfo", nil, true, vblock("Translation", []byte{0x09, 0x04, 0xb0, 0x04}, false)))
}

// resourceDir builds a .rsrc section at RVA base holding one resource per
// type: type -> id 1 -> language 0x409 -> data.
func resourceDir(base uint32, res map[uint32][]byte, types ...uint32) []byte {
	dirSize := func(n int) int { return 16 + 8*n }
	// Layout: root, then per type a name dir and a lang dir, then data entries, then data.
	off := dirSize(len(types))
	nameDirs, langDirs := map[uint32]int{}, map[uint32]int{}
	for _, t := range types {
		nameDirs[t], off = off, off+dirSize(1)
		langDirs[t], off = off, off+dirSize(1)
	}
	entries := map[uint32]int{}
	for _, t := range types {
		entries[t], off = off, off+16
	}
	dataAt := map[uint32]int{}
	for _, t := range types {
		dataAt[t] = off
		off += (len(res[t]) + 7) &^ 7
	}
	b := make([]byte, off)
	dir := func(at int, id uint32, target uint32) {
		binary.LittleEndian.PutUint16(b[at+14:], 1)
		binary.LittleEndian.PutUint32(b[at+16:], id)
		binary.LittleEndian.PutUint32(b[at+20:], target)
	}
	binary.LittleEndian.PutUint16(b[14:], uint16(len(types)))
	for i, t := range types {
		binary.LittleEndian.PutUint32(b[16+8*i:], t)
		binary.LittleEndian.PutUint32(b[20+8*i:], 0x80000000|uint32(nameDirs[t]))
		dir(nameDirs[t], 1, 0x80000000|uint32(langDirs[t]))
		dir(langDirs[t], 0x409, uint32(entries[t]))
		binary.LittleEndian.PutUint32(b[entries[t]:], base+uint32(dataAt[t]))
		binary.LittleEndian.PutUint32(b[entries[t]+4:], uint32(len(res[t])))
		copy(b[dataAt[t]:], res[t])
	}
	return b
}

// minimalPE is a PE32+ file with one section, .rsrc, at RVA 0x1000.
func minimalPE(rsrc []byte) []byte {
	var b bytes.Buffer
	dos := make([]byte, 64)
	copy(dos, "MZ")
	binary.LittleEndian.PutUint32(dos[0x3c:], 64)
	b.Write(dos)
	b.WriteString("PE\x00\x00")
	binary.Write(&b, binary.LittleEndian, pe.FileHeader{Machine: pe.IMAGE_FILE_MACHINE_AMD64, NumberOfSections: 1,
		SizeOfOptionalHeader: 240, Characteristics: 0x22})
	oh := pe.OptionalHeader64{Magic: 0x20b, SectionAlignment: 0x1000, FileAlignment: 0x200, SizeOfImage: 0x2000 + uint32(len(rsrc)),
		SizeOfHeaders: 0x200, NumberOfRvaAndSizes: 16}
	oh.DataDirectory[dirEntryResrc] = pe.DataDirectory{VirtualAddress: 0x1000, Size: uint32(len(rsrc))}
	binary.Write(&b, binary.LittleEndian, oh)
	binary.Write(&b, binary.LittleEndian, pe.SectionHeader32{Name: [8]uint8{'.', 'r', 's', 'r', 'c'},
		VirtualSize: uint32(len(rsrc)), VirtualAddress: 0x1000, SizeOfRawData: uint32(len(rsrc)), PointerToRawData: 0x200})
	b.Write(make([]byte, 0x200-b.Len()))
	b.Write(rsrc)
	return b.Bytes()
}

const testManifest = `<?xml version="1.0"?><assembly><trustInfo><security><requestedPrivileges>` +
	`<requestedExecutionLevel level="asInvoker" uiAccess="false"/></requestedPrivileges></security></trustInfo></assembly>`

func testPE(strs map[string]string, manifest string) []byte {
	res := map[uint32][]byte{rtVersion: versionInfo(1<<16|4, 0<<16|0, strs)}
	types := []uint32{rtVersion}
	if manifest != "" {
		res[rtManifest] = []byte(manifest)
		types = append(types, rtManifest)
	}
	return minimalPE(resourceDir(0x1000, res, types...))
}

func TestReadResources(t *testing.T) {
	b := Build{Version: "1.4.0-rc.2", Commit: "0123abcd", Built: "2026-11-21T12:00:00Z"}
	strs := map[string]string{"ProductVersion": b.Version, "FileVersion": "1.4.0.0", "Comments": b.Comments(), "OriginalFilename": "entra8344.exe"}
	res, err := ReadResources(bytes.NewReader(testPE(strs, testManifest)))
	if err != nil {
		t.Fatal(err)
	}
	if res.FileVersion != "1.4.0.0" || res.ProductVersion != "1.4.0.0" || res.StringTable != "040904b0" || res.Strings["ProductVersion"] != "1.4.0-rc.2" {
		t.Fatalf("read %+v", res)
	}
	if err := res.Check(b); err != nil {
		t.Fatalf("Check: %v", err)
	}
	// Every difference is reported.
	err = res.Check(Build{Version: "1.5.0", Commit: "other", Built: b.Built})
	for _, want := range []string{`fixed file version is "1.4.0.0", want "1.5.0.0"`, `ProductVersion string is "1.4.0-rc.2", want "1.5.0"`, "Comments string"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Check with another build: want %q in %v", want, err)
		}
	}
	// A manifest that elevates is refused.
	res, err = ReadResources(bytes.NewReader(testPE(strs, strings.Replace(testManifest, "asInvoker", "requireAdministrator", 1))))
	if err != nil {
		t.Fatal(err)
	}
	if err := res.Check(b); err == nil || !strings.Contains(err.Error(), "asInvoker") {
		t.Errorf("requireAdministrator manifest: %v", err)
	}
}

func TestReadResourcesBroken(t *testing.T) {
	good := testPE(map[string]string{"ProductVersion": "1.0.0"}, "")
	if _, err := ReadResources(bytes.NewReader(good)); err != nil {
		t.Fatalf("no manifest is fine to read: %v", err)
	}
	noRsrc := minimalPE(nil)
	if _, err := ReadResources(bytes.NewReader(noRsrc)); err == nil {
		t.Error("a PE without resources read fine")
	}
	for cut := 0x200; cut < len(good); cut += 7 {
		ReadResources(bytes.NewReader(good[:cut])) // must not panic
	}
}

func FuzzReadResources(f *testing.F) {
	f.Add(testPE(map[string]string{"ProductVersion": "1.0.0", "Comments": "x"}, testManifest))
	f.Add(minimalPE(resourceDir(0x1000, map[uint32][]byte{rtVersion: []byte("garbage")}, rtVersion)))
	f.Fuzz(func(t *testing.T, b []byte) {
		res, err := ReadResources(bytes.NewReader(b))
		if err == nil && res == nil {
			t.Fatal("nil resources without an error")
		}
	})
}
