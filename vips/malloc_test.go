package vips

import (
	"os"
	"os/exec"
	"runtime"
	"testing"
)

// TestMallocSettings: after Startup, a block of a megabyte is mapped on its
// own (so freeing it returns it to the system) even after a larger block
// was freed, which with glibc's defaults raises the mapping threshold above
// it and serves it from the heap instead (ie_malloc_setup).
//
// glibc serves a block from a free chunk of the thread's arena when one is
// large enough, whatever the mapping threshold, and the other tests of the
// package leave such chunks behind in an order that changes with -shuffle:
// the check runs in a fresh process of the test binary instead.
func TestMallocSettings(t *testing.T) {
	if os.Getenv("IMGEDGE_MALLOC_TEST_CHILD") != "1" {
		cmd := exec.Command(os.Args[0], "-test.run=^TestMallocSettings$", "-test.count=1", "-test.v")
		cmd.Env = append(os.Environ(), "IMGEDGE_MALLOC_TEST_CHILD=1")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("in a fresh process: %v\n%s", err, out)
		}
		return
	}
	newTestProcessor(t, nil) // starts libvips
	if mallocMapped() < 0 {
		t.Skip("the C library does not report mapped blocks")
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	alloc := func(w, h int) *image {
		t.Helper()
		im, err := newBlack(w, h, 4)
		if err != nil {
			t.Fatal(err)
		}
		if err := im.copyMemory(); err != nil {
			t.Fatal(err)
		}
		return im
	}
	alloc(2000, 1000).close() // 8 MB freed: glibc would now keep up to 8 MB blocks in its heap
	before := mallocMapped()
	im := alloc(500, 500) // 1 MB
	during := mallocMapped()
	im.close()
	after := mallocMapped()
	added, removed := during-before, during-after
	if added < 1_000_000 {
		t.Errorf("a 1 MB image buffer added %d mapped bytes; want it mapped on its own", added)
	}
	if removed < 1_000_000 {
		t.Errorf("freeing it removed %d mapped bytes; want it returned", removed)
	}
	FreeMemory()
}
