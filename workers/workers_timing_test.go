package workers

import (
	"context"
	"strconv"
	"sync"
	"testing"
)

// BenchmarkBaselineGoroutine is the baseline for BenchmarkPoolDo: handing a
// function to a fresh goroutine and waiting for it.
func BenchmarkBaselineGoroutine(b *testing.B) {
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			var wg sync.WaitGroup
			wg.Add(1)
			go func() { wg.Done() }()
			wg.Wait()
		}
	})
}

// BenchmarkPoolDo measures the pool's overhead per job (hand-off to a
// pinned worker and back) with an empty job.
func BenchmarkPoolDo(b *testing.B) {
	for _, workers := range []int{1, 4} {
		b.Run("workers="+strconv.Itoa(workers), func(b *testing.B) {
			p, err := New(Config{Workers: workers, QueueSize: 1 << 20})
			if err != nil {
				b.Fatal(err)
			}
			defer p.Close(context.Background())
			ctx := context.Background()
			fn := func() {}
			b.ReportAllocs()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if err := p.Do(ctx, fn); err != nil {
						b.Fatal(err)
					}
				}
			})
		})
	}
}

// BenchmarkPoolDoDeadline is BenchmarkPoolDo with a context that has a
// deadline (the edge case: every request has IMGPROXY_TIMEOUT).
func BenchmarkPoolDoDeadline(b *testing.B) {
	p, err := New(Config{Workers: 2})
	if err != nil {
		b.Fatal(err)
	}
	defer p.Close(context.Background())
	ctx, cancel := context.WithTimeout(context.Background(), 1<<40)
	defer cancel()
	fn := func() {}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := p.Do(ctx, fn); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkGroupDoUnique is the cost of Group.Do when nothing coalesces
// (every key distinct): the common case a server pays on every request.
func BenchmarkGroupDoUnique(b *testing.B) {
	g := NewGroup(GroupConfig{})
	ctx := context.Background()
	fn := func(context.Context) (Shared, error) {
		return newTestValue("x", nil), nil
	}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		r, _, err := g.Do(ctx, strconv.Itoa(i), fn)
		if err != nil {
			b.Fatal(err)
		}
		r.Release()
	}
}

// BenchmarkGroupDoShared is the cost per caller when callers of the same
// key overlap.
func BenchmarkGroupDoShared(b *testing.B) {
	g := NewGroup(GroupConfig{})
	ctx := context.Background()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			r, _, err := g.Do(ctx, "same", func(context.Context) (Shared, error) {
				return newTestValue("x", nil), nil
			})
			if err != nil {
				b.Fatal(err)
			}
			r.Release()
		}
	})
}
