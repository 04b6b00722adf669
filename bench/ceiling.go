package main

// The ceiling (BENCHMARKS.md): the fastest correct libvips pipeline for the
// pixels imgedge returns, run in-process with none of imgedge's machinery
// (no HTTP, no option parsing, no probe, no metadata or colour handling).
// For one request it does only what the output needs:
//
//  1. one load, already shrunk by the decoder (JPEG shrink 8/4/2, WebP
//     scale 1/n), sequential access; the source size is known in advance
//     (the corpus is probed once at start-up), so no separate header read;
//  2. for an alpha source and an output without alpha: flatten onto white
//     first (8-bit), otherwise a premultiplied resize;
//  3. lanczos3 resize to the planned size, fixed to the exact size;
//  4. the centre crop of fill;
//  5. save with imgedge's default encoder settings, metadata stripped.
//
// The plan (shrink factor, sizes, crop) follows the rules of
// docs/processing.md for fit and fill with centre gravity; bench_test.go
// checks that the pixels equal imgedge's for every operation of the
// workloads. The ratio server/ceiling is then the distance of imgedge to
// the physical limit of libvips on this machine.
//
// It is the bench's own tiny cgo binding, independent of the server's vips
// package; the source buffer is only touched during one cgo call.

/*
#cgo pkg-config: vips
#include <stdlib.h>
#include <vips/vips.h>

typedef struct {
	int loader;             // 1 jpeg, 2 png, 3 webp
	int shrink;             // JPEG shrink-on-load
	double scale;           // WebP scale-on-load
	int orientation;        // EXIF orientation 1..8 applied after the resize
	int flatten;            // alpha onto white before resizing
	int rw, rh;             // resize to, in the loaded orientation
	int ox, oy, ow, oh;     // result crop, after orientation (ow == 0: none)
	int format;             // 1 jpeg, 2 png, 3 webp, 4 avif
	int q;
} CeilingPlan;

// ceiling_op runs the plan on buf. The encoded bytes are g_malloc'd; the
// caller g_free's them. The libvips error buffer is left for the caller.
static int ceiling_op(const void *buf, size_t len, const CeilingPlan *p, void **out, size_t *outlen) {
	VipsImage *base = vips_image_new();
	VipsImage **t = (VipsImage **) vips_object_local_array(VIPS_OBJECT(base), 10);
	VipsImage *in;
	int alpha, r = -1;
	double white[1] = {255};
	VipsArrayDouble *bg = NULL;

	switch (p->loader) {
	case 1:
		r = vips_jpegload_buffer((void *) buf, len, &t[0], "access", VIPS_ACCESS_SEQUENTIAL,
			"shrink", p->shrink, NULL);
		break;
	case 2:
		r = vips_pngload_buffer((void *) buf, len, &t[0], "access", VIPS_ACCESS_SEQUENTIAL, NULL);
		break;
	case 3:
		r = vips_webpload_buffer((void *) buf, len, &t[0], "access", VIPS_ACCESS_SEQUENTIAL,
			"scale", p->scale, NULL);
		break;
	default:
		vips_error("ceiling", "unsupported loader %d", p->loader);
	}
	if (r)
		goto done;
	in = t[0];
	r = -1;
	alpha = vips_image_hasalpha(in);
	if (alpha && p->flatten) {
		bg = vips_array_double_new(white, 1);
		if (vips_flatten(in, &t[1], "background", bg, NULL))
			goto done;
		in = t[1];
		alpha = 0;
	}
	if (in->Xsize != p->rw || in->Ysize != p->rh) {
		double h = (double) p->rw / in->Xsize, v = (double) p->rh / in->Ysize;
		if (alpha) {
			if (vips_premultiply(in, &t[2], NULL) ||
				vips_resize(t[2], &t[3], h, "vscale", v, "kernel", VIPS_KERNEL_LANCZOS3, NULL) ||
				vips_unpremultiply(t[3], &t[4], NULL) ||
				vips_cast(t[4], &t[5], VIPS_FORMAT_UCHAR, NULL))
				goto done;
			in = t[5];
		}
		else {
			if (vips_resize(in, &t[3], h, "vscale", v, "kernel", VIPS_KERNEL_LANCZOS3, NULL))
				goto done;
			in = t[3];
		}
		// vips_resize may round a side one pixel off: copy the edge or cut.
		if (in->Xsize != p->rw || in->Ysize != p->rh) {
			if (vips_embed(in, &t[6], 0, 0, VIPS_MAX(in->Xsize, p->rw), VIPS_MAX(in->Ysize, p->rh),
					"extend", VIPS_EXTEND_COPY, NULL) ||
				vips_extract_area(t[6], &t[7], 0, 0, p->rw, p->rh, NULL))
				goto done;
			in = t[7];
		}
	}
	if (p->orientation > 1) {
		if (vips_autorot(in, &t[8], NULL))
			goto done;
		in = t[8];
	}
	if (p->ow > 0 && (p->ow != in->Xsize || p->oh != in->Ysize)) {
		if (vips_extract_area(in, &t[9], p->ox, p->oy, p->ow, p->oh, NULL))
			goto done;
		in = t[9];
	}
	switch (p->format) {
	case 1:
		r = vips_jpegsave_buffer(in, out, outlen, "Q", p->q, "optimize_coding", TRUE, "strip", TRUE, NULL);
		break;
	case 2:
		r = vips_pngsave_buffer(in, out, outlen, "compression", 6, "filter", VIPS_FOREIGN_PNG_FILTER_ALL,
			"strip", TRUE, NULL);
		break;
	case 3:
		r = vips_webpsave_buffer(in, out, outlen, "Q", p->q, "effort", 4, "strip", TRUE, NULL);
		break;
	case 4:
		r = vips_heifsave_buffer(in, out, outlen, "Q", p->q, "compression", VIPS_FOREIGN_HEIF_COMPRESSION_AV1,
			"effort", 1, "strip", TRUE, NULL);
		break;
	default:
		vips_error("ceiling", "unsupported output format %d", p->format);
	}
done:
	if (bg)
		vips_area_unref(VIPS_AREA(bg));
	g_object_unref(base);
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
	"math"
	"runtime"
	"strings"
	"unsafe"

	"github.com/imgedge/imgedge/options"
)

// ceilingName is how reports name the ceiling.
const ceilingName = "minimal libvips pipeline: one shrink-on-load decode (size known in advance), flatten, lanczos3 resize, crop, save; same pixels as imgedge"

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

// ceilingPlan is what the minimal pipeline does for one request, planned
// from the source's header before anything is decoded.
type ceilingPlan struct {
	Shrink      int     // JPEG shrink-on-load (1, 2, 4, 8)
	Scale       float64 // WebP scale-on-load (1 = none)
	Flatten     bool    // alpha onto white before resizing
	ResizeW     int     // size after the resize, in the stored orientation
	ResizeH     int
	CropX       int // result crop (fill), after orientation; CropW 0 = none
	CropY       int
	CropW       int
	CropH       int
	Orientation int
}

// planCeiling plans o on a w×h source (stored orientation, EXIF
// orientation orient, alpha when hasAlpha) of format f, with the rules of
// docs/processing.md for fit (height 0) and fill with centre gravity,
// never enlarging: the scale, the decoder's share of it, the exact
// resized size and the result crop.
func planCeiling(f options.Format, w, h, orient int, hasAlpha bool, o op) ceilingPlan {
	p := ceilingPlan{Shrink: 1, Scale: 1, Orientation: orient}
	ow, oh := w, h // oriented
	swaps := orient >= 5 && orient <= 8
	if swaps {
		ow, oh = h, w
	}
	tw, th := o.Width, o.Height
	// Source pixels per result pixel: fit keeps the whole image inside the
	// box, fill covers it; never below 1 (no enlarging).
	ws := float64(ow) / float64(tw)
	if th > 0 {
		hs := float64(oh) / float64(th)
		if o.Fill {
			ws = math.Min(ws, hs)
		} else {
			ws = math.Max(ws, hs)
		}
	}
	ws = math.Max(1, ws)
	sw := max(1, int(math.Round(float64(ow)*(1/ws))))
	sh := max(1, int(math.Round(float64(oh)*(1/ws))))
	if o.Fill {
		cw, ch := min(tw, sw), min(th, sh)
		if cw != sw || ch != sh {
			p.CropX, p.CropY, p.CropW, p.CropH = (sw-cw+1)/2, (sh-ch+1)/2, cw, ch
		}
	}
	p.ResizeW, p.ResizeH = sw, sh
	if swaps {
		p.ResizeW, p.ResizeH = sh, sw
	}
	p.Flatten = hasAlpha && !formatHasAlpha(o.Format)
	// The decoder may shrink by no more than the resize needs.
	need := math.Max(float64(sw)/float64(ow), float64(sh)/float64(oh))
	if need < 1 {
		shrink := 1 / need
		switch f {
		case options.FormatJPEG:
			for _, s := range []int{8, 4, 2} {
				if shrink >= float64(s) {
					p.Shrink = s
					break
				}
			}
		case options.FormatWebP:
			if s := int(shrink); s >= 2 {
				p.Scale = 1 / float64(s)
			}
		}
	}
	return p
}

// formatHasAlpha reports whether the output format keeps transparency.
func formatHasAlpha(f options.Format) bool {
	return f == options.FormatPNG || f == options.FormatWebP || f == options.FormatAVIF
}

// ceilingOp encodes the request o on src (a w×h image of format f, EXIF
// orientation orient, alpha when hasAlpha) with the minimal pipeline at
// quality q and imgedge's default encoder settings (JPEG optimize_coding,
// PNG compression 6 with all filters, WebP effort 4, AVIF speed 8),
// metadata stripped.
//
// It is for benchmarks only: no limits are checked, so it must not see
// untrusted input. libvips must be started (ceilingStartup). Safe for
// concurrent use; it pins the calling goroutine's OS thread for the
// duration of the call so that libvips errors are read on the thread that
// set them. out is Go memory owned by the caller.
func ceilingOp(src []byte, f options.Format, w, h, orient int, hasAlpha bool, o op) (out []byte, err error) {
	var cp C.CeilingPlan
	switch f {
	case options.FormatJPEG:
		cp.loader = 1
	case options.FormatPNG:
		cp.loader = 2
	case options.FormatWebP:
		cp.loader = 3
	default:
		return nil, options.Errorf(options.KindUnsupportedFormat, "ceiling: unsupported source format %q", f)
	}
	switch o.Format {
	case options.FormatJPEG:
		cp.format = 1
	case options.FormatPNG:
		cp.format = 2
	case options.FormatWebP:
		cp.format = 3
	case options.FormatAVIF:
		cp.format = 4
	default:
		return nil, options.Errorf(options.KindCannotSave, "ceiling: unsupported output format %q", o.Format)
	}
	if len(src) == 0 {
		return nil, options.Errorf(options.KindInvalidImage, "ceiling: empty source")
	}
	if o.Width <= 0 || o.Height < 0 || w <= 0 || h <= 0 {
		return nil, options.Errorf(options.KindInvalidURL, "ceiling: bad size %dx%d of %dx%d", o.Width, o.Height, w, h)
	}
	if o.Fill && o.Height == 0 {
		return nil, options.Errorf(options.KindInvalidURL, "ceiling: fill needs a height")
	}
	p := planCeiling(f, w, h, orient, hasAlpha, o)
	cp.shrink, cp.scale, cp.orientation = C.int(p.Shrink), C.double(p.Scale), C.int(p.Orientation)
	if p.Flatten {
		cp.flatten = 1
	}
	cp.rw, cp.rh = C.int(p.ResizeW), C.int(p.ResizeH)
	cp.ox, cp.oy, cp.ow, cp.oh = C.int(p.CropX), C.int(p.CropY), C.int(p.CropW), C.int(p.CropH)
	cp.q = C.int(o.quality())

	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	var buf unsafe.Pointer
	var n C.size_t
	// src is only read during this call (load and save both happen inside
	// ceiling_op), as cgo's pointer rules require.
	if C.ceiling_op(unsafe.Pointer(&src[0]), C.size_t(len(src)), &cp, &buf, &n) != 0 {
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
