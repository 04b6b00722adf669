package workers

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/imgedge/imgedge/options"
)

// acquireAsync starts b.Acquire(r, n) on a goroutine and returns its
// result channel; waitFor(Waiting) then tells that it is queued.
func acquireAsync(ctx context.Context, b *Budget, r *Reservation, n int64) <-chan error {
	ch := make(chan error, 1)
	go func() { ch <- b.Acquire(ctx, r, n) }()
	return ch
}

func growAsync(ctx context.Context, r *Reservation, n int64) <-chan error {
	ch := make(chan error, 1)
	go func() { ch <- r.Grow(ctx, n) }()
	return ch
}

func recv(t *testing.T, what string, ch <-chan error) error {
	t.Helper()
	select {
	case err := <-ch:
		return err
	case <-time.After(20 * time.Second):
		t.Fatalf("%s did not return", what)
	}
	return nil
}

func pending(ch <-chan error) bool {
	select {
	case <-ch:
		return false
	default:
		return true
	}
}

func TestBudgetFIFOAndClamp(t *testing.T) {
	b := NewBudget(100)
	ctx := context.Background()
	var a, big, small Reservation
	if err := b.Acquire(ctx, &a, 60); err != nil {
		t.Fatal(err)
	}
	// big (more than the whole budget) waits until it runs alone; small,
	// which would fit beside a, waits behind big: first in, first out.
	bigCh := acquireAsync(ctx, b, &big, 500)
	waitFor(t, "big queued", func() bool { return b.Waiting() == 1 })
	smallCh := acquireAsync(ctx, b, &small, 10)
	waitFor(t, "small queued", func() bool { return b.Waiting() == 2 })
	if b.TryAcquire(new(Reservation), 1) {
		t.Fatal("TryAcquire jumped the queue")
	}
	a.Release()
	if err := recv(t, "big", bigCh); err != nil {
		t.Fatal(err)
	}
	if got := big.Held(); got != 100 {
		t.Errorf("big holds %d; want 100 (clamped to the size)", got)
	}
	if !pending(smallCh) {
		t.Fatal("small ran beside a job holding the whole budget")
	}
	big.Release()
	if err := recv(t, "small", smallCh); err != nil {
		t.Fatal(err)
	}
	small.Release()
	if u := b.Used(); u != 0 {
		t.Errorf("used %d after all releases; want 0", u)
	}
}

func TestBudgetCancelWhileWaiting(t *testing.T) {
	b := NewBudget(10)
	var a, w1, w2 Reservation
	if err := b.Acquire(context.Background(), &a, 10); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	ch1 := acquireAsync(ctx, b, &w1, 5)
	waitFor(t, "w1 queued", func() bool { return b.Waiting() == 1 })
	dctx, dcancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer dcancel()
	ch2 := acquireAsync(dctx, b, &w2, 5)
	wantKind(t, recv(t, "w2", ch2), options.KindTimeout)
	cancel()
	wantKind(t, recv(t, "w1", ch1), options.KindCanceled)
	if w1.Held() != 0 || w2.Held() != 0 || b.Waiting() != 0 {
		t.Errorf("after errors: held %d %d, waiting %d; want 0", w1.Held(), w2.Held(), b.Waiting())
	}
	// A head leaving lets the next waiter in.
	var big, small Reservation
	bctx, bcancel := context.WithCancel(context.Background())
	bigCh := acquireAsync(bctx, b, &big, 10)
	waitFor(t, "big queued", func() bool { return b.Waiting() == 1 })
	a.Release()
	a = Reservation{}
	if err := recv(t, "big", bigCh); err != nil {
		t.Fatal(err)
	}
	bcancel()
	smallCh := acquireAsync(context.Background(), b, &small, 3)
	waitFor(t, "small queued", func() bool { return b.Waiting() == 1 })
	big.Release()
	if err := recv(t, "small", smallCh); err != nil {
		t.Fatal(err)
	}
	small.Release()
}

func TestBudgetGrow(t *testing.T) {
	ctx := context.Background()
	b := NewBudget(100)
	var a, c Reservation
	if err := b.Acquire(ctx, &a, 40); err != nil {
		t.Fatal(err)
	}
	if err := b.Acquire(ctx, &c, 40); err != nil {
		t.Fatal(err)
	}
	// A grower waits ahead of new reservations.
	growCh := growAsync(ctx, &a, 30)
	waitFor(t, "grow queued", func() bool { return b.Waiting() == 1 })
	var n Reservation
	newCh := acquireAsync(ctx, b, &n, 10)
	waitFor(t, "new queued", func() bool { return b.Waiting() == 2 })
	c.Release()
	if err := recv(t, "grow", growCh); err != nil {
		t.Fatal(err)
	}
	if a.Held() != 70 {
		t.Errorf("a holds %d; want 70", a.Held())
	}
	if err := recv(t, "new", newCh); err != nil {
		t.Fatal(err)
	}
	n.Release()
	// Alone, a reservation grows past the size (a source bigger than the
	// whole budget downloads alone).
	if err := a.Grow(ctx, 100); err != nil {
		t.Fatal(err)
	}
	if b.Used() != 170 {
		t.Errorf("used %d; want 170", b.Used())
	}
	a.Release()
	// Grow of an empty reservation is an Acquire.
	var e Reservation
	if err := b.Acquire(ctx, &e, 0); err != nil || e.Held() != 0 {
		t.Fatalf("Acquire 0: %v, held %d", err, e.Held())
	}
	if err := e.Grow(ctx, 20); err != nil || e.Held() != 20 || b.Used() != 20 {
		t.Fatalf("Grow from empty: %v, held %d, used %d", err, e.Held(), b.Used())
	}
	e.Release()
}

// TestBudgetStuckGrowers: when every holder waits to grow, none could ever
// release, so the first one is let through; the others follow as it
// finishes.
func TestBudgetStuckGrowers(t *testing.T) {
	ctx := context.Background()
	b := NewBudget(100)
	var r1, r2 Reservation
	if err := b.Acquire(ctx, &r1, 50); err != nil {
		t.Fatal(err)
	}
	if err := b.Acquire(ctx, &r2, 50); err != nil {
		t.Fatal(err)
	}
	ch1 := growAsync(ctx, &r1, 50)
	waitFor(t, "r1 queued", func() bool { return b.Waiting() == 1 })
	ch2 := growAsync(ctx, &r2, 50)
	if err := recv(t, "r1", ch1); err != nil {
		t.Fatal(err)
	}
	if !pending(ch2) {
		t.Fatal("both growers were let through")
	}
	if b.Used() != 150 {
		t.Errorf("used %d; want 150 (one grower over the size)", b.Used())
	}
	r1.Release()
	if err := recv(t, "r2", ch2); err != nil {
		t.Fatal(err)
	}
	r2.Release()
	if b.Used() != 0 {
		t.Errorf("used %d; want 0", b.Used())
	}
}

// TestBudgetRace hammers a budget from many goroutines (run with -race);
// the budget must never be exceeded without a stuck grower and must end
// empty.
func TestBudgetRace(t *testing.T) {
	b := NewBudget(50)
	var wg sync.WaitGroup
	var mu sync.Mutex
	maxUsed := int64(0)
	for i := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range 200 {
				var r Reservation
				ctx, cancel := context.WithTimeout(context.Background(), time.Duration(j%3)*time.Millisecond+time.Millisecond)
				if err := b.Acquire(ctx, &r, int64(1+(i+j)%20)); err == nil {
					mu.Lock()
					maxUsed = max(maxUsed, b.Used())
					mu.Unlock()
					r.Release()
				}
				cancel()
			}
		}()
	}
	wg.Wait()
	if b.Used() != 0 || b.Waiting() != 0 {
		t.Fatalf("used %d, waiting %d after the storm; want 0", b.Used(), b.Waiting())
	}
	if maxUsed > 50 {
		t.Errorf("used reached %d; want <= 50", maxUsed)
	}
}
