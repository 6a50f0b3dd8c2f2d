// Command bcryptshim writes bcryptprimitives.dll for Wine 8.0 (Debian 12).
//
// Go >= 1.22 Windows executables get their randomness from
// bcryptprimitives!ProcessPrng and die at start-up ("bcryptprimitives.dll
// not found") on Wine 8.0, which lacks that DLL. The shim is a 1024-byte
// PE32+ DLL with no code: its only export, ProcessPrng, is a forwarder to
// advapi32.SystemFunction036 (RtlGenRandom), which has the same calling
// convention for what Go asks (buffer, length -> non-zero on success).
// Building the bytes here needs no mingw or other toolchain on the CI box.
//
// The runtime loads the DLL with LOAD_LIBRARY_SEARCH_SYSTEM32, so it must be
// written into the prefix's system32:
//
//	go run ./internal/winhost/cmd/bcryptshim "$WINEPREFIX/drive_c/windows/system32/bcryptprimitives.dll"
//
// Built for Windows and run under Wine with -check, it proves the shim works:
// a Go exe that starts at all has found ProcessPrng.
//
// Real Windows (8 and later) and Wine >= 9 ship the real DLL; never install
// the shim there.
package main

import (
	"crypto/rand"
	"encoding/binary"
	"flag"
	"fmt"
	"os"
)

func main() {
	check := flag.Bool("check", false, "read from crypto/rand and print ok (run this, built for Windows, under Wine)")
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: bcryptshim OUTPUT.dll | bcryptshim -check")
		flag.PrintDefaults()
	}
	flag.Parse()
	if *check {
		var b [16]byte
		if _, err := rand.Read(b[:]); err != nil {
			fmt.Fprintln(os.Stderr, "bcryptshim: crypto/rand:", err)
			os.Exit(1)
		}
		fmt.Println("ok: Go runtime started and crypto/rand works")
		return
	}
	if flag.NArg() != 1 {
		flag.Usage()
		os.Exit(2)
	}
	if err := os.WriteFile(flag.Arg(0), build(), 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "bcryptshim:", err)
		os.Exit(1)
	}
}

const (
	dllName   = "bcryptprimitives.dll"
	export    = "ProcessPrng"
	forwardTo = "advapi32.SystemFunction036"

	fileAlign    = 0x200
	sectionAlign = 0x1000
	sectionRVA   = 0x1000 // .rdata, holding only the export directory
	imageBase    = 0x180000000
	fileSize     = 2 * fileAlign // headers + one section: 1024 bytes
)

// build returns the DLL image. Layout (file offsets):
//
//	0x000 DOS header, e_lfanew = 0x40
//	0x040 "PE\0\0", COFF file header, PE32+ optional header, 1 section header
//	0x200 .rdata (RVA 0x1000): export directory, EAT, name table, ordinal
//	      table, then the strings. The EAT entry points inside the export
//	      directory's range, which is what makes it a forwarder.
func build() []byte {
	b := make([]byte, fileSize)
	le := binary.LittleEndian

	// DOS header: only e_magic and e_lfanew matter to the loader.
	copy(b, "MZ")
	le.PutUint32(b[0x3c:], 0x40)

	// PE signature and COFF header.
	copy(b[0x40:], "PE\x00\x00")
	coff := b[0x44:]
	le.PutUint16(coff[0:], 0x8664) // IMAGE_FILE_MACHINE_AMD64
	le.PutUint16(coff[2:], 1)      // NumberOfSections
	le.PutUint16(coff[16:], 240)   // SizeOfOptionalHeader (PE32+, 16 data directories)
	// EXECUTABLE_IMAGE | LARGE_ADDRESS_AWARE | DLL
	le.PutUint16(coff[18:], 0x0002|0x0020|0x2000)

	// Section contents, laid out first so the headers can point at them.
	sec := b[fileAlign:]
	const (
		dirOff   = 0  // IMAGE_EXPORT_DIRECTORY, 40 bytes
		eatOff   = 40 // AddressOfFunctions: 1 RVA
		namesOff = 44 // AddressOfNames: 1 RVA
		ordsOff  = 48 // AddressOfNameOrdinals: 1 uint16
		strOff   = 52
	)
	rva := func(off int) uint32 { return uint32(sectionRVA + off) }
	off := strOff
	putString := func(s string) int {
		at := off
		copy(sec[off:], s) // NUL-terminated: the buffer is already zero
		off += len(s) + 1
		return at
	}
	nameAt := putString(dllName)
	exportAt := putString(export)
	forwardAt := putString(forwardTo)
	exportSize := off

	le.PutUint32(sec[dirOff+12:], rva(nameAt)) // Name
	le.PutUint32(sec[dirOff+16:], 1)           // Base (first ordinal)
	le.PutUint32(sec[dirOff+20:], 1)           // NumberOfFunctions
	le.PutUint32(sec[dirOff+24:], 1)           // NumberOfNames
	le.PutUint32(sec[dirOff+28:], rva(eatOff))
	le.PutUint32(sec[dirOff+32:], rva(namesOff))
	le.PutUint32(sec[dirOff+36:], rva(ordsOff))
	le.PutUint32(sec[eatOff:], rva(forwardAt)) // forwarder string, inside the export range
	le.PutUint32(sec[namesOff:], rva(exportAt))
	le.PutUint16(sec[ordsOff:], 0) // index into the EAT

	// PE32+ optional header.
	opt := b[0x58:]
	le.PutUint16(opt[0:], 0x20b)                    // Magic: PE32+
	le.PutUint32(opt[8:], fileAlign)                // SizeOfInitializedData
	le.PutUint32(opt[16:], 0)                       // AddressOfEntryPoint: none, no DllMain
	le.PutUint32(opt[20:], sectionRVA)              // BaseOfCode
	le.PutUint64(opt[24:], imageBase)               // ImageBase
	le.PutUint32(opt[32:], sectionAlign)            // SectionAlignment
	le.PutUint32(opt[36:], fileAlign)               // FileAlignment
	le.PutUint16(opt[40:], 6)                       // MajorOperatingSystemVersion
	le.PutUint16(opt[48:], 6)                       // MajorSubsystemVersion
	le.PutUint32(opt[56:], sectionRVA+sectionAlign) // SizeOfImage
	le.PutUint32(opt[60:], fileAlign)               // SizeOfHeaders
	le.PutUint16(opt[68:], 3)                       // Subsystem: WINDOWS_CUI
	le.PutUint16(opt[70:], 0x0100)                  // DllCharacteristics: NX_COMPAT
	le.PutUint64(opt[72:], 0x100000)                // SizeOfStackReserve
	le.PutUint64(opt[80:], 0x1000)                  // SizeOfStackCommit
	le.PutUint64(opt[88:], 0x100000)                // SizeOfHeapReserve
	le.PutUint64(opt[96:], 0x1000)                  // SizeOfHeapCommit
	le.PutUint32(opt[108:], 16)                     // NumberOfRvaAndSizes
	le.PutUint32(opt[112:], sectionRVA)             // DataDirectory[EXPORT].VirtualAddress
	le.PutUint32(opt[116:], uint32(exportSize))     // DataDirectory[EXPORT].Size

	// The one section header, right after the optional header (0x58 + 240).
	sh := b[0x58+240:]
	copy(sh, ".rdata")
	le.PutUint32(sh[8:], uint32(exportSize)) // VirtualSize
	le.PutUint32(sh[12:], sectionRVA)        // VirtualAddress
	le.PutUint32(sh[16:], fileAlign)         // SizeOfRawData
	le.PutUint32(sh[20:], fileAlign)         // PointerToRawData
	le.PutUint32(sh[36:], 0x40000040)        // INITIALIZED_DATA | MEM_READ
	return b
}
