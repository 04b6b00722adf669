package workers

import (
	"context"
	"fmt"
	"runtime/debug"
	"sync"
	"sync/atomic"

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

// GroupConfig configures a Group's metrics; the zero value registers none.
type GroupConfig struct {
	// Metrics receives the counter coalesced_requests_total: calls that
	// joined a call already in flight instead of starting their own.
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

	coalesced atomic.Uint64
	counter   *metrics.Counter
}

// NewGroup returns a Group registering its metrics per cfg.
func NewGroup(cfg GroupConfig) *Group {
	g := &Group{}
	if cfg.Metrics.Set != nil {
		g.counter = cfg.Metrics.Set.NewCounter(cfg.Metrics.Name("coalesced_requests_total"))
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

// InFlight returns the number of distinct keys being computed now.
func (g *Group) InFlight() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return len(g.calls)
}

// Do returns the result of fn for key, running fn once for all callers
// whose calls overlap. shared is true for callers that joined a call
// another caller started.
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
