//go:build !race

// The race detector makes sync.Pool drop objects at random, so allocation
// counts are only pinned without it.

package workers

import (
	"context"
	"testing"
)

// TestDoDoesNotAllocate pins the hot path: a Do call that goes through
// (fast or queued) allocates nothing.
func TestDoDoesNotAllocate(t *testing.T) {
	p := newPool(t, Config{Workers: 2, QueueSize: 8})
	ctx := context.Background()
	fn := func() {}
	if n := testing.AllocsPerRun(1000, func() {
		if err := p.Do(ctx, fn); err != nil {
			t.Fatal(err)
		}
	}); n != 0 {
		t.Fatalf("Do allocates %v times per call; want 0", n)
	}
}

// TestStagesDoNotAllocate pins the two stages' hot paths: a download that
// takes a slot, grows its reservation and releases it, and a job admitted
// against the memory budget, allocate nothing.
func TestStagesDoNotAllocate(t *testing.T) {
	p := newPool(t, Config{Workers: 2, QueueSize: 8, Memory: 1 << 20})
	d, err := NewDownloads(DownloadsConfig{Slots: 4, Memory: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	fn := func() {}
	var tk Ticket
	if n := testing.AllocsPerRun(1000, func() {
		if err := d.Enter(ctx, &tk); err != nil {
			t.Fatal(err)
		}
		if err := tk.Grow(ctx, 1000); err != nil {
			t.Fatal(err)
		}
		tk.Leave()
		if err := p.DoSized(ctx, 5000, fn); err != nil {
			t.Fatal(err)
		}
		tk.Release()
	}); n != 0 {
		t.Fatalf("a download and a sized job allocate %v times; want 0", n)
	}
}
