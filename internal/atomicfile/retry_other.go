//go:build !windows

package atomicfile

// retryable: a POSIX rename replaces the name whoever has the file open,
// so no failure is worth retrying (and errno 5 and 32 are EIO and EPIPE).
func retryable(error) bool { return false }
