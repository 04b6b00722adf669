package vips

import (
	"runtime"
	"testing"
)

// TestMallocSettings: after Startup, a block of a megabyte is mapped on its
// own (so freeing it returns it to the system) even after a larger block
// was freed, which with glibc's defaults raises the mapping threshold above
// it and serves it from the heap instead (ie_malloc_setup).
func TestMallocSettings(t *testing.T) {
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
	// A block is served from an arena's free top instead when other
	// threads of the test binary left one there just now (glibc maps a
	// block only when the top cannot hold it), so the check is tried a
	// few times: the setting is broken only if it never holds.
	var added, removed int64
	for range 5 {
		alloc(2000, 1000).close() // 8 MB freed: glibc would now keep up to 8 MB blocks in its heap
		before := mallocMapped()
		im := alloc(500, 500) // 1 MB
		during := mallocMapped()
		im.close()
		after := mallocMapped()
		added, removed = during-before, during-after
		if added >= 1_000_000 && removed >= 1_000_000 {
			break
		}
		FreeMemory()
	}
	if added < 1_000_000 {
		t.Errorf("a 1 MB image buffer added %d mapped bytes; want it mapped on its own", added)
	}
	if removed < 1_000_000 {
		t.Errorf("freeing it removed %d mapped bytes; want it returned", removed)
	}
	FreeMemory()
}
