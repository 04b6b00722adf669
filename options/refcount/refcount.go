// Package refcount is the reference count of imgedge's values with a
// lifetime: a fetched source buffer held by the source cache and by the
// requests reading it (fetch), and a result shared by coalesced requests
// until the last response body is written (workers, edge). It is pure Go
// with no dependencies, so every package may use it (vips included).
package refcount

import "sync/atomic"

// Count is an embeddable atomic reference count:
//
//	type result struct {
//		refcount.Count
//		data []byte
//	}
//	r := &result{data: data}
//	r.Init(free) // one reference, owned by whoever created r
//
// The holder of each reference calls Release exactly once; the last
// Release runs the free function. Retain and Release are safe for
// concurrent use. The zero value must be initialised with Init before use;
// a Count may be initialised again once its free function has run (pooled
// values).
type Count struct {
	n    atomic.Int32
	free func()
}

// Init sets the count to one reference and the function run when the
// count drops to zero (nil: nothing to free).
func (c *Count) Init(free func()) {
	c.free = free
	c.n.Store(1)
}

// Retain adds one reference for a new holder. Calling it on a released
// value is a bug and panics.
func (c *Count) Retain() {
	if c.n.Add(1) <= 1 {
		c.n.Add(-1)
		panic("BUG: refcount: Retain on a released value")
	}
}

// Release drops one reference and runs the free function when it was the
// last one. Releasing more often than retaining is a bug and panics.
func (c *Count) Release() {
	switch n := c.n.Add(-1); {
	case n == 0:
		if c.free != nil {
			c.free()
		}
	case n < 0:
		c.n.Add(1)
		panic("BUG: refcount: Release called too often")
	}
}

// Refs returns the current number of references (for tests and debugging).
func (c *Count) Refs() int { return int(c.n.Load()) }
