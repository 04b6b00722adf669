package vips

import (
	"bytes"
	"context"
	"runtime"
	"testing"

	"github.com/imgedge/imgedge/options"
	"github.com/imgedge/imgedge/vips/imagemeta"
)

// TestLoadShrunk: a JPEG or WebP that the decoder shrinks is opened once,
// already shrunk, when libvips reads the header as the probe did; when the
// two disagree (size or orientation), or the limit check on libvips'
// possible size is borderline, it is opened the ordinary way and planned
// on libvips' header. Either way the result is byte for byte the same.
func TestLoadShrunk(t *testing.T) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	p := newTestProcessor(t, nil)
	for _, f := range []options.Format{options.FormatJPEG, options.FormatWebP} {
		src := sourceSized(t, f, 1600, 1000, false)
		meta, err := imagemeta.Probe(src)
		if err != nil {
			t.Fatal(err)
		}
		o := defaultOptions()
		o.ResizingType, o.Width, o.Height = options.ResizeFill, 200, 120
		run := func(m imagemeta.Meta, limit int64, wantOnce bool) []byte {
			t.Helper()
			oo := o
			if limit > 0 {
				oo.Limits.MaxSrcResolution = limit
			}
			st := &state{p: p, ctx: context.Background(), o: &oo, src: src, meta: m}
			out, err := st.run(nil, options.ResultMeta{})
			st.im.close()
			if err != nil {
				t.Fatalf("%v %+v: %v", f, m, err)
			}
			defer out.Release()
			if once := st.shrunk != nil; once != wantOnce {
				t.Fatalf("%v %+v limit %d: loaded once %v; want %v", f, m, limit, once, wantOnce)
			}
			if st.rawW != 1600 || st.rawH != 1000 || out.Meta.Width != 200 || out.Meta.Height != 120 {
				t.Fatalf("%v %+v: source %dx%d, result %dx%d; want 1600x1000, 200x120", f, m, st.rawW, st.rawH, out.Meta.Width, out.Meta.Height)
			}
			return append([]byte(nil), out.Data...)
		}
		once := run(meta, 0, true)
		wider := meta
		wider.Width += 16 // libvips reads 1600: another shrunk size
		if got := run(wider, 0, false); !bytes.Equal(got, once) {
			t.Fatalf("%v: the result of the ordinary load differs from the single load", f)
		}
		turned := meta
		turned.Orientation = 6 // libvips reads no orientation
		run(turned, 0, false)
		// At the limit exactly the probe's size passes, but libvips' size
		// is only known within the shrink factor: the ordinary load decides.
		if got := run(meta, 1600*1000, false); !bytes.Equal(got, once) {
			t.Fatalf("%v: the result at the limit differs", f)
		}
	}
}

// TestLoadShrunkNotUsed: sources the decoder does not shrink, animations,
// trim and a disabled shrink-on-load take the ordinary path.
func TestLoadShrunkNotUsed(t *testing.T) {
	p := newTestProcessor(t, nil)
	noShrink := newTestProcessor(t, func(c *Config) { c.DisableShrinkOnLoad = true })
	jpeg := sourceSized(t, options.FormatJPEG, 400, 300, false)
	f := func(p *Processor, src []byte, mod func(o *options.Options)) {
		t.Helper()
		meta, err := imagemeta.Probe(src)
		if err != nil {
			t.Fatal(err)
		}
		o := defaultOptions()
		o.Width = 100
		if mod != nil {
			mod(&o)
		}
		st := &state{p: p, ctx: context.Background(), o: &o, src: src, meta: meta, frames: 1}
		if _, ok := st.plannedLoad(); ok {
			t.Fatalf("%v %+v: planned a single load", meta.Format, o)
		}
	}
	f(p, sourceSized(t, options.FormatPNG, 400, 300, false), nil)
	f(p, jpeg, func(o *options.Options) { o.Width = 300 }) // needs less than a 2x shrink
	f(p, jpeg, func(o *options.Options) { o.Trim = options.Trim{Enabled: true, Threshold: 10} })
	f(noShrink, jpeg, nil)
}
