package fetch

import (
	"math/bits"
	"sync"

	"github.com/imgedge/imgedge/options/refcount"
)

// Source bytes live in buffers of a few size classes (steps of 2^n and
// 1.5·2^n from 16 KiB to 64 MiB), so a download with a known length takes
// one buffer of the right class and is read into it without any growing
// copy. Buffers below mapThreshold are pooled in the Go heap. Larger ones
// (the multi-megabyte photos) are mapped outside it and unmapped when
// released: their memory goes back to the system at once instead of
// waiting in a pool or for the next garbage collection, which kept the Go
// heap at several times the sources in flight.

const (
	minClassShift = 14 // 16 KiB
	maxClassShift = 26 // 64 MiB
	numClasses    = 2 * (maxClassShift - minClassShift + 1)
)

var classPools [numClasses]sync.Pool

// mapThreshold is the smallest buffer mapped outside the Go heap.
const mapThreshold = 1 << 20

// classSize returns the capacity of size class i.
func classSize(i int) int {
	base := 1 << (minClassShift + i/2)
	if i%2 == 1 {
		base += base / 2
	}
	return base
}

// classFor returns the smallest class holding n bytes, or -1 if n is over
// the largest class.
func classFor(n int) int {
	if n <= 1<<minClassShift {
		return 0
	}
	shift := bits.Len(uint(n-1)) - 1 // 2^shift < n <= 2^(shift+1)
	i := 2 * (shift - minClassShift)
	if n <= classSize(i+1) {
		i++
	} else {
		i += 2
	}
	if i >= numClasses {
		return -1
	}
	return i
}

// buffer is a pooled byte slice with a reference count: the cache and every
// source handed out (options.Source, whose owner it is) hold one reference;
// the last Release puts the buffer back into its pool.
type buffer struct {
	refcount.Count
	b       []byte // len = valid bytes, cap = class size
	class   int    // -1 = not pooled
	recycle func() // b.put, made once per buffer (a method value allocates)
}

// getBuffer returns a buffer with len 0 and cap >= n, holding one reference.
func getBuffer(n int) *buffer {
	c := classFor(n)
	size := n
	if c >= 0 {
		size = classSize(c)
	}
	if size >= mapThreshold {
		if b, ok := mapBytes(size); ok {
			buf := &buffer{b: b[:0], class: -1}
			buf.Init(buf.unmap)
			return buf
		}
	}
	if c < 0 {
		buf := &buffer{b: make([]byte, 0, n), class: -1}
		buf.Init(nil) // left to the GC
		return buf
	}
	if v := classPools[c].Get(); v != nil {
		buf := v.(*buffer)
		buf.Init(buf.recycle)
		return buf
	}
	buf := &buffer{b: make([]byte, 0, classSize(c)), class: c}
	buf.recycle = buf.put
	buf.Init(buf.recycle)
	return buf
}

// unmap returns a mapped buffer's memory (the count's free function).
func (b *buffer) unmap() {
	unmapBytes(b.b[:cap(b.b)])
	b.b = nil
}

// put returns the buffer to its pool (the count's free function).
func (b *buffer) put() {
	b.b = b.b[:0]
	classPools[b.class].Put(b)
}

// grow returns a buffer holding b's bytes with room for at least extra more
// bytes, releasing b. Used only when the length is not known in advance.
func (b *buffer) grow(extra int) *buffer {
	if cap(b.b)-len(b.b) >= extra {
		return b
	}
	nb := getBuffer(b.growSize(extra))
	nb.b = append(nb.b, b.b...)
	b.Release()
	return nb
}

// growSize is the size grow asks for: room for extra more bytes, at least
// twice the current capacity.
func (b *buffer) growSize(extra int) int {
	return max(len(b.b)+extra, 2*cap(b.b))
}
