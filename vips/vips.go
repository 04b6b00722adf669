// Package vips turns an options.Options into libvips operations: the
// processing pipeline of docs/processing.md, as ordered lists of named
// steps (pipeline.go). It is the only server package that calls libvips
// (cgo); see docs/architecture.md.
//
// libvips is called through small non-variadic C wrappers (cvips.c) and
// the image wrapper files (image*.go, save.go, cancel.go, vips.go), not
// through govips' ImageRef, which keeps the *VipsImage private: with it
// imgedge could not stop a running computation when the request ends (the
// eval handler of cancel.go), hand out the encoder's buffer without
// copying it, or pass the loader options it needs (shrink, scale, n,
// thumbnail, access). govips is used by the tests only, as an independent
// oracle that renders reference images.
package vips

/*
#cgo pkg-config: vips imagequant
#include "cvips.h"
*/
import "C"

import (
	"errors"
	"runtime"
	"sync"
	"unsafe"

	"github.com/imgedge/imgedge/options"
)

var (
	startOnce sync.Once
	startErr  error
	started   bool
)

// Startup initialises libvips once per process: operation cache off,
// libvips' own concurrency 1 (the worker pool provides parallelism), and
// every loader except JPEG, PNG, WebP, GIF, HEIF/AVIF, TIFF, SVG and JPEG XL
// (plus PDF when cfg.EnablePDF) blocked (magick, openslide, fits, matlab, csv, raw, ... never see
// untrusted bytes). Safe to call more than once; later calls return the
// first result. cfg is validated; only cfg.EnablePDF of the first call is
// used here (the rest is NewProcessor's).
func Startup(cfg Config) error {
	if err := cfg.Validate(); err != nil {
		return err
	}
	startOnce.Do(func() {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		if C.ie_startup(1, cbool(cfg.EnablePDF)) != 0 {
			startErr = vipsError("vips_init")
			return
		}
		started = true
		detectSavers()
		canLoad[options.FormatPDF] = canLoad[options.FormatPDF] && cfg.EnablePDF
	})
	return startErr
}

// Shutdown releases libvips' global state. Call once at process exit after
// every Processor is closed; libvips cannot be restarted afterwards.
func Shutdown() {
	if started {
		C.vips_shutdown()
		started = false
	}
}

// ThreadShutdown frees libvips' per-thread buffers. A worker calls it on its
// locked OS thread before unlocking it.
func ThreadShutdown() { C.vips_thread_shutdown() }

// Health reports whether libvips is up (for /health). It creates and frees
// a tiny image, so it is cheap and safe from any goroutine.
func Health() error {
	if !started {
		return errors.New("vips: not started")
	}
	var out *C.VipsImage
	if C.ie_black(&out, 2, 2, 3) != 0 {
		return vipsError("health")
	}
	var avg C.double
	rc := C.ie_avg(out, &avg)
	C.ie_unref(out)
	if rc != 0 {
		return vipsError("health")
	}
	return nil
}

// MemStats returns libvips' tracked memory: current bytes, high-water mark
// and the number of live allocations.
func MemStats() (mem, highwater, allocs int64) {
	return int64(C.vips_tracked_get_mem()), int64(C.vips_tracked_get_mem_highwater()), int64(C.vips_tracked_get_allocs())
}

// vipsError turns the libvips error buffer into a Go error and clears it.
// The caller must be on the OS thread that saw the failure (Process locks it).
func vipsError(op string) error {
	msg := C.GoString(C.ie_error())
	C.vips_error_clear()
	if msg == "" {
		msg = "unknown libvips error"
	}
	return errors.New(op + ": " + trimNL(msg))
}

// clearError empties the libvips error buffer of this thread (after a
// failure that is handled, not reported).
func clearError() { C.vips_error_clear() }

func trimNL(s string) string {
	for len(s) > 0 && (s[len(s)-1] == '\n' || s[len(s)-1] == ' ') {
		s = s[:len(s)-1]
	}
	return s
}

// canSave[f] is true when this libvips can encode f (decided at Startup by
// encoding a tiny image, since e.g. heifsave exists without an HEVC encoder).
var canSave [options.NumFormats]bool

// canLoad[f] is true when this libvips (or our Go decoder) can decode f.
var canLoad [options.NumFormats]bool

// loadAny decodes buf with whatever libvips loader claims it (not used by
// the pipeline, which always names its loader; the tests use it to check
// that Startup's loader blocking holds).
func loadAny(buf []byte) error {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	if len(buf) == 0 {
		return errors.New("empty buffer")
	}
	if C.ie_load_any(unsafe.Pointer(&buf[0]), C.size_t(len(buf))) != 0 {
		return vipsError("load")
	}
	return nil
}

// liveObjects counts live libvips objects (images and operations); the
// leak test uses it to catch leaked references that hold no pixels.
func liveObjects() int { return int(C.ie_live_objects()) }
