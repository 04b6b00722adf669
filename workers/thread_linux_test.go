package workers

import (
	"context"
	"runtime"
	"syscall"
	"testing"
)

// TestWorkerKeepsItsThread checks that a worker's jobs all run on one OS
// thread, before and after a panic, and that ThreadExit runs on it too:
// libvips keeps per-thread state that must be freed on the same thread.
func TestWorkerKeepsItsThread(t *testing.T) {
	exitTID := make(chan int, 1)
	p, err := New(Config{Workers: 1, ThreadExit: func() { exitTID <- syscall.Gettid() }})
	if err != nil {
		t.Fatal(err)
	}
	tid := func() int {
		var id int
		if err := p.Do(context.Background(), func() {
			runtime.Gosched()
			id = syscall.Gettid()
		}); err != nil {
			t.Fatalf("Do: %v", err)
		}
		return id
	}
	first := tid()
	for range 50 {
		if got := tid(); got != first {
			t.Fatalf("job ran on thread %d; want %d", got, first)
		}
	}
	_ = p.Do(context.Background(), func() { panic("x") })
	if got := tid(); got != first {
		t.Fatalf("after a panic job ran on thread %d; want %d", got, first)
	}
	if err := p.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := <-exitTID; got != first {
		t.Fatalf("ThreadExit ran on thread %d; want %d", got, first)
	}
}
