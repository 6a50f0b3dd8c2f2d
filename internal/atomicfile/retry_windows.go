package atomicfile

// retryable: Windows refuses to rename over a file that another handle
// holds open without FILE_SHARE_DELETE.
func retryable(err error) bool { return isSharingError(err) }
