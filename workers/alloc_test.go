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
