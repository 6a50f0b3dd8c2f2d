//go:build !windows

package doctor

import (
	"fmt"
	"os"
)

// processIdentity off Windows: the user id; SYSTEM and elevation are
// Windows notions, so unknown.
func processIdentity() Process {
	return Process{User: fmt.Sprintf("uid %d", os.Geteuid()),
		Problem: notWindows + " (SYSTEM and elevation are Windows notions)"}
}

// exeVersion off Windows: an ELF binary has no version resource.
func exeVersion() Exe {
	path, _ := os.Executable()
	return Exe{Path: path, Problem: notWindows + " (version resources exist only in Windows executables)"}
}
