package workers

import (
	"container/list"
	"context"
	"fmt"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/VictoriaMetrics/metrics"

	"github.com/imgedge/imgedge/options"
)

// Shared is a reference-counted result handed to every caller that
// coalesced on one Group call. Each caller that receives a non-nil Shared
// owns exactly one reference and must call Release once when it has
// finished with the value (for edge: after the response body was written).
// The value's memory is freed when the last reference is released.
//
// Retain and Release must be safe for concurrent use; embedding a
// refcount.Count (options/refcount) implements them.
type Shared interface {
	Retain()
	Release()
}

// Keepable is a Shared that may stay shareable for a short while after its
// call finished (the result window, see GroupConfig.Window).
type Keepable interface {
	Shared
	// Keep returns the value's size in bytes and how long it may still be
	// handed out (its own validity: for edge, the response's cache
	// lifetime); ttl <= 0 keeps it out of the window. Called once, on the
	// goroutine that computed the value, before any caller receives it.
	Keep() (size int64, ttl time.Duration)
}

// GroupConfig configures a Group's result window and metrics; the zero
// value has no window and registers no metrics.
type GroupConfig struct {
	// Window keeps each successful Keepable result for this long after its
	// call finished (IMGEDGE_COALESCE_WINDOW), or for its own Keep ttl when
	// shorter: a call for the same key in that time gets the kept result
	// instead of running fn again, so that requests arriving just after the
	// work finished (stragglers of a miss storm) do not repeat it. Errors
	// are never kept. 0 = off.
	Window time.Duration
	// WindowBytes bounds the summed Keep sizes of the kept results
	// (IMGEDGE_COALESCE_WINDOW_SIZE); the oldest go first. A result larger
	// than WindowBytes is not kept. Must be > 0 when Window is.
	WindowBytes int64
	// Metrics receives the counters coalesced_requests_total (calls that
	// joined a call already in flight instead of starting their own) and
	// coalesce_window_hits_total (calls served from the window), and the
	// gauge coalesce_window_bytes.
	Metrics Metrics
}

// Group coalesces identical in-flight calls: while a call for a key runs,
// later calls with the same key wait for its result instead of running fn
// again (a CDN miss storm asks for the same new URL many times at once).
// The zero value is ready to use (without metrics). A Group must not be
// copied after first use. All methods are safe for concurrent use.
type Group struct {
	mu    sync.Mutex
	calls map[string]*call

	// The result window (guarded by mu): kept results by key, in a list
	// oldest first, and their summed sizes.
	window      time.Duration
	windowBytes int64
	kept        map[string]*kept
	order       list.List // of *kept
	keptBytes   int64

	coalesced  atomic.Uint64
	windowHits atomic.Uint64
	counter    *metrics.Counter
	hitCounter *metrics.Counter
}

// kept is one result in the window; it holds one reference of val.
type kept struct {
	key     string
	val     Shared
	size    int64
	expires time.Time
	timer   *time.Timer
	elem    *list.Element // in Group.order
}

// NewGroup returns a Group with cfg's window, registering its metrics per
// cfg.
func NewGroup(cfg GroupConfig) *Group {
	g := &Group{}
	if cfg.Window > 0 && cfg.WindowBytes > 0 {
		g.window, g.windowBytes = cfg.Window, cfg.WindowBytes
		g.kept = make(map[string]*kept)
	}
	if m := cfg.Metrics; m.Set != nil {
		g.counter = m.Set.NewCounter(m.Name("coalesced_requests_total"))
		g.hitCounter = m.Set.NewCounter(m.Name("coalesce_window_hits_total"))
		m.Set.NewGauge(m.Name("coalesce_window_bytes"), func() float64 { return float64(g.KeptBytes()) })
	}
	return g
}

// call is one in-flight computation for a key. waiters, finished and the
// map entry are guarded by Group.mu; val and err are written before done
// is closed.
type call struct {
	done     chan struct{}
	cancel   context.CancelFunc
	waiters  int
	finished bool
	val      Shared
	err      error
}

// Coalesced returns how many calls joined a call already in flight.
func (g *Group) Coalesced() uint64 { return g.coalesced.Load() }

// WindowHits returns how many calls were served from the result window.
func (g *Group) WindowHits() uint64 { return g.windowHits.Load() }

// KeptBytes returns the summed sizes of the results in the window now.
func (g *Group) KeptBytes() int64 {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.keptBytes
}

// InFlight returns the number of distinct keys being computed now.
func (g *Group) InFlight() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return len(g.calls)
}

// Do returns the result of fn for key, running fn once for all callers
// whose calls overlap, or the result kept in the window for key (see
// GroupConfig.Window). shared is true for callers that joined a call
// another caller started or got a kept result.
//
// fn runs on its own goroutine with a context that carries the first
// caller's values but not its cancellation: a caller whose ctx ends leaves
// at once with KindTimeout / KindCanceled (and no value) without stopping
// fn for the others; when every caller has left, fn's context is cancelled
// and the key is forgotten so that a later call starts afresh.
//
// fn returns a Shared holding one reference (or a nil interface with an
// error). Each caller that gets a nil error gets its own reference and
// must Release it; the value is therefore freed exactly once, after the
// last caller released it (or at once if every caller left). A value
// returned together with an error is released and not handed out. A panic
// in fn is reported to every caller as KindUnexpected.
func (g *Group) Do(ctx context.Context, key string, fn func(ctx context.Context) (Shared, error)) (v Shared, shared bool, err error) {
	if err := ctx.Err(); err != nil {
		return nil, false, ctxError(err, "workers: request ended before coalescing")
	}
	g.mu.Lock()
	if v := g.fromWindow(key); v != nil {
		g.mu.Unlock()
		g.windowHits.Add(1)
		if g.hitCounter != nil {
			g.hitCounter.Inc()
		}
		return v, true, nil
	}
	if c, ok := g.calls[key]; ok {
		c.waiters++
		g.mu.Unlock()
		g.coalesced.Add(1)
		if g.counter != nil {
			g.counter.Inc()
		}
		v, err = g.wait(ctx, key, c)
		return v, true, err
	}
	if g.calls == nil {
		g.calls = make(map[string]*call)
	}
	c := &call{done: make(chan struct{}), waiters: 1}
	var fctx context.Context
	fctx, c.cancel = context.WithCancel(context.WithoutCancel(ctx))
	g.calls[key] = c
	g.mu.Unlock()

	go g.run(fctx, key, c, fn)
	v, err = g.wait(ctx, key, c)
	return v, false, err
}

// run computes the value and hands one reference to each caller still
// waiting.
func (g *Group) run(ctx context.Context, key string, c *call, fn func(ctx context.Context) (Shared, error)) {
	val, err := callSafely(ctx, fn)
	if err != nil && val != nil {
		val.Release()
		val = nil
	}

	g.mu.Lock()
	if val != nil && g.kept != nil {
		// Kept before the call is forgotten, so a caller arriving now finds
		// one or the other.
		g.keep(key, val)
	}
	if g.calls[key] == c {
		delete(g.calls, key)
	}
	c.finished = true
	if val != nil {
		for range c.waiters {
			val.Retain()
		}
	}
	c.val, c.err = val, err
	g.mu.Unlock()
	close(c.done)

	if val != nil {
		val.Release() // the reference fn returned; waiters hold their own
	}
	c.cancel()
}

func callSafely(ctx context.Context, fn func(ctx context.Context) (Shared, error)) (v Shared, err error) {
	defer func() {
		if r := recover(); r != nil {
			v = nil
			err = &options.Error{Kind: options.KindUnexpected,
				Msg: fmt.Sprintf("workers: coalesced call panicked: %v\n%s", r, debug.Stack())}
		}
	}()
	return fn(ctx)
}

// wait blocks until c finishes or ctx ends. A caller counted in
// c.waiters when c finished owns one reference of c.val.
func (g *Group) wait(ctx context.Context, key string, c *call) (Shared, error) {
	select {
	case <-c.done:
		return c.val, c.err
	case <-ctx.Done():
	}
	g.mu.Lock()
	if c.finished {
		// The result arrived together with the end of ctx and a reference
		// was already counted for us: take the result.
		g.mu.Unlock()
		<-c.done
		return c.val, c.err
	}
	c.waiters--
	last := c.waiters == 0
	if last && g.calls[key] == c {
		delete(g.calls, key)
	}
	g.mu.Unlock()
	if last {
		c.cancel()
	}
	return nil, ctxError(ctx.Err(), "workers: request ended while waiting for a coalesced result")
}

// fromWindow returns a retained kept result for key, or nil. An expired
// entry whose timer has not run yet is dropped here: a result is never
// handed out after its time. Called with g.mu held.
func (g *Group) fromWindow(key string) Shared {
	e := g.kept[key]
	if e == nil {
		return nil
	}
	if !time.Now().Before(e.expires) {
		g.dropLocked(e)
		return nil
	}
	e.val.Retain()
	return e.val
}

// keep puts val in the window for key when it is Keepable with a positive
// ttl and fits in WindowBytes, evicting the oldest results to make room.
// Called with g.mu held.
func (g *Group) keep(key string, val Shared) {
	k, ok := val.(Keepable)
	if !ok {
		return
	}
	size, ttl := k.Keep()
	ttl = min(ttl, g.window)
	if ttl <= 0 || size > g.windowBytes {
		return
	}
	if old := g.kept[key]; old != nil {
		g.dropLocked(old)
	}
	for g.order.Len() > 0 && g.keptBytes+size > g.windowBytes {
		g.dropLocked(g.order.Front().Value.(*kept))
	}
	val.Retain()
	e := &kept{key: key, val: val, size: max(size, 0), expires: time.Now().Add(ttl)}
	e.elem = g.order.PushBack(e)
	g.kept[key] = e
	g.keptBytes += e.size
	e.timer = time.AfterFunc(ttl, func() { g.expire(e) })
}

// expire drops e when its time is up (unless it was dropped already).
func (g *Group) expire(e *kept) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.kept[e.key] == e {
		g.dropLocked(e)
	}
}

// dropLocked removes e from the window and releases its reference. The
// value's free function must not call back into the Group. Called with
// g.mu held.
func (g *Group) dropLocked(e *kept) {
	g.order.Remove(e.elem)
	delete(g.kept, e.key)
	g.keptBytes -= e.size
	if e.timer != nil {
		e.timer.Stop()
	}
	e.val.Release()
}

// Purge drops every kept result (at shutdown: the results' memory is freed
// now rather than by the timers). Calls in flight are not affected, and
// their results are still kept when they finish.
func (g *Group) Purge() {
	g.mu.Lock()
	defer g.mu.Unlock()
	for g.order.Len() > 0 {
		g.dropLocked(g.order.Front().Value.(*kept))
	}
}
