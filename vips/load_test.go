package vips

import (
	"bytes"
	"context"
	"encoding/binary"
	goimage "image"
	"runtime"
	"testing"

	"golang.org/x/image/tiff"

	"github.com/imgedge/imgedge/options"
	"github.com/imgedge/imgedge/vips/imagemeta"
)

// TestLoadHeaderRechecksLimits: the resolution limits are checked again on
// the size libvips reads, whatever the probe said.
func TestLoadHeaderRechecksLimits(t *testing.T) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	p := newTestProcessor(t, nil)
	src := sourceSized(t, options.FormatPNG, 300, 200, false)
	f := func(limit int64, tooBig bool) {
		t.Helper()
		o := defaultOptions()
		o.Limits.MaxSrcResolution = limit
		// A probe that read the header as 10x10.
		lied := imagemeta.Meta{Format: options.FormatPNG, Width: 10, Height: 10, Frames: 1}
		st := &state{p: p, ctx: context.Background(), o: &o, src: src, meta: lied, frames: 1}
		defer func() { st.im.close() }()
		err := st.loadHeader()
		if tooBig && kindOf(err) != options.KindSourceTooBig || !tooBig && err != nil {
			t.Fatalf("limit %d: got %v; want KindSourceTooBig %v", limit, err, tooBig)
		}
		if st.rawW != 300 || st.rawH != 200 {
			t.Fatalf("limit %d: libvips size %dx%d; want 300x200", limit, st.rawW, st.rawH)
		}
	}
	f(60000, false)
	f(59999, true)
}

// tiffWithDuplicateSize encodes a w×h grey TIFF and adds a second
// ImageWidth and ImageLength entry (fakeW×fakeH) after the real ones.
// libtiff keeps the first of duplicated tags and the pure-Go probe the
// last, so the two disagree about the size: a real file of the kind the
// second check exists for.
func tiffWithDuplicateSize(t *testing.T, w, h, fakeW, fakeH int) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := tiff.Encode(&b, goimage.NewGray(goimage.Rect(0, 0, w, h)), &tiff.Options{Compression: tiff.Deflate}); err != nil {
		t.Fatal(err)
	}
	d := b.Bytes()
	le := binary.LittleEndian
	if string(d[:4]) != "II*\x00" {
		t.Fatalf("unexpected TIFF header %q", d[:4])
	}
	off := le.Uint32(d[4:])
	n := int(le.Uint16(d[off:]))
	var entries []byte
	for i := range n {
		e := d[int(off)+2+12*i : int(off)+2+12*i+12]
		entries = append(entries, e...)
		if tag := le.Uint16(e); tag == 256 || tag == 257 {
			v := fakeW
			if tag == 257 {
				v = fakeH
			}
			dup := make([]byte, 12)
			le.PutUint16(dup, tag)
			le.PutUint16(dup[2:], 4) // LONG
			le.PutUint32(dup[4:], 1)
			le.PutUint32(dup[8:], uint32(v))
			entries = append(entries, dup...)
		}
	}
	if len(d)%2 == 1 {
		d = append(d, 0)
	}
	le.PutUint32(d[4:], uint32(len(d))) // IFD0 is now the rewritten copy at the end
	d = le.AppendUint16(d, uint16(len(entries)/12))
	d = append(d, entries...)
	return le.AppendUint32(d, 0)
}

// TestProbeAndLibvipsDisagree runs a file whose size the probe reads as
// 10x10 while libvips decodes 1200x1000: over a 1 MP limit it is refused
// (before the second check it was decoded in full).
func TestProbeAndLibvipsDisagree(t *testing.T) {
	p := newTestProcessor(t, nil)
	src := tiffWithDuplicateSize(t, 1200, 1000, 10, 10)
	if m, err := imagemeta.Probe(src); err != nil || m.Width*m.Height >= 1_000_000 {
		t.Logf("the probe now reads %dx%d (%v): this file no longer needs the second check", m.Width, m.Height, err)
	}
	o := defaultOptions()
	o.Width = 50
	o.Limits.MaxSrcResolution = 1_000_000
	out, err := processBytes(context.Background(), p, src, &o, nil)
	out.Release()
	if kindOf(err) != options.KindSourceTooBig {
		t.Fatalf("got %v; want KindSourceTooBig", err)
	}
	o.Limits.MaxSrcResolution = 1_200_000
	res, err := processBytes(context.Background(), p, src, &o, nil)
	if err != nil || res.Meta.SrcWidth != 10 || res.Meta.Width != 50 {
		t.Fatalf("within the limit: got %+v, %v; want a 50 px wide result", res.Meta, err)
	}
	res.Release()
}
