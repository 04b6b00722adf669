// Package workers runs image jobs on a fixed set of OS-thread-pinned
// goroutines behind a bounded queue (docs/http.md "Workers, queue and
// timeouts"), and coalesces
// identical in-flight requests (Group).
//
// It is pure Go (stdlib + VictoriaMetrics/metrics) and builds with
// CGO_ENABLED=0: libvips is reached only through the functions the caller
// runs on a worker and the Config.ThreadExit hook.
package workers

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/VictoriaMetrics/metrics"

	"github.com/imgedge/imgedge/options"
)

// Config configures a Pool. The zero value is invalid: Workers must be set.
type Config struct {
	// Workers is the number of jobs that run at once (IMGPROXY_WORKERS,
	// alias IMGPROXY_CONCURRENCY). Each worker is a goroutine pinned to its
	// own OS thread for the pool's lifetime. Must be > 0.
	Workers int
	// QueueSize bounds the requests waiting for a worker
	// (IMGPROXY_REQUESTS_QUEUE_SIZE): with QueueSize > 0, a Do call that
	// would make more than Workers+QueueSize calls in flight fails at once
	// with KindQueueFull. 0 means unbounded (waiting is then limited only by
	// each call's context). Must be >= 0.
	QueueSize int
	// ThreadExit, when set, runs on each worker's OS thread when the pool
	// closes, before the thread is unpinned (vips.ThreadShutdown frees the
	// libvips per-thread state there).
	ThreadExit func()
	// DisableEarlyReject turns off deadline-aware admission. By default a
	// call whose context deadline falls before the moment a worker is
	// expected to become free (estimated from the queue length and the
	// recent job durations) is refused at once with KindTimeout instead of
	// waiting in the queue only to time out (docs/http.md).
	DisableEarlyReject bool
	// Memory bounds the summed memory estimates of the jobs admitted to
	// the workers (IMGEDGE_MEMORY_BUDGET, bytes; see DoSized). 0 = jobs are
	// bounded by count only. Must be >= 0.
	Memory int64
	// Metrics receives the pool's gauges and histogram (see
	// registerMetrics). The zero value registers nothing, which tests use
	// to create many pools.
	Metrics Metrics
}

// Validate reports the first invalid setting.
func (c *Config) Validate() error {
	if c.Workers <= 0 {
		return options.ConfigErrorf("IMGPROXY_CONCURRENCY", "must be > 0; got %d", c.Workers)
	}
	if c.QueueSize < 0 {
		return options.ConfigErrorf("IMGPROXY_REQUESTS_QUEUE_SIZE", "must be >= 0; got %d", c.QueueSize)
	}
	if c.Memory < 0 {
		return options.ConfigErrorf("IMGEDGE_MEMORY_BUDGET", "must be >= 0; got %d", c.Memory)
	}
	return c.Metrics.Validate()
}

// ErrClosed is the cause of the error Do returns after Close was called.
// The error's kind is KindTimeout (503: the server is going away).
var ErrClosed = errors.New("workers: pool is closed")

// job is one Do call handed to a worker. jobs are pooled: the done channel
// (capacity 1) is reused, so a Do call that goes through allocates nothing.
// mem is the job's share of the memory budget.
type job struct {
	ctx  context.Context
	fn   func()
	err  error
	done chan struct{}
	mem  Reservation
}

var jobPool = sync.Pool{New: func() any { return &job{done: make(chan struct{}, 1)} }}

// Pool is a fixed set of workers behind a bounded queue. All methods are
// safe for concurrent use. Create it with New and stop it with Close.
type Pool struct {
	cfg Config

	jobs chan *job     // unbuffered: a send succeeds only when a worker takes the job
	stop chan struct{} // closed by Close after draining; workers then exit
	wg   sync.WaitGroup

	inflight atomic.Int64 // Do calls admitted and not yet returned
	busy     atomic.Int64 // workers running a job
	closed   atomic.Bool
	// drained is closed once no admitted call is left after Close: calls
	// that start after Close only count themselves in and out again.
	drained     chan struct{}
	drainedOnce sync.Once
	stopOnce    sync.Once

	// avgRun is an exponentially weighted average job duration in
	// nanoseconds (weight 1/8), used by the early reject estimate.
	avgRun atomic.Int64

	mem *Budget // nil without Config.Memory

	queueWait *metrics.PrometheusHistogram // nil without Config.Metrics.Set
}

// New validates cfg and starts cfg.Workers pinned goroutines.
func New(cfg Config) (*Pool, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	p := &Pool{
		cfg:     cfg,
		jobs:    make(chan *job),
		stop:    make(chan struct{}),
		drained: make(chan struct{}),
	}
	if cfg.Memory > 0 {
		p.mem = NewBudget(cfg.Memory)
	}
	if cfg.Metrics.Set != nil {
		p.registerMetrics(cfg.Metrics)
	}
	p.wg.Add(cfg.Workers)
	for range cfg.Workers {
		go p.worker()
	}
	return p, nil
}

// registerMetrics creates the metrics the pool owns (docs/metrics.md),
// named with m.Name:
//
//	workers               gauge     configured worker count
//	images_in_progress    gauge     jobs running on a worker now
//	queue_length          gauge     calls waiting for a worker
//	queue_wait_seconds    histogram time from Do to the start of the job (or refusal), default buckets
//	memory_budget_bytes   gauge     configured memory budget (IMGEDGE_MEMORY_BUDGET; with one)
//	memory_reserved_bytes gauge     estimates of the jobs holding the budget now (with one)
//
// workers_utilization is edge's: imgproxy defines it from the HTTP
// requests in progress, which only edge counts.
func (p *Pool) registerMetrics(m Metrics) {
	set := m.Set
	set.NewGauge(m.Name("workers"), func() float64 { return float64(p.cfg.Workers) })
	set.NewGauge(m.Name("images_in_progress"), func() float64 { return float64(p.Busy()) })
	set.NewGauge(m.Name("queue_length"), func() float64 { return float64(p.QueueLen()) })
	p.queueWait = set.NewPrometheusHistogram(m.Name("queue_wait_seconds"))
	if p.mem != nil {
		set.NewGauge(m.Name("memory_budget_bytes"), func() float64 { return float64(p.mem.Size()) })
		set.NewGauge(m.Name("memory_reserved_bytes"), func() float64 { return float64(p.mem.Used()) })
	}
}

// MemoryReserved returns the bytes of the memory budget held by admitted
// jobs now (0 without a budget).
func (p *Pool) MemoryReserved() int64 {
	if p.mem == nil {
		return 0
	}
	return p.mem.Used()
}

// Size returns the configured number of workers.
func (p *Pool) Size() int { return p.cfg.Workers }

// Busy returns the number of workers running a job now.
func (p *Pool) Busy() int { return int(p.busy.Load()) }

// QueueLen returns the number of Do calls waiting for a worker now.
func (p *Pool) QueueLen() int {
	n := p.inflight.Load() - p.busy.Load()
	if n < 0 { // the two loads are not one snapshot
		n = 0
	}
	return int(n)
}

// Do runs fn on a worker goroutine whose OS thread is locked, and returns
// when fn has returned. It is DoSized without a memory estimate.
func (p *Pool) Do(ctx context.Context, fn func()) error {
	return p.DoSized(ctx, 0, fn)
}

// DoSized runs fn on a worker goroutine whose OS thread is locked, and
// returns when fn has returned. mem is the job's memory estimate in bytes:
// with Config.Memory set, the job first waits (first in, first out) until
// mem fits in the budget beside the jobs admitted before it — a job larger
// than the whole budget waits until it runs alone — and holds it until fn
// returns; mem <= 0 skips the budget. It then tries to hand fn to an idle
// worker without blocking; otherwise it waits in the queue until a worker
// is free or ctx ends.
//
// Errors are *options.Error: KindQueueFull when Workers+QueueSize calls are
// already in flight; KindTimeout when ctx's deadline passes first (or is
// predicted to pass before a worker frees up, see DisableEarlyReject);
// KindCanceled when ctx is cancelled first; KindTimeout with cause ErrClosed
// after Close; KindUnexpected when fn panics (the worker survives). fn never
// runs after Do returned an error other than a panic report, and never runs
// once ctx has ended.
//
// fn should observe ctx itself: once it started, Do waits for it to finish
// even if ctx ends meanwhile, so memory fn uses stays valid.
func (p *Pool) DoSized(ctx context.Context, mem int64, fn func()) error {
	n := p.inflight.Add(1)
	defer p.leave()
	if p.closed.Load() {
		return &options.Error{Kind: options.KindTimeout, Msg: "workers: cannot run job", Err: ErrClosed}
	}
	if p.cfg.QueueSize > 0 && n > int64(p.cfg.Workers+p.cfg.QueueSize) {
		p.observeWait(0)
		return options.Errorf(options.KindQueueFull, "workers: queue is full (%d workers, queue size %d)",
			p.cfg.Workers, p.cfg.QueueSize)
	}
	if err := ctx.Err(); err != nil {
		return ctxError(err, "workers: request ended before its job started")
	}

	j := jobPool.Get().(*job)
	j.ctx, j.fn, j.err = ctx, fn, nil
	var start time.Time // set once the call waits
	if p.mem != nil && mem > 0 && !p.mem.TryAcquire(&j.mem, mem) {
		if err := p.admitByDeadline(ctx, int64(p.QueueLen())-1); err != nil {
			p.observeWait(0)
			p.putJob(j)
			return err
		}
		start = time.Now()
		if err := p.mem.Acquire(ctx, &j.mem, mem); err != nil {
			p.observeWait(time.Since(start).Seconds())
			p.putJob(j)
			return err
		}
	}

	select {
	case p.jobs <- j: // fast path: a worker was idle
		p.observeSince(start)
	default:
		if start.IsZero() {
			if err := p.admitByDeadline(ctx, int64(p.QueueLen())-1); err != nil {
				p.observeWait(0)
				p.putJob(j)
				return err
			}
			start = time.Now()
		}
		select {
		case p.jobs <- j:
			p.observeSince(start)
		case <-ctx.Done():
			p.observeSince(start)
			p.putJob(j)
			return ctxError(ctx.Err(), "workers: request ended while queued")
		}
	}
	<-j.done
	err := j.err
	p.putJob(j)
	return err
}

// Admit reports the error DoSized would return at once if it were called
// now (nil when it would queue or run): the pool is closed, the queue is
// full, ctx has ended, or ctx's deadline clearly falls before a worker
// frees up. It reserves nothing. edge asks it before downloading a source,
// so that a request the pool would refuse is refused before its download.
func (p *Pool) Admit(ctx context.Context) error {
	if p.closed.Load() {
		return &options.Error{Kind: options.KindTimeout, Msg: "workers: cannot run job", Err: ErrClosed}
	}
	if p.cfg.QueueSize > 0 && p.inflight.Load() >= int64(p.cfg.Workers+p.cfg.QueueSize) {
		return options.Errorf(options.KindQueueFull, "workers: queue is full (%d workers, queue size %d)",
			p.cfg.Workers, p.cfg.QueueSize)
	}
	if err := ctx.Err(); err != nil {
		return ctxError(err, "workers: request ended before its job started")
	}
	if p.inflight.Load() < int64(p.cfg.Workers) {
		return nil
	}
	return p.admitByDeadline(ctx, int64(p.QueueLen()))
}

// admitByDeadline refuses a call that cannot start before its deadline:
// with q calls queued ahead and W workers each finishing a job every avg
// on average, the first worker frees up in about avg/2 and this call starts
// in about (q/W + 1/2)·avg. Only a clear miss is refused.
func (p *Pool) admitByDeadline(ctx context.Context, ahead int64) error {
	if p.cfg.DisableEarlyReject {
		return nil
	}
	deadline, ok := ctx.Deadline()
	if !ok {
		return nil
	}
	avg := p.avgRun.Load()
	if avg <= 0 {
		return nil
	}
	if ahead < 0 {
		ahead = 0
	}
	w := int64(p.cfg.Workers)
	est := time.Duration(avg*ahead/w + avg/2)
	if left := time.Until(deadline); est > left {
		return options.Errorf(options.KindTimeout,
			"workers: job cannot start before the deadline (about %v in queue, %v left)", est.Round(time.Millisecond),
			left.Round(time.Millisecond))
	}
	return nil
}

func (p *Pool) putJob(j *job) {
	j.mem.Release()
	j.ctx, j.fn, j.err = nil, nil, nil
	jobPool.Put(j)
}

// observeSince records the wait since start (zero = no wait).
func (p *Pool) observeSince(start time.Time) {
	if start.IsZero() {
		p.observeWait(0)
		return
	}
	p.observeWait(time.Since(start).Seconds())
}

func (p *Pool) observeWait(sec float64) {
	if p.queueWait != nil {
		p.queueWait.Update(sec)
	}
}

// leave ends one Do call and wakes Close when it was the last one.
func (p *Pool) leave() {
	if p.inflight.Add(-1) == 0 && p.closed.Load() {
		p.drainedOnce.Do(func() { close(p.drained) })
	}
}

// ctxError classifies a context error: deadline → KindTimeout, cancel →
// KindCanceled.
func ctxError(err error, msg string) *options.Error {
	return options.Wrap(options.KindOf(err), msg, err)
}

// worker is one pinned goroutine. It runs until Close stops the pool.
func (p *Pool) worker() {
	runtime.LockOSThread()
	defer func() {
		if p.cfg.ThreadExit != nil {
			p.cfg.ThreadExit()
		}
		runtime.UnlockOSThread()
		p.wg.Done()
	}()
	for {
		select {
		case j := <-p.jobs:
			p.run(j)
		case <-p.stop:
			return
		}
	}
}

// run executes one job, recovering a panic into a KindUnexpected error so
// the worker (and its thread) survive. A job whose context already ended
// (it raced with the hand-off) does not run.
func (p *Pool) run(j *job) {
	if err := j.ctx.Err(); err != nil {
		j.err = ctxError(err, "workers: request ended before its job started")
		j.done <- struct{}{}
		return
	}
	p.busy.Add(1)
	start := time.Now()
	defer func() {
		if r := recover(); r != nil {
			j.err = &options.Error{Kind: options.KindUnexpected,
				Msg: fmt.Sprintf("workers: job panicked: %v\n%s", r, debug.Stack())}
		}
		p.busy.Add(-1)
		p.updateAvg(time.Since(start))
		j.done <- struct{}{}
	}()
	j.fn()
}

// updateAvg folds d into the moving average job duration (weight 1/8). A
// lost update under contention only makes the estimate slightly stale.
func (p *Pool) updateAvg(d time.Duration) {
	old := p.avgRun.Load()
	if old == 0 {
		p.avgRun.Store(int64(d))
		return
	}
	p.avgRun.Store(old + (int64(d)-old)/8)
}

// Close stops accepting calls (Do then fails with cause ErrClosed), waits
// for the calls already admitted (running and queued) to finish, then stops
// the workers, each running Config.ThreadExit on its thread. If ctx ends
// first, Close returns its error; the workers still stop once the admitted
// calls are done. Calling Close again is safe.
func (p *Pool) Close(ctx context.Context) error {
	p.closed.Store(true)
	if p.inflight.Load() == 0 {
		p.drainedOnce.Do(func() { close(p.drained) })
	}
	select {
	case <-p.drained:
	case <-ctx.Done():
		go p.stopWhenDrained()
		return ctx.Err()
	}
	p.stopOnce.Do(func() { close(p.stop) })
	done := make(chan struct{})
	go func() {
		p.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// stopWhenDrained finishes a Close whose context ended early.
func (p *Pool) stopWhenDrained() {
	<-p.drained
	p.stopOnce.Do(func() { close(p.stop) })
}
