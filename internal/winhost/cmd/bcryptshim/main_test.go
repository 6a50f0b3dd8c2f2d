package main

import (
	"bytes"
	"debug/pe"
	"encoding/binary"
	"testing"
)

// The image must parse as an amd64 DLL whose only export, ProcessPrng, is a
// forwarder to advapi32.SystemFunction036. Whether Wine's loader accepts it
// is proved by scripts/wine-test.sh, which runs Go exes with it.
func TestBuild(t *testing.T) {
	img := build()
	if len(img) != 1024 {
		t.Fatalf("size = %d, want 1024", len(img))
	}
	f, err := pe.NewFile(bytes.NewReader(img))
	if err != nil {
		t.Fatalf("debug/pe: %v", err)
	}
	if f.Machine != pe.IMAGE_FILE_MACHINE_AMD64 || f.Characteristics&pe.IMAGE_FILE_DLL == 0 {
		t.Errorf("machine %#x characteristics %#x, want an amd64 DLL", f.Machine, f.Characteristics)
	}
	oh, ok := f.OptionalHeader.(*pe.OptionalHeader64)
	if !ok {
		t.Fatal("not PE32+")
	}
	dir := oh.DataDirectory[pe.IMAGE_DIRECTORY_ENTRY_EXPORT]
	sec := f.Section(".rdata")
	if sec == nil {
		t.Fatal("no .rdata section")
	}
	data, err := sec.Data()
	if err != nil {
		t.Fatal(err)
	}
	le := binary.LittleEndian
	at := func(rva uint32) []byte { return data[rva-sec.VirtualAddress:] }
	cstr := func(rva uint32) string { s := at(rva); return string(s[:bytes.IndexByte(s, 0)]) }

	ed := at(dir.VirtualAddress)
	if n := le.Uint32(ed[24:]); n != 1 {
		t.Fatalf("NumberOfNames = %d, want 1", n)
	}
	if got := cstr(le.Uint32(ed[12:])); got != "bcryptprimitives.dll" {
		t.Errorf("DLL name = %q", got)
	}
	if got := cstr(le.Uint32(at(le.Uint32(ed[32:])))); got != "ProcessPrng" {
		t.Errorf("export name = %q", got)
	}
	ord := le.Uint16(at(le.Uint32(ed[36:]))) // index into the EAT
	fn := le.Uint32(at(le.Uint32(ed[28:]))[4*int(ord):])
	if fn < dir.VirtualAddress || fn >= dir.VirtualAddress+dir.Size {
		t.Errorf("EAT entry %#x is outside the export directory: not a forwarder", fn)
	}
	if got := cstr(fn); got != "advapi32.SystemFunction036" {
		t.Errorf("forwarder = %q", got)
	}
}
