package workers

import (
	"bytes"
	"context"
	"errors"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/VictoriaMetrics/metrics"

	"github.com/imgedge/imgedge/options"
)

// guard fails the test if fn does not return within a generous bound: a
// hang is a bug, but the bound is no performance assertion.
func guard(t *testing.T, what string, fn func()) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		defer close(done)
		fn()
	}()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		t.Fatalf("%s did not return", what)
	}
}

// waitFor polls cond until it is true (bounded, see guard).
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); !cond(); {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

func newPool(t *testing.T, cfg Config) *Pool {
	t.Helper()
	p, err := New(cfg)
	if err != nil {
		t.Fatalf("New(%+v): %v", cfg, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		if err := p.Close(ctx); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return p
}

// blockWorker occupies one worker until the returned function is called.
func blockWorker(t *testing.T, p *Pool) (release func()) {
	t.Helper()
	started := make(chan struct{})
	unblock := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- p.Do(context.Background(), func() {
			close(started)
			<-unblock
		})
	}()
	<-started
	return func() {
		close(unblock)
		if err := <-done; err != nil {
			t.Errorf("blocking job: %v", err)
		}
	}
}

func wantKind(t *testing.T, err error, want options.ErrorKind) {
	t.Helper()
	var e *options.Error
	if !errors.As(err, &e) {
		t.Fatalf("got error %v (%T); want *options.Error of kind %v", err, err, want)
	}
	if e.Kind != want {
		t.Fatalf("got kind %v (%v); want %v", e.Kind, err, want)
	}
}

func TestConfigValidate(t *testing.T) {
	f := func(cfg Config, ok bool) {
		t.Helper()
		err := cfg.Validate()
		if (err == nil) != ok {
			t.Fatalf("Validate(%+v) = %v; want ok=%v", cfg, err, ok)
		}
		if _, err := New(cfg); (err == nil) != ok {
			t.Fatalf("New(%+v) = %v; want ok=%v", cfg, err, ok)
		}
	}
	f(Config{Workers: 0}, false)
	f(Config{Workers: -1}, false)
	f(Config{Workers: 1, QueueSize: -1}, false)
}

func TestDoRuns(t *testing.T) {
	p := newPool(t, Config{Workers: 2})
	if got := p.Size(); got != 2 {
		t.Fatalf("Size() = %d; want 2", got)
	}
	var n atomic.Int32
	var wg sync.WaitGroup
	for range 100 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := p.Do(context.Background(), func() { n.Add(1) }); err != nil {
				t.Errorf("Do: %v", err)
			}
		}()
	}
	wg.Wait()
	if got := n.Load(); got != 100 {
		t.Fatalf("jobs run = %d; want 100", got)
	}
	if b, q := p.Busy(), p.QueueLen(); b != 0 || q != 0 {
		t.Fatalf("Busy, QueueLen = %d, %d; want 0, 0", b, q)
	}
}

func TestQueueFullRefusesFast(t *testing.T) {
	p := newPool(t, Config{Workers: 1, QueueSize: 1, DisableEarlyReject: true})
	release := blockWorker(t, p)

	queued := make(chan error, 1)
	var queuedRan atomic.Bool
	go func() { queued <- p.Do(context.Background(), func() { queuedRan.Store(true) }) }()
	waitFor(t, "one queued call", func() bool { return p.QueueLen() == 1 })
	if got := p.Busy(); got != 1 {
		t.Fatalf("Busy() = %d; want 1", got)
	}

	var ran atomic.Bool
	guard(t, "Do on a full queue", func() {
		err := p.Do(context.Background(), func() { ran.Store(true) })
		wantKind(t, err, options.KindQueueFull)
	})
	if ran.Load() {
		t.Fatalf("refused job ran")
	}

	release()
	if err := <-queued; err != nil {
		t.Fatalf("queued Do: %v", err)
	}
	if !queuedRan.Load() {
		t.Fatalf("queued job did not run")
	}
}

func TestDeadlineWhileQueued(t *testing.T) {
	p := newPool(t, Config{Workers: 1, DisableEarlyReject: true})
	release := blockWorker(t, p)

	var ran atomic.Bool
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancel()
	guard(t, "Do with a deadline", func() {
		err := p.Do(ctx, func() { ran.Store(true) })
		wantKind(t, err, options.KindTimeout)
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("got %v; want cause context.DeadlineExceeded", err)
		}
	})
	if got := p.QueueLen(); got != 0 {
		t.Fatalf("QueueLen() after timeout = %d; want 0", got)
	}
	release()
	// Run one more job through the only worker: had the timed-out job been
	// left in the queue it would run before this one.
	if err := p.Do(context.Background(), func() {}); err != nil {
		t.Fatalf("Do: %v", err)
	}
	if ran.Load() {
		t.Fatalf("job ran after its deadline")
	}
}

func TestEndedContextNeverRuns(t *testing.T) {
	p := newPool(t, Config{Workers: 1})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var ran atomic.Bool
	err := p.Do(ctx, func() { ran.Store(true) })
	wantKind(t, err, options.KindCanceled)
	if ran.Load() {
		t.Fatalf("job with a cancelled context ran")
	}
}

func TestEarlyRejectByDeadline(t *testing.T) {
	p := newPool(t, Config{Workers: 1})
	// Teach the pool that jobs take about 200ms.
	if err := p.Do(context.Background(), func() { time.Sleep(200 * time.Millisecond) }); err != nil {
		t.Fatalf("Do: %v", err)
	}
	release := blockWorker(t, p)

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var ran atomic.Bool
	// A call with a far deadline waits normally ...
	far := make(chan error, 1)
	go func() { far <- p.Do(ctx, func() { ran.Store(true) }) }()
	waitFor(t, "one queued call", func() bool { return p.QueueLen() == 1 })

	// ... one whose deadline is sooner than a worker can free up is refused
	// at once, before that deadline.
	short, cancel2 := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel2()
	p.avgRun.Store(int64(time.Minute)) // make the estimate unambiguous
	var shortRan atomic.Bool
	err := p.Do(short, func() { shortRan.Store(true) })
	wantKind(t, err, options.KindTimeout)
	if short.Err() != nil {
		t.Fatalf("refused only after the deadline: %v", err)
	}
	if !strings.Contains(err.Error(), "cannot start before the deadline") {
		t.Fatalf("got %q; want the early reject message", err)
	}
	release()
	if err := <-far; err != nil {
		t.Fatalf("far Do: %v", err)
	}
	if !ran.Load() || shortRan.Load() {
		t.Fatalf("far ran=%v, short ran=%v; want true, false", ran.Load(), shortRan.Load())
	}
}

func TestCancelFreesSlot(t *testing.T) {
	p := newPool(t, Config{Workers: 1, QueueSize: 1})
	release := blockWorker(t, p)

	ctx, cancel := context.WithCancel(context.Background())
	res := make(chan error, 1)
	var ran atomic.Bool
	go func() { res <- p.Do(ctx, func() { ran.Store(true) }) }()
	waitFor(t, "one queued call", func() bool { return p.QueueLen() == 1 })
	cancel()
	wantKind(t, <-res, options.KindCanceled)
	if got := p.QueueLen(); got != 0 {
		t.Fatalf("QueueLen() after cancel = %d; want 0", got)
	}

	// The freed slot admits a new call instead of refusing it.
	res2 := make(chan error, 1)
	go func() { res2 <- p.Do(context.Background(), func() {}) }()
	waitFor(t, "the slot to be taken again", func() bool { return p.QueueLen() == 1 })
	release()
	if err := <-res2; err != nil {
		t.Fatalf("Do in the freed slot: %v", err)
	}
	if ran.Load() {
		t.Fatalf("cancelled job ran")
	}
}

func TestPanicIsRecovered(t *testing.T) {
	var exits atomic.Int32
	p := newPool(t, Config{Workers: 1, ThreadExit: func() { exits.Add(1) }})
	err := p.Do(context.Background(), func() { panic("boom") })
	wantKind(t, err, options.KindUnexpected)
	if !strings.Contains(err.Error(), "boom") {
		t.Fatalf("got %q; want the panic value in the message", err)
	}
	// The same (only) worker still serves.
	var ran bool
	if err := p.Do(context.Background(), func() { ran = true }); err != nil || !ran {
		t.Fatalf("Do after panic: err=%v ran=%v; want nil, true", err, ran)
	}
	if got := exits.Load(); got != 0 {
		t.Fatalf("ThreadExit ran %d times before Close; want 0", got)
	}
}

func TestCloseDrainsAndStops(t *testing.T) {
	var exits atomic.Int32
	p, err := New(Config{Workers: 3, ThreadExit: func() { exits.Add(1) }})
	if err != nil {
		t.Fatal(err)
	}
	var releases []func()
	for range 3 {
		releases = append(releases, blockWorker(t, p))
	}
	var done atomic.Int32
	var wg sync.WaitGroup
	for range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := p.Do(context.Background(), func() { done.Add(1) }); err != nil {
				t.Errorf("Do: %v", err)
			}
		}()
	}
	waitFor(t, "the calls to be queued", func() bool { return p.QueueLen() == 10 })

	closed := make(chan error, 1)
	go func() { closed <- p.Close(context.Background()) }()
	waitFor(t, "the pool to be closed", p.closed.Load)

	err = p.Do(context.Background(), func() { t.Errorf("job ran after Close") })
	wantKind(t, err, options.KindTimeout)
	if !errors.Is(err, ErrClosed) {
		t.Fatalf("got %v; want cause ErrClosed", err)
	}
	for _, release := range releases {
		release()
	}
	guard(t, "Close", func() {
		if err := <-closed; err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	wg.Wait()
	if got := done.Load(); got != 10 {
		t.Fatalf("admitted jobs run = %d; want 10", got)
	}
	if got := exits.Load(); got != 3 {
		t.Fatalf("ThreadExit calls = %d; want 3", got)
	}
	if err := p.Close(context.Background()); err != nil {
		t.Fatalf("second Close: %v", err)
	}
}

func TestCloseContextEnds(t *testing.T) {
	p, err := New(Config{Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	release := blockWorker(t, p)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	if err := p.Close(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Close = %v; want context.DeadlineExceeded", err)
	}
	release()
	// The workers stop on their own once drained.
	guard(t, "workers to stop", p.wg.Wait)
}

func TestMetrics(t *testing.T) {
	set := metrics.NewSet()
	p := newPool(t, Config{Workers: 2, Metrics: Metrics{Set: set, Namespace: "imgedge"}})
	release := blockWorker(t, p)
	var buf bytes.Buffer
	set.WritePrometheus(&buf)
	out := buf.String()
	for _, want := range []string{
		"imgedge_workers 2\n",
		"imgedge_images_in_progress 1\n",
		"imgedge_queue_length 0\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("metrics output lacks %q; got\n%s", want, out)
		}
	}
	if err := (Metrics{Namespace: "my-ns"}).Validate(); err == nil || !strings.HasPrefix(err.Error(), "IMGPROXY_PROMETHEUS_NAMESPACE: ") {
		t.Errorf("namespace my-ns: got %v; want an IMGPROXY_PROMETHEUS_NAMESPACE error", err)
	}
	release()
	buf.Reset()
	set.WritePrometheus(&buf)
	if want := "imgedge_queue_wait_seconds_count 1\n"; !strings.Contains(buf.String(), want) {
		t.Errorf("metrics output lacks %q; got\n%s", want, buf.String())
	}
}

// TestNoGoroutineLeak drives a load with cancellations, deadlines and
// panics, closes the pool and checks every goroutine it started is gone.
func TestNoGoroutineLeak(t *testing.T) {
	before := runtime.NumGoroutine()
	p, err := New(Config{Workers: 4, QueueSize: 8})
	if err != nil {
		t.Fatal(err)
	}
	loadRun(t, p, &Group{})
	if err := p.Close(context.Background()); err != nil {
		t.Fatalf("Close: %v", err)
	}
	waitFor(t, "goroutines to exit", func() bool { return runtime.NumGoroutine() <= before })
}

// loadRun runs 2000 mixed calls from 32 goroutines through g and p.
func loadRun(t *testing.T, p *Pool, g *Group) {
	t.Helper()
	var freed, made atomic.Int64
	var wg sync.WaitGroup
	for w := range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 60 {
				ctx, cancel := context.Background(), context.CancelFunc(func() {})
				switch i % 5 {
				case 1:
					ctx, cancel = context.WithTimeout(ctx, time.Duration(i%3)*time.Millisecond)
				case 2:
					ctx, cancel = context.WithCancel(ctx)
					go cancel()
				}
				key := string(rune('a' + (w+i)%7))
				v, _, err := g.Do(ctx, key, func(ctx context.Context) (Shared, error) {
					var r *testValue
					err := p.Do(ctx, func() {
						if i%17 == 3 {
							panic("job panic")
						}
						time.Sleep(50 * time.Microsecond)
						r = newTestValue(key, func() { freed.Add(1) })
						made.Add(1)
					})
					if err != nil {
						return nil, err
					}
					return r, nil
				})
				if err == nil {
					if got := v.(*testValue).data; got != key {
						t.Errorf("got value %q; want %q", got, key)
					}
					v.Release()
				}
				cancel()
			}
		}()
	}
	wg.Wait()
	waitFor(t, "all values to be freed", func() bool { return g.InFlight() == 0 && freed.Load() == made.Load() })
	if made.Load() == 0 {
		t.Fatalf("no job produced a value")
	}
}
