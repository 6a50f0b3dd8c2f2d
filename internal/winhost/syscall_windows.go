package winhost

import "golang.org/x/sys/windows"

// Win32 calls that golang.org/x/sys/windows does not wrap. The stubs in
// zsyscall_windows.go are generated from the //sys lines below (see
// generate.go); edit these lines, then run `go generate ./internal/winhost/`
// and commit both files. A trailing "?" makes a missing DLL export an error
// instead of a panic: Facts must never panic, whatever Windows (or Wine) lacks.

// DsRoleGetPrimaryDomainInformation returns a Win32 error code (not
// GetLastError), hence the "ret error" form. buffer receives memory the
// caller must release with dsRoleFreeMemory.
//sys	dsRoleGetPrimaryDomainInformation(server *uint16, level uint32, buffer **dsRolePrimaryDomainInfoBasic) (ret error) = netapi32.DsRoleGetPrimaryDomainInformation?
//sys	dsRoleFreeMemory(buffer *dsRolePrimaryDomainInfoBasic) = netapi32.DsRoleFreeMemory

// NtResumeProcess resumes every thread of a process. os/exec closes the
// primary thread handle inside StartProcess, so ResumeThread cannot be used
// on a child started with CREATE_SUSPENDED; the process handle is all we have.
//sys	ntResumeProcess(process windows.Handle) (ntstatus error) = ntdll.NtResumeProcess?

// dsRolePrimaryDomainInfoBasic is DSROLE_PRIMARY_DOMAIN_INFO_BASIC (dsrole.h).
// Only MachineRole is read; the rest keeps the layout honest.
type dsRolePrimaryDomainInfoBasic struct {
	MachineRole      uint32
	Flags            uint32
	DomainNameFlat   *uint16
	DomainNameDns    *uint16
	DomainForestName *uint16
	DomainGuid       windows.GUID
}

const (
	// dsRolePrimaryDomainInfoBasicLevel is DsRolePrimaryDomainInfoBasic
	// (DSROLE_PRIMARY_DOMAIN_INFO_LEVEL = 1).
	dsRolePrimaryDomainInfoBasicLevel = 1
	// dsRoleRolePrimaryDomainController is DsRole_RolePrimaryDomainController
	// (DSROLE_MACHINE_ROLE = 5): the DC that holds the PDC emulator role.
	dsRoleRolePrimaryDomainController = 5
	// verNTDomainController is VER_NT_DOMAIN_CONTROLLER, the
	// OSVERSIONINFOEX.wProductType of a domain controller; x/sys has no constant.
	verNTDomainController = 2
)
