//go:build unix

package duckstore

import "golang.org/x/sys/unix"

// canWrite asks the kernel whether path may be written now: on a file system
// mounted or remounted read-only the answer is EROFS.
func canWrite(path string) error { return unix.Access(path, unix.W_OK) }
