package main

// The raw-libvips ceiling (BENCHMARKS.md): the same resize + encode a
// request does, written straight against libvips with none of imgedge's
// pipeline (no option handling, no HTTP, no metadata or colour logic). The
// -raw mode runs it at the same concurrency as the server to show how close
// the server comes to what libvips alone can do.
//
// It is the bench's own tiny cgo binding, independent of the server's vips
// package; the source buffer is only touched during one cgo call.

/*
#cgo pkg-config: vips
#include <stdlib.h>
#include <vips/vips.h>

// ceiling_op thumbnails buf (shrink-on-load, auto-rotate, never enlarge,
// centre crop when crop != 0; h == 0 means "any height") and saves the
// result as format (1 jpeg, 2 png, 3 webp, 4 avif) with quality q,
// stripping metadata. The encoded bytes are g_malloc'd; the caller
// g_free's them. The libvips error buffer is left for the caller.
static int ceiling_op(const void *buf, size_t len, int w, int h, int crop, int format, int q,
		void **out, size_t *outlen) {
	VipsImage *img;
	int r;
	if (h <= 0)
		h = VIPS_MAX_COORD;
	if (vips_thumbnail_buffer((void *) buf, len, &img, w, "height", h, "size", VIPS_SIZE_DOWN,
			"crop", crop ? VIPS_INTERESTING_CENTRE : VIPS_INTERESTING_NONE, NULL))
		return -1;
	switch (format) {
	case 1:
		r = vips_jpegsave_buffer(img, out, outlen, "Q", q, "optimize_coding", TRUE, "strip", TRUE, NULL);
		break;
	case 2:
		r = vips_pngsave_buffer(img, out, outlen, "compression", 6, "filter", VIPS_FOREIGN_PNG_FILTER_ALL,
			"strip", TRUE, NULL);
		break;
	case 3:
		r = vips_webpsave_buffer(img, out, outlen, "Q", q, "effort", 4, "strip", TRUE, NULL);
		break;
	case 4:
		r = vips_heifsave_buffer(img, out, outlen, "Q", q, "compression", VIPS_FOREIGN_HEIF_COMPRESSION_AV1,
			"effort", 0, "strip", TRUE, NULL);
		break;
	default:
		vips_error("ceiling", "unsupported output format %d", format);
		r = -1;
	}
	g_object_unref(img);
	return r;
}

static const char *ceiling_error(void) { return vips_error_buffer(); }

// ceiling_startup starts libvips the way the server does: no operation
// cache, libvips' own thread pool of one (callers provide parallelism).
// vips_init is a no-op when libvips is already running.
static int ceiling_startup(void) {
	if (VIPS_INIT("imgedge-bench"))
		return -1;
	vips_cache_set_max(0);
	vips_cache_set_max_mem(0);
	vips_cache_set_max_files(0);
	vips_concurrency_set(1);
	return 0;
}
*/
import "C"

import (
	"errors"
	"runtime"
	"strings"
	"unsafe"

	"github.com/imgedge/imgedge/options"
)

// ceilingStartup starts libvips for ceilingOp with the server's settings
// (operation cache off, libvips concurrency 1). Safe to call more than once.
func ceilingStartup() error {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	if C.ceiling_startup() != 0 {
		msg := strings.TrimSpace(C.GoString(C.ceiling_error()))
		C.vips_error_clear()
		return errors.New("ceiling: vips_init: " + msg)
	}
	return nil
}

// ceilingOp decodes src, scales it down to fit width×height (height 0 =
// only the width counts; fill = cover the box and centre-crop, like
// rs:fill with gravity centre) and encodes it as format (JPEG, PNG, WebP or
// AVIF) at quality q (ignored for PNG), with metadata stripped. It never
// enlarges. The encoder settings match imgedge's defaults (JPEG
// optimize_coding, WebP effort 4, AVIF speed 9).
//
// It is for benchmarks only: no limits are checked, so it must not see
// untrusted input. libvips must be started (ceilingStartup). Safe for concurrent
// use; it pins the calling goroutine's OS thread for the duration of the
// call so that libvips errors are read on the thread that set them. out is
// Go memory owned by the caller.
func ceilingOp(src []byte, width, height int, fill bool, format options.Format, quality int) (out []byte, err error) {
	var f C.int
	switch format {
	case options.FormatJPEG:
		f = 1
	case options.FormatPNG:
		f = 2
	case options.FormatWebP:
		f = 3
	case options.FormatAVIF:
		f = 4
	default:
		return nil, options.Errorf(options.KindCannotSave, "ceiling: unsupported output format %q", format)
	}
	if len(src) == 0 {
		return nil, options.Errorf(options.KindInvalidImage, "ceiling: empty source")
	}
	if width <= 0 || height < 0 {
		return nil, options.Errorf(options.KindInvalidURL, "ceiling: bad size %dx%d", width, height)
	}
	crop := C.int(0)
	if fill {
		if height == 0 {
			return nil, options.Errorf(options.KindInvalidURL, "ceiling: fill needs a height")
		}
		crop = 1
	}

	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	var buf unsafe.Pointer
	var n C.size_t
	// src is only read during this call (thumbnail and save both happen
	// inside ceiling_op), as cgo's pointer rules require.
	if C.ceiling_op(unsafe.Pointer(&src[0]), C.size_t(len(src)), C.int(width), C.int(height), crop, f,
		C.int(quality), &buf, &n) != 0 {
		msg := strings.TrimSpace(C.GoString(C.ceiling_error()))
		C.vips_error_clear()
		if msg == "" {
			msg = "unknown libvips error"
		}
		return nil, options.Wrap(options.KindBrokenImage, "ceiling", errors.New(msg))
	}
	out = C.GoBytes(buf, C.int(n))
	C.g_free(C.gpointer(buf))
	return out, nil
}
