package workers

import (
	"context"
	"sync"
)

// Budget is a weighted semaphore over a size (bytes of memory, or slots):
// callers reserve amounts with Acquire and release them with
// Reservation.Release. Waiters are served strictly first in, first out, so
// a large reservation is not starved by a stream of small ones: once it
// heads the queue, later callers wait behind it even when they would fit.
// A reservation larger than the whole size is clamped to it, which makes it
// run alone instead of failing.
//
// A holder may enlarge its reservation with Reservation.Grow (a download of
// unknown length reserves its buffer as it grows). Growing holders wait
// ahead of new callers. When every holder is itself waiting to grow, none
// could ever release anything, so one of them is chosen and granted beyond
// the size, and keeps being chosen until it releases: the budget is then
// exceeded by at most that one reservation, which finishes or fails on its
// own deadline.
//
// The zero value is unusable; create it with NewBudget. All methods are
// safe for concurrent use. Acquiring, growing and releasing without
// waiting allocates nothing; waiting allocates nothing either (waiters are
// pooled).
type Budget struct {
	mu      sync.Mutex
	size    int64
	used    int64
	holders int          // reservations holding more than 0
	growing int          // holders waiting in Grow
	over    *Reservation // the holder let past the size while all were stuck; nil = none
	head    *waiter
	tail    *waiter
	waiting int
}

// NewBudget returns a budget of size units; size must be > 0.
func NewBudget(size int64) *Budget {
	if size <= 0 {
		panic("BUG: workers.NewBudget with a size <= 0")
	}
	return &Budget{size: size}
}

// Size returns the configured size.
func (b *Budget) Size() int64 { return b.size }

// Used returns the units reserved now. It may exceed Size while a stuck
// grower is let through (see Budget).
func (b *Budget) Used() int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.used
}

// Waiting returns the number of callers waiting in Acquire or Grow.
func (b *Budget) Waiting() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.waiting
}

// Reservation is what one caller holds of a Budget. Its zero value holds
// nothing; Budget.Acquire fills it. It is owned by one goroutine at a time
// (Grow and Release must not run concurrently on one Reservation) and may
// be embedded in a longer-lived struct to avoid an allocation.
type Reservation struct {
	b *Budget
	n int64
}

// Held returns the units the reservation holds.
func (r *Reservation) Held() int64 { return r.n }

// waiter is one blocked Acquire or Grow. granted and the list links are
// guarded by Budget.mu; ready (capacity 1) receives one value when granted.
type waiter struct {
	n          int64
	r          *Reservation // the reservation to credit
	grow       bool         // r already holds something (it counts in Budget.growing)
	granted    bool
	ready      chan struct{}
	prev, next *waiter
}

var waiterPool = sync.Pool{New: func() any { return &waiter{ready: make(chan struct{}, 1)} }}

// Acquire reserves n units into r (which must hold nothing), waiting in
// line until they fit or ctx ends. n is clamped to the budget's size;
// n <= 0 reserves nothing and succeeds at once. Errors are *options.Error:
// KindTimeout when ctx's deadline passes first, KindCanceled when it is
// cancelled first; r then holds nothing.
func (b *Budget) Acquire(ctx context.Context, r *Reservation, n int64) error {
	if n = b.bind(r, n, "Acquire"); n <= 0 {
		return nil
	}
	b.mu.Lock()
	if b.head == nil && b.used+n <= b.size {
		b.credit(r, n)
		b.mu.Unlock()
		return nil
	}
	return b.queueLocked(ctx, r, n, false)
}

// bind makes r, which must hold nothing, a reservation of b and returns n
// clamped to the size (what a reservation larger than the budget gets).
func (b *Budget) bind(r *Reservation, n int64, op string) int64 {
	if r.n != 0 {
		panic("BUG: workers.Budget." + op + " on a reservation that holds units")
	}
	r.b = b
	return min(n, b.size)
}

// queueLocked waits in line for n more units for r. It is called with b.mu
// held and releases it.
func (b *Budget) queueLocked(ctx context.Context, r *Reservation, n int64, grow bool) error {
	if err := ctx.Err(); err != nil {
		b.mu.Unlock()
		return ctxError(err, "workers: request ended while waiting for its budget")
	}
	w := b.enqueue(r, n, grow)
	b.mu.Unlock()
	return b.wait(ctx, w)
}

// TryAcquire is Acquire without waiting: it reports whether n units (clamped
// to the size) were reserved into r, which must hold nothing.
func (b *Budget) TryAcquire(r *Reservation, n int64) bool {
	if n = b.bind(r, n, "TryAcquire"); n <= 0 {
		return true
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.head == nil && b.used+n <= b.size {
		b.credit(r, n)
		return true
	}
	return false
}

// Grow adds n units to r, waiting ahead of new callers until they fit, r is
// the only holder, or every holder is waiting to grow (see Budget). It is
// Acquire for a reservation that holds nothing yet. Errors as Acquire; r
// keeps what it held.
func (r *Reservation) Grow(ctx context.Context, n int64) error {
	b := r.b
	if b == nil {
		panic("BUG: workers.Reservation.Grow before Acquire")
	}
	if n <= 0 {
		return nil
	}
	if r.n == 0 {
		r.b = nil
		return b.Acquire(ctx, r, n)
	}
	b.mu.Lock()
	if b.fits(n, r) && (b.head == nil || !b.head.grow) {
		b.credit(r, n)
		b.mu.Unlock()
		return nil
	}
	return b.queueLocked(ctx, r, n, true)
}

// Release returns everything r holds to the budget and wakes the waiters
// that now fit. r holds nothing afterwards and may be reused; releasing an
// empty reservation does nothing.
func (r *Reservation) Release() {
	b := r.b
	if b == nil || r.n == 0 {
		return
	}
	b.mu.Lock()
	b.used -= r.n
	b.holders--
	r.n = 0
	if b.over == r {
		b.over = nil
	}
	b.grantLocked()
	b.mu.Unlock()
}

// fits reports whether n more units may be granted to r (nil = a new
// reservation): they fit in the size, or r would be the only holder.
func (b *Budget) fits(n int64, r *Reservation) bool {
	if b.used+n <= b.size {
		return true
	}
	held := int64(0)
	if r != nil {
		held = r.n
	}
	return b.used == held // alone: a job bigger than the whole budget runs alone
}

func (b *Budget) credit(r *Reservation, n int64) {
	if r.n == 0 {
		b.holders++
	}
	r.n += n
	b.used += n
}

// enqueue adds a waiter: growers after the growers already waiting, ahead
// of new reservations; others at the tail.
func (b *Budget) enqueue(r *Reservation, n int64, grow bool) *waiter {
	w := waiterPool.Get().(*waiter)
	w.n, w.r, w.grow, w.granted = n, r, grow, false
	b.waiting++
	if grow {
		b.growing++
		after := (*waiter)(nil)
		for p := b.head; p != nil && p.grow; p = p.next {
			after = p
		}
		b.insertAfter(after, w)
	} else {
		b.insertAfter(b.tail, w)
	}
	return w
}

// insertAfter links w after p (nil = at the head).
func (b *Budget) insertAfter(p, w *waiter) {
	w.prev = p
	if p == nil {
		w.next = b.head
		b.head = w
	} else {
		w.next = p.next
		p.next = w
	}
	if w.next != nil {
		w.next.prev = w
	} else {
		b.tail = w
	}
}

func (b *Budget) unlink(w *waiter) {
	if w.prev != nil {
		w.prev.next = w.next
	} else {
		b.head = w.next
	}
	if w.next != nil {
		w.next.prev = w.prev
	} else {
		b.tail = w.prev
	}
	w.prev, w.next = nil, nil
	b.waiting--
	if w.grow {
		b.growing--
	}
}

// grantLocked grants waiters from the head while they may go. When every
// holder waits to grow (none can release), the holder chosen to go past
// the size (b.over, else the first grower) is granted.
func (b *Budget) grantLocked() {
	for w := b.head; w != nil; w = b.head {
		var r *Reservation
		if w.grow {
			r = w.r
		}
		if !b.fits(w.n, r) {
			if !w.grow || b.growing != b.holders {
				return
			}
			if b.over == nil {
				b.over = w.r
			}
			for w != nil && w.r != b.over {
				w = w.next
			}
			if w == nil {
				return // not reached: b.over holds, so it is one of the growers
			}
		}
		b.unlink(w)
		b.credit(w.r, w.n)
		w.granted = true
		w.ready <- struct{}{}
	}
}

// wait blocks until w is granted or ctx ends, then recycles w.
func (b *Budget) wait(ctx context.Context, w *waiter) error {
	b.mu.Lock()
	b.grantLocked() // a new grower may have made every holder stuck
	b.mu.Unlock()
	select {
	case <-w.ready:
		b.putWaiter(w)
		return nil
	case <-ctx.Done():
	}
	b.mu.Lock()
	if w.granted {
		// Granted as ctx ended: give the units back, so that an error
		// always means nothing was added to r.
		<-w.ready
		r := w.r
		r.n -= w.n
		b.used -= w.n
		if r.n == 0 {
			b.holders--
			if b.over == r {
				b.over = nil
			}
		}
		b.grantLocked()
	} else {
		wasHead := b.head == w
		b.unlink(w)
		if wasHead || w.grow {
			b.grantLocked() // the next waiter may fit now, or every holder is stuck now
		}
	}
	b.mu.Unlock()
	b.putWaiter(w)
	return ctxError(ctx.Err(), "workers: request ended while waiting for its budget")
}

func (b *Budget) putWaiter(w *waiter) {
	w.r, w.n, w.grow, w.granted = nil, 0, false, false
	waiterPool.Put(w)
}
