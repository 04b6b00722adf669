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
	alloc(2000, 1000).close() // 8 MB freed: glibc would now keep up to 8 MB blocks in its heap
	before := mallocMapped()
	im := alloc(500, 500) // 1 MB
	during := mallocMapped()
	im.close()
	after := mallocMapped()
	if during-before < 1_000_000 {
		t.Errorf("a 1 MB image buffer added %d mapped bytes; want it mapped on its own", during-before)
	}
	if during-after < 1_000_000 {
		t.Errorf("freeing it removed %d mapped bytes; want it returned", during-after)
	}
	FreeMemory()
}
