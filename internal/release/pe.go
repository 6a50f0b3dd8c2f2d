package release

import (
	"bytes"
	"debug/pe"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf16"
)

// Resources is what ReadResources found in a PE file.
type Resources struct {
	// FileVersion and ProductVersion are VS_FIXEDFILEINFO's, as a.b.c.d.
	FileVersion    string `json:"file_version"`
	ProductVersion string `json:"product_version"`
	// Strings are the StringFileInfo strings of the first string table,
	// keyed by name (ProductVersion, FileVersion, Comments, ...).
	Strings map[string]string `json:"strings"`
	// StringTable is that table's key, language and code page ("040904B0").
	StringTable string `json:"string_table"`
	// Manifest is RT_MANIFEST #1, the application manifest XML.
	Manifest string `json:"manifest"`
}

// Resource types and the fixed-info signature (winuser.h, verrsrc.h).
const (
	rtVersion      = 16
	rtManifest     = 24
	fixedSignature = 0xFEEF04BD
	dirEntryResrc  = 2 // IMAGE_DIRECTORY_ENTRY_RESOURCE
)

// ReadResources reads the version resource and the manifest of a PE file
// with its own parser (debug/pe for the headers), so a release check does
// not trust the tool that wrote them.
func ReadResources(r io.ReaderAt) (*Resources, error) {
	f, err := pe.NewFile(r)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var dirs []pe.DataDirectory
	switch oh := f.OptionalHeader.(type) {
	case *pe.OptionalHeader64:
		dirs = oh.DataDirectory[:oh.NumberOfRvaAndSizes]
	case *pe.OptionalHeader32:
		dirs = oh.DataDirectory[:oh.NumberOfRvaAndSizes]
	}
	if len(dirs) <= dirEntryResrc || dirs[dirEntryResrc].VirtualAddress == 0 {
		return nil, errors.New("the file has no resources")
	}
	rva := dirs[dirEntryResrc].VirtualAddress
	var sec *pe.Section
	for _, s := range f.Sections {
		if rva >= s.VirtualAddress && rva < s.VirtualAddress+max(s.VirtualSize, s.Size) {
			sec = s
		}
	}
	if sec == nil {
		return nil, fmt.Errorf("no section holds the resource directory (RVA %#x)", rva)
	}
	data, err := sec.Data()
	if err != nil {
		return nil, err
	}
	rs := resourceSection{data: data, base: sec.VirtualAddress, dir: rva - sec.VirtualAddress}
	out := &Resources{}
	ver, err := rs.first(rtVersion)
	if err != nil {
		return nil, fmt.Errorf("RT_VERSION: %w", err)
	}
	if err := out.parseVersionInfo(ver); err != nil {
		return nil, fmt.Errorf("RT_VERSION: %w", err)
	}
	if man, err := rs.first(rtManifest); err == nil {
		out.Manifest = string(bytes.TrimPrefix(man, []byte("\xEF\xBB\xBF")))
	}
	return out, nil
}

// resourceSection walks the three-level resource directory (type, name,
// language); offsets in it are relative to the directory's start.
type resourceSection struct {
	data []byte
	base uint32 // RVA of data[0]
	dir  uint32 // offset of the root directory in data
}

func (s resourceSection) u32(off uint32) (uint32, error) {
	if uint64(off)+4 > uint64(len(s.data)) {
		return 0, fmt.Errorf("offset %#x is outside the resource section", off)
	}
	return binary.LittleEndian.Uint32(s.data[off:]), nil
}

// entry returns the OffsetToData of the directory's entry with the given
// ID (id < 0: the first entry).
func (s resourceSection) entry(dirOff uint32, id int) (uint32, error) {
	at := s.dir + dirOff
	if uint64(at)+16 > uint64(len(s.data)) {
		return 0, fmt.Errorf("directory at %#x is outside the resource section", dirOff)
	}
	n := uint32(binary.LittleEndian.Uint16(s.data[at+12:])) + uint32(binary.LittleEndian.Uint16(s.data[at+14:]))
	for i := range n {
		name, err := s.u32(at + 16 + 8*i)
		if err != nil {
			return 0, err
		}
		off, err := s.u32(at + 20 + 8*i)
		if err != nil {
			return 0, err
		}
		if id < 0 || (name&0x80000000 == 0 && name == uint32(id)) {
			return off, nil
		}
	}
	return 0, fmt.Errorf("no resource with id %d", id)
}

// first returns the data of the first name and language of a type.
func (s resourceSection) first(typ int) ([]byte, error) {
	off, err := s.entry(0, typ)
	for level := 0; err == nil && level < 2; level++ {
		if off&0x80000000 == 0 {
			return nil, errors.New("malformed directory: a leaf where a subdirectory belongs")
		}
		off, err = s.entry(off&^0x80000000, -1)
	}
	if err != nil {
		return nil, err
	}
	if off&0x80000000 != 0 {
		return nil, errors.New("malformed directory: a subdirectory where data belongs")
	}
	rva, err := s.u32(s.dir + off)
	if err != nil {
		return nil, err
	}
	size, err := s.u32(s.dir + off + 4)
	if err != nil {
		return nil, err
	}
	start := uint64(rva) - uint64(s.base)
	if rva < s.base || start+uint64(size) > uint64(len(s.data)) {
		return nil, fmt.Errorf("data at RVA %#x (%d bytes) is outside the resource section", rva, size)
	}
	return s.data[start : start+uint64(size)], nil
}

// versionBlock is one node of VS_VERSIONINFO: wLength, wValueLength, wType,
// szKey (UTF-16, NUL), padding to 32 bits, Value, padding, Children.
type versionBlock struct {
	key      string
	value    []byte
	text     bool // wType 1: the value is UTF-16 text
	children []versionBlock
}

func parseBlock(b []byte) (versionBlock, int, error) {
	if len(b) < 6 {
		return versionBlock{}, 0, errors.New("truncated version block")
	}
	length := int(binary.LittleEndian.Uint16(b))
	valueLen := int(binary.LittleEndian.Uint16(b[2:]))
	blk := versionBlock{text: binary.LittleEndian.Uint16(b[4:]) == 1}
	if length < 6 || length > len(b) {
		return versionBlock{}, 0, fmt.Errorf("version block length %d out of range (%d bytes left)", length, len(b))
	}
	b = b[:length]
	pos := 6
	var key []uint16
	for ; pos+1 < len(b); pos += 2 {
		c := binary.LittleEndian.Uint16(b[pos:])
		if c == 0 {
			pos += 2
			break
		}
		key = append(key, c)
	}
	blk.key = string(utf16.Decode(key))
	pos = align4(pos)
	if blk.text {
		valueLen *= 2 // wValueLength counts WORDs for text values
	}
	if pos+valueLen > len(b) {
		return versionBlock{}, 0, fmt.Errorf("value of %q runs past its block", blk.key)
	}
	blk.value = b[pos : pos+valueLen]
	pos = align4(pos + valueLen)
	for pos < len(b) {
		child, n, err := parseBlock(b[pos:])
		if err != nil {
			return versionBlock{}, 0, fmt.Errorf("%s: %w", blk.key, err)
		}
		blk.children = append(blk.children, child)
		pos = align4(pos + n)
	}
	return blk, length, nil
}

func align4(n int) int { return (n + 3) &^ 3 }

func utf16Text(b []byte) string {
	u := make([]uint16, 0, len(b)/2)
	for i := 0; i+1 < len(b); i += 2 {
		u = append(u, binary.LittleEndian.Uint16(b[i:]))
	}
	return strings.TrimRight(string(utf16.Decode(u)), "\x00")
}

func (r *Resources) parseVersionInfo(b []byte) error {
	root, _, err := parseBlock(b)
	if err != nil {
		return err
	}
	if root.key != "VS_VERSION_INFO" || len(root.value) < 52 {
		return fmt.Errorf("not a VS_VERSIONINFO (key %q, %d-byte value)", root.key, len(root.value))
	}
	v := root.value
	if binary.LittleEndian.Uint32(v) != fixedSignature {
		return errors.New("VS_FIXEDFILEINFO has the wrong signature")
	}
	quad := func(ms, ls uint32) string {
		return fmt.Sprintf("%d.%d.%d.%d", ms>>16, ms&0xffff, ls>>16, ls&0xffff)
	}
	le := binary.LittleEndian
	r.FileVersion = quad(le.Uint32(v[8:]), le.Uint32(v[12:]))
	r.ProductVersion = quad(le.Uint32(v[16:]), le.Uint32(v[20:]))
	for _, c := range root.children {
		if c.key != "StringFileInfo" || len(c.children) == 0 {
			continue
		}
		table := c.children[0]
		r.StringTable, r.Strings = table.key, map[string]string{}
		for _, s := range table.children {
			r.Strings[s.key] = utf16Text(s.value)
		}
		return nil
	}
	return errors.New("no StringFileInfo")
}

// Check compares the resources with the build that should have made them:
// fixed versions FileVersion(b.Version), ProductVersion string b.Version,
// Comments naming b.Commit and b.Built, an asInvoker manifest. It returns
// every difference.
func (r *Resources) Check(b Build) error {
	num, err := FileVersion(b.Version)
	if err != nil {
		return err
	}
	var errs []error
	want := func(what, got, want string) {
		if got != want {
			errs = append(errs, fmt.Errorf("%s is %q, want %q", what, got, want))
		}
	}
	want("fixed file version", r.FileVersion, num)
	want("fixed product version", r.ProductVersion, num)
	want("FileVersion string", r.Strings["FileVersion"], num)
	want("ProductVersion string", r.Strings["ProductVersion"], b.Version)
	want("Comments string", r.Strings["Comments"], b.Comments())
	want("OriginalFilename string", r.Strings["OriginalFilename"], "entra8344.exe")
	if !strings.Contains(r.Manifest, `level="asInvoker"`) {
		errs = append(errs, errors.New(`the manifest does not request level="asInvoker"`))
	}
	return errors.Join(errs...)
}
