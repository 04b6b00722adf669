//go:build linux || darwin || freebsd || netbsd || openbsd

package fetch

import "syscall"

// mapBytes returns n bytes of anonymous memory mapped outside the Go heap
// (zeroed by the kernel), or false when the mapping fails.
func mapBytes(n int) ([]byte, bool) {
	b, err := syscall.Mmap(-1, 0, n, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE)
	if err != nil {
		return nil, false
	}
	return b, true
}

// unmapBytes returns memory from mapBytes to the system at once.
func unmapBytes(b []byte) {
	if err := syscall.Munmap(b); err != nil {
		panic("BUG: fetch: munmap of a source buffer: " + err.Error())
	}
}
