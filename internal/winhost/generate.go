package winhost

// The directive lives in a file without a build constraint so that
// `go generate ./internal/winhost/` works on any host: in syscall_windows.go
// it would be skipped on Linux, and with GOOS=windows `go run` would build a
// Windows mkwinsyscall that cannot run here.

//go:generate go run golang.org/x/sys/windows/mkwinsyscall -output zsyscall_windows.go syscall_windows.go
