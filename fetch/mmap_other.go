//go:build !(linux || darwin || freebsd || netbsd || openbsd)

package fetch

// mapBytes is not available here: large buffers come from the Go heap.
func mapBytes(int) ([]byte, bool) { return nil, false }

func unmapBytes([]byte) {}
