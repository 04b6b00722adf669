package workers

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/VictoriaMetrics/metrics"

	"github.com/imgedge/imgedge/options"
)

// keepValue is a testValue with a size and a ttl for the window.
type keepValue struct {
	testValue
	size int64
	ttl  time.Duration
}

func (v *keepValue) Keep() (int64, time.Duration) { return v.size, v.ttl }

func newKeepValue(data string, size int64, ttl time.Duration, freed *atomic.Int64) *keepValue {
	v := &keepValue{testValue: testValue{data: data}, size: size, ttl: ttl}
	v.Init(func() { freed.Add(1) })
	return v
}

// TestGroupWindow: a call just after another finished gets the kept
// result (no second computation), errors are never kept, a result whose
// own ttl is 0 is not kept, and a kept result is released at its expiry
// and never handed out after it.
func TestGroupWindow(t *testing.T) {
	set := metrics.NewSet()
	g := NewGroup(GroupConfig{Window: time.Hour, WindowBytes: 1000, Metrics: Metrics{Set: set}})
	ctx := context.Background()
	var runs, freed atomic.Int64
	compute := func(data string, size int64, ttl time.Duration) func(context.Context) (Shared, error) {
		return func(context.Context) (Shared, error) {
			runs.Add(1)
			return newKeepValue(data, size, ttl, &freed), nil
		}
	}
	v, shared, err := g.Do(ctx, "a", compute("A", 100, time.Hour))
	if err != nil || shared {
		t.Fatalf("first call: %v shared=%v", err, shared)
	}
	v.Release()
	v2, shared, err := g.Do(ctx, "a", compute("A2", 100, time.Hour))
	if err != nil || !shared || v2.(*keepValue).data != "A" {
		t.Fatalf("straggler: %v shared=%v; want the kept result", err, shared)
	}
	v2.Release()
	if runs.Load() != 1 || g.WindowHits() != 1 || freed.Load() != 0 {
		t.Errorf("runs %d, hits %d, freed %d; want 1, 1, 0", runs.Load(), g.WindowHits(), freed.Load())
	}
	var buf bytes.Buffer
	set.WritePrometheus(&buf)
	for _, want := range []string{"coalesce_window_hits_total 1", "coalesce_window_bytes 100"} {
		if !strings.Contains(buf.String(), want+"\n") {
			t.Errorf("metrics lack %q:\n%s", want, buf.String())
		}
	}

	// Errors are not kept: the next call computes again.
	boom := errors.New("boom")
	for range 2 {
		if _, _, err := g.Do(ctx, "e", func(context.Context) (Shared, error) { runs.Add(1); return nil, boom }); !errors.Is(err, boom) {
			t.Fatalf("got %v; want boom", err)
		}
	}
	// A result whose own lifetime is 0 (no-cache) is not kept.
	for range 2 {
		v, _, err := g.Do(ctx, "nc", compute("NC", 10, 0))
		if err != nil {
			t.Fatal(err)
		}
		v.Release()
	}
	if runs.Load() != 5 {
		t.Errorf("runs %d; want 5 (errors and no-cache results computed each time)", runs.Load())
	}

	// A short own ttl bounds the window: the result is released when it
	// expires and the next call computes again.
	v, _, err = g.Do(ctx, "short", compute("S", 10, 30*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	v.Release()
	freedBefore := freed.Load()
	waitFor(t, "the short result to expire", func() bool { return freed.Load() == freedBefore+1 })
	v, shared, err = g.Do(ctx, "short", compute("S2", 10, 0))
	if err != nil || shared || v.(*keepValue).data != "S2" {
		t.Fatalf("after expiry: %v shared=%v data=%q; want a new computation", err, shared, v.(*keepValue).data)
	}
	v.Release()

	g.Purge()
	if g.KeptBytes() != 0 {
		t.Errorf("kept %d bytes after Purge; want 0", g.KeptBytes())
	}
	if _, _, err := g.Do(ctx, "a", compute("A3", 100, time.Hour)); err != nil {
		t.Fatal(err)
	}
}

// TestGroupWindowBytes: the window keeps at most WindowBytes, dropping the
// oldest results; a result larger than the whole window is not kept.
func TestGroupWindowBytes(t *testing.T) {
	g := NewGroup(GroupConfig{Window: time.Hour, WindowBytes: 250})
	ctx := context.Background()
	var freed atomic.Int64
	put := func(key string, size int64) {
		v, _, err := g.Do(ctx, key, func(context.Context) (Shared, error) {
			return newKeepValue(key, size, time.Hour, &freed), nil
		})
		if err != nil {
			t.Fatal(err)
		}
		v.Release()
	}
	put("a", 100)
	put("b", 100)
	put("c", 100) // evicts a
	if g.KeptBytes() != 200 || freed.Load() != 1 {
		t.Errorf("kept %d bytes, freed %d; want 200, 1", g.KeptBytes(), freed.Load())
	}
	put("huge", 251)
	if g.KeptBytes() != 200 || freed.Load() != 2 {
		t.Errorf("after a result over the window: kept %d, freed %d; want 200, 2", g.KeptBytes(), freed.Load())
	}
	hit := func(key string) bool {
		v, shared, err := g.Do(ctx, key, func(context.Context) (Shared, error) {
			return nil, options.Errorf(options.KindUnexpected, "computed")
		})
		if err == nil {
			v.Release()
		}
		return shared && err == nil
	}
	if hit("a") || !hit("b") || !hit("c") {
		t.Errorf("window hits a=%v b=%v c=%v; want false, true, true", hit("a"), hit("b"), hit("c"))
	}
	g.Purge()
	if freed.Load() != 4 {
		t.Errorf("freed %d after Purge; want 4", freed.Load())
	}
}

// TestGroupWindowOff: without a window nothing is kept.
func TestGroupWindowOff(t *testing.T) {
	g := NewGroup(GroupConfig{})
	var freed atomic.Int64
	for range 2 {
		v, shared, err := g.Do(context.Background(), "k", func(context.Context) (Shared, error) {
			return newKeepValue("x", 1, time.Hour, &freed), nil
		})
		if err != nil || shared {
			t.Fatalf("%v shared=%v", err, shared)
		}
		v.Release()
	}
	if freed.Load() != 2 || g.WindowHits() != 0 {
		t.Errorf("freed %d, hits %d; want 2, 0", freed.Load(), g.WindowHits())
	}
}
