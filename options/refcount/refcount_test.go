package refcount

import (
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

func TestCountFreesOnceAfterConcurrentHolders(t *testing.T) {
	var frees atomic.Int32
	var c Count
	c.Init(func() { frees.Add(1) })
	const holders = 50
	var wg sync.WaitGroup
	for range holders {
		c.Retain()
		wg.Add(1)
		go func() {
			defer wg.Done()
			c.Release()
		}()
	}
	wg.Wait()
	if got := c.Refs(); got != 1 {
		t.Fatalf("Refs() after %d retain/release pairs = %d; want 1", holders, got)
	}
	if got := frees.Load(); got != 0 {
		t.Fatalf("freed %d times while the first reference is held; want 0", got)
	}
	c.Release()
	if got := frees.Load(); got != 1 {
		t.Fatalf("freed %d times after the last release; want 1", got)
	}
	// A pooled value is initialised again for its next life.
	c.Init(func() { frees.Add(10) })
	c.Release()
	if got := frees.Load(); got != 11 {
		t.Fatalf("frees after a second life = %d; want 11", got)
	}
}

func TestCountMisuse(t *testing.T) {
	f := func(name string, misuse func(c *Count)) {
		t.Helper()
		var c Count
		c.Init(nil)
		c.Release()
		defer func() {
			if p := recover(); p == nil || !strings.HasPrefix(fmt.Sprint(p), "BUG:") {
				t.Fatalf("%s after the last release: recovered %v; want a BUG panic", name, p)
			}
			if got := c.Refs(); got != 0 {
				t.Fatalf("Refs() after a refused %s = %d; want 0", name, got)
			}
		}()
		misuse(&c)
	}
	f("Retain", (*Count).Retain)
	f("Release", (*Count).Release)
}
