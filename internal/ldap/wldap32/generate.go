package wldap32

// The directive lives in a file without a build constraint so that
// `go generate ./internal/ldap/wldap32/` works on any host (see
// internal/winhost/generate.go).

//go:generate go run golang.org/x/sys/windows/mkwinsyscall -output zsyscall_windows.go syscall_windows.go whoami_windows.go
