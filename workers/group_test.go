package workers

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/VictoriaMetrics/metrics"

	"github.com/imgedge/imgedge/options"
	"github.com/imgedge/imgedge/options/refcount"
)

// testValue stands for a produced image: data plus a release counted by
// the test.
type testValue struct {
	refcount.Count
	data string
}

func newTestValue(data string, free func()) *testValue {
	v := &testValue{data: data}
	v.Init(free)
	return v
}

func TestGroupCoalescesAndReleasesOnce(t *testing.T) {
	set := metrics.NewSet()
	g := NewGroup(GroupConfig{Metrics: Metrics{Set: set, Namespace: "imgedge"}})
	const n = 20
	var runs, frees atomic.Int32
	unblock := make(chan struct{})
	var val *testValue

	type res struct {
		v      Shared
		shared bool
		err    error
	}
	results := make(chan res, n)
	for range n {
		go func() {
			v, shared, err := g.Do(context.Background(), "k", func(ctx context.Context) (Shared, error) {
				runs.Add(1)
				<-unblock
				val = newTestValue("image bytes", func() { frees.Add(1) })
				return val, nil
			})
			results <- res{v, shared, err}
		}()
	}
	waitFor(t, "all callers to join", func() bool { return g.Coalesced() == n-1 })
	close(unblock)

	var got []Shared
	sharedCount := 0
	for range n {
		r := <-results
		if r.err != nil {
			t.Fatalf("Do: %v", r.err)
		}
		if r.shared {
			sharedCount++
		}
		got = append(got, r.v)
	}
	if r := runs.Load(); r != 1 {
		t.Fatalf("fn ran %d times; want 1", r)
	}
	if sharedCount != n-1 {
		t.Fatalf("shared=true for %d callers; want %d", sharedCount, n-1)
	}
	// run drops the reference fn returned just after waking the callers.
	waitFor(t, "fn's own reference to be dropped", func() bool { return val.Refs() <= n })
	if refs := val.Refs(); refs != n {
		t.Fatalf("refs = %d; want %d (one per caller)", refs, n)
	}
	for i, v := range got {
		if v != Shared(val) {
			t.Fatalf("caller %d got %p; want the one value %p", i, v, val)
		}
		if f := frees.Load(); f != 0 {
			t.Fatalf("value freed %d times before the last release", f)
		}
		v.Release()
	}
	if f := frees.Load(); f != 1 {
		t.Fatalf("value freed %d times; want 1", f)
	}
	var buf bytes.Buffer
	set.WritePrometheus(&buf)
	if want := fmt.Sprintf("imgedge_coalesced_requests_total %d\n", n-1); !strings.Contains(buf.String(), want) {
		t.Fatalf("metrics lack %q; got\n%s", want, buf.String())
	}
	if g.InFlight() != 0 {
		t.Fatalf("InFlight() = %d; want 0", g.InFlight())
	}
}

func TestGroupWaiterLeavesWithoutCancellingOthers(t *testing.T) {
	var g Group
	unblock := make(chan struct{})
	started := make(chan context.Context, 1)
	var frees atomic.Int32

	fn := func(ctx context.Context) (Shared, error) {
		started <- ctx
		<-unblock
		return newTestValue("x", func() { frees.Add(1) }), nil
	}
	leaderCtx, cancelLeader := context.WithCancel(context.Background())
	leaderErr := make(chan error, 1)
	go func() {
		v, _, err := g.Do(leaderCtx, "k", fn)
		if v != nil {
			t.Errorf("leaving caller got a value")
		}
		leaderErr <- err
	}()
	fctx := <-started

	other := make(chan Shared, 1)
	go func() {
		v, shared, err := g.Do(context.Background(), "k", fn)
		if err != nil || !shared {
			t.Errorf("second caller: shared=%v err=%v; want true, nil", shared, err)
		}
		other <- v
	}()
	waitFor(t, "the second caller to join", func() bool { return g.Coalesced() == 1 })

	cancelLeader()
	wantKind(t, <-leaderErr, options.KindCanceled)
	if err := fctx.Err(); err != nil {
		t.Fatalf("fn's context ended when one of two callers left: %v", err)
	}
	close(unblock)
	v := <-other
	if v == nil || v.(*testValue).data != "x" {
		t.Fatalf("second caller got %v; want the value", v)
	}
	v.Release()
	// run drops the reference fn returned just after waking the callers,
	// so the last release may be its own, a moment later.
	waitFor(t, "the value to be freed", func() bool { return frees.Load() >= 1 })
	if f := frees.Load(); f != 1 {
		t.Fatalf("freed %d times; want 1", f)
	}
}

func TestGroupAllLeaveCancelsAndForgets(t *testing.T) {
	var g Group
	var frees atomic.Int32
	started := make(chan struct{})
	fnDone := make(chan error, 1)
	ctx1, cancel1 := context.WithCancel(context.Background())
	ctx2, cancel2 := context.WithCancel(context.Background())
	slow := func(ctx context.Context) (Shared, error) {
		close(started)
		<-ctx.Done()
		fnDone <- ctx.Err()
		// A value produced anyway must still be freed.
		return newTestValue("late", func() { frees.Add(1) }), nil
	}
	errs := make(chan error, 2)
	go func() { _, _, err := g.Do(ctx1, "k", slow); errs <- err }()
	<-started
	go func() {
		_, _, err := g.Do(ctx2, "k", func(context.Context) (Shared, error) {
			t.Errorf("second fn ran while the first was in flight")
			return nil, nil
		})
		errs <- err
	}()
	waitFor(t, "the second caller to join", func() bool { return g.Coalesced() == 1 })
	cancel1()
	cancel2()
	wantKind(t, <-errs, options.KindCanceled)
	wantKind(t, <-errs, options.KindCanceled)
	if err := <-fnDone; !errors.Is(err, context.Canceled) {
		t.Fatalf("fn context: %v; want context.Canceled", err)
	}
	waitFor(t, "the late value to be freed", func() bool { return frees.Load() == 1 })

	// The key was forgotten: a new call runs fn again.
	v, shared, err := g.Do(context.Background(), "k", func(context.Context) (Shared, error) {
		return newTestValue("fresh", nil), nil
	})
	if err != nil || shared || v.(*testValue).data != "fresh" {
		t.Fatalf("new call: v=%v shared=%v err=%v; want fresh, false, nil", v, shared, err)
	}
	v.Release()
}

func TestGroupErrorsAndPanics(t *testing.T) {
	var g Group
	f := func(name string, fn func(context.Context) (Shared, error), want options.ErrorKind) {
		t.Helper()
		const n = 5
		var wg sync.WaitGroup
		gate := make(chan struct{})
		var joined atomic.Int32
		for range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				joined.Add(1)
				v, _, err := g.Do(context.Background(), name, func(ctx context.Context) (Shared, error) {
					<-gate
					return fn(ctx)
				})
				if v != nil {
					t.Errorf("%s: got value %v with error %v", name, v, err)
				}
				wantKind(t, err, want)
			}()
		}
		waitFor(t, "callers", func() bool { return joined.Load() == n })
		close(gate)
		wg.Wait()
	}
	f("error", func(context.Context) (Shared, error) {
		return nil, options.Errorf(options.KindBrokenImage, "bad")
	}, options.KindBrokenImage)
	f("panic", func(context.Context) (Shared, error) { panic("oops") }, options.KindUnexpected)

	var frees atomic.Int32
	f("value and error", func(context.Context) (Shared, error) {
		return newTestValue("x", func() { frees.Add(1) }), options.Errorf(options.KindCannotSave, "no")
	}, options.KindCannotSave)
	if got := frees.Load(); got != 1 {
		t.Fatalf("value returned with an error freed %d times; want 1", got)
	}
}

// TestGroupAndPoolNoLeak runs the mixed load of loadRun with a long-lived
// pool and checks goroutines return to the baseline and every value was
// freed (loadRun checks the latter).
func TestGroupAndPoolNoLeak(t *testing.T) {
	p := newPool(t, Config{Workers: 2})
	before := runtime.NumGoroutine()
	loadRun(t, p, NewGroup(GroupConfig{}))
	waitFor(t, "goroutines to exit", func() bool { return runtime.NumGoroutine() <= before })
}
