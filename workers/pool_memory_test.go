package workers

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/VictoriaMetrics/metrics"

	"github.com/imgedge/imgedge/options"
)

// TestMemoryBudgetSerialisesLargeJobs: a burst of jobs each estimated
// larger than half the budget (some larger than all of it) runs one after
// another on a pool with spare workers, without an error; small jobs fit
// beside each other.
func TestMemoryBudgetSerialisesLargeJobs(t *testing.T) {
	set := metrics.NewSet()
	p := newPool(t, Config{Workers: 4, Memory: 100, Metrics: Metrics{Set: set}})
	var running, peak atomic.Int64
	job := func() {
		n := running.Add(1)
		for o := peak.Load(); n > o && !peak.CompareAndSwap(o, n); o = peak.Load() {
		}
		time.Sleep(time.Millisecond) // let the others try to start meanwhile
		running.Add(-1)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 12)
	for i := range 12 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- p.DoSized(context.Background(), int64(60+i*20), job) // 60 … 280
		}()
	}
	guard(t, "burst", wg.Wait)
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("DoSized: %v", err)
		}
	}
	if peak.Load() != 1 {
		t.Errorf("%d large jobs ran at once; want 1", peak.Load())
	}
	if p.MemoryReserved() != 0 {
		t.Errorf("reserved %d after the burst; want 0", p.MemoryReserved())
	}

	peak.Store(0)
	var started sync.WaitGroup
	release := make(chan struct{})
	started.Add(4)
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := p.DoSized(context.Background(), 25, func() { started.Done(); <-release }); err != nil {
				t.Error(err)
			}
		}()
	}
	guard(t, "small jobs started together", started.Wait)
	var buf bytes.Buffer
	set.WritePrometheus(&buf)
	for _, want := range []string{"memory_budget_bytes 100", "memory_reserved_bytes 100"} {
		if !strings.Contains(buf.String(), want+"\n") {
			t.Errorf("metrics lack %q:\n%s", want, buf.String())
		}
	}
	close(release)
	guard(t, "small jobs", wg.Wait)
}

// TestMemoryWaitKeepsDoSemantics: a job waiting for memory ends like one
// waiting for a worker — KindTimeout on its deadline, KindCanceled when
// cancelled, never run — and counts in the queue for the 429 bound.
func TestMemoryWaitKeepsDoSemantics(t *testing.T) {
	p := newPool(t, Config{Workers: 1, QueueSize: 1, Memory: 100, DisableEarlyReject: true})
	started := make(chan struct{})
	unblock := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- p.DoSized(context.Background(), 100, func() { close(started); <-unblock })
	}()
	<-started
	ran := atomic.Bool{}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	wantKind(t, p.DoSized(ctx, 10, func() { ran.Store(true) }), options.KindTimeout)

	cctx, ccancel := context.WithCancel(context.Background())
	ch := make(chan error, 1)
	go func() { ch <- p.DoSized(cctx, 10, func() { ran.Store(true) }) }()
	waitFor(t, "job waiting for memory", func() bool { return p.QueueLen() == 1 })
	// Workers + queue size are in flight: the next call is refused, and
	// Admit says so before any download.
	wantKind(t, p.DoSized(context.Background(), 10, func() { ran.Store(true) }), options.KindQueueFull)
	wantKind(t, p.Admit(context.Background()), options.KindQueueFull)
	ccancel()
	wantKind(t, recv(t, "cancelled job", ch), options.KindCanceled)
	if ran.Load() {
		t.Error("a job that returned an error ran")
	}
	if err := p.Admit(context.Background()); err != nil {
		t.Errorf("Admit with a free queue slot: %v", err)
	}
	close(unblock)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if p.MemoryReserved() != 0 {
		t.Errorf("reserved %d; want 0", p.MemoryReserved())
	}
}

func TestAdmitByDeadline(t *testing.T) {
	p := newPool(t, Config{Workers: 1})
	release := blockWorker(t, p)
	defer func() { release() }()
	p.avgRun.Store(int64(time.Second))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	wantKind(t, p.Admit(ctx), options.KindTimeout)
	if err := p.Admit(context.Background()); err != nil {
		t.Errorf("Admit without a deadline: %v", err)
	}
	release()
	release = func() {}
	if err := p.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	var e *options.Error
	if err := p.Admit(context.Background()); err == nil || !errors.As(err, &e) || e.Err != ErrClosed {
		t.Errorf("Admit after Close: %v; want ErrClosed", err)
	}
}

// TestMemoryBudgetNoLeakUnderRace mixes sizes, deadlines and cancellation.
func TestMemoryBudgetNoLeakUnderRace(t *testing.T) {
	p := newPool(t, Config{Workers: 3, Memory: 64})
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range 50 {
				ctx, cancel := context.WithTimeout(context.Background(), time.Duration(1+(i+j)%4)*time.Millisecond)
				_ = p.DoSized(ctx, int64((i*7+j*13)%100), func() {})
				cancel()
			}
		}()
	}
	guard(t, "mixed jobs", wg.Wait)
	if p.MemoryReserved() != 0 || p.QueueLen() != 0 {
		t.Errorf("reserved %d, queued %d; want 0", p.MemoryReserved(), p.QueueLen())
	}
}
