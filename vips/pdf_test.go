package vips

import (
	"bytes"
	"context"
	"image/jpeg"
	"testing"

	"github.com/imgedge/imgedge/options"
	"github.com/imgedge/imgedge/vips/testimage"
)

func TestPDFFirstPage(t *testing.T) {
	src := testimage.PDF(200, 100)
	p := newTestProcessor(t, func(c *Config) { c.EnablePDF = true })
	o := defaultOptions()
	o.Width = 400 // enlarge is ignored for vector sources
	out, res := process(t, p, src, o, nil)
	if res.Format != options.FormatJPEG || res.Passthrough {
		t.Fatalf("got format %v passthrough %v; want jpeg, processed", res.Format, res.Passthrough)
	}
	img, err := jpeg.Decode(bytes.NewReader(out))
	if err != nil {
		t.Fatalf("decode result: %v", err)
	}
	if b := img.Bounds(); b.Dx() != 400 || b.Dy() != 200 {
		t.Fatalf("got %dx%d; want 400x200", b.Dx(), b.Dy())
	}
	// Centre is the rectangle (red), a corner is the page (white).
	r, g, bl, _ := img.At(200, 100).RGBA()
	if r>>8 < 200 || g>>8 > 60 || bl>>8 > 60 {
		t.Fatalf("centre got rgb(%d,%d,%d); want red", r>>8, g>>8, bl>>8)
	}
	r, g, bl, _ = img.At(3, 3).RGBA()
	if r>>8 < 220 || g>>8 < 220 || bl>>8 < 220 {
		t.Fatalf("corner got rgb(%d,%d,%d); want white", r>>8, g>>8, bl>>8)
	}

	// Shrink: 200x100 pt page to width 50.
	o.Width = 50
	out, _ = process(t, p, src, o, nil)
	img, err = jpeg.Decode(bytes.NewReader(out))
	if err != nil {
		t.Fatalf("decode result: %v", err)
	}
	if b := img.Bounds(); b.Dx() != 50 || b.Dy() != 25 {
		t.Fatalf("got %dx%d; want 50x25", b.Dx(), b.Dy())
	}

	// skip_processing cannot name pdf, and a PDF is never passed through.
	o.SkipProcessing = o.SkipProcessing.With(options.FormatPDF)
	_, res = process(t, p, src, o, nil)
	if res.Passthrough || res.Format == options.FormatPDF {
		t.Fatalf("got %v passthrough %v; want a rendered image", res.Format, res.Passthrough)
	}
}

func TestPDFDisabled(t *testing.T) {
	p := newTestProcessor(t, nil)
	o := defaultOptions()
	o.Width = 50
	_, err := processBytes(context.Background(), p, testimage.PDF(200, 100), &o, nil)
	if err == nil || kindOf(err) != options.KindInvalidImage {
		t.Fatalf("got %v; want KindInvalidImage", err)
	}
}

func TestPDFBroken(t *testing.T) {
	p := newTestProcessor(t, func(c *Config) { c.EnablePDF = true })
	o := defaultOptions()
	_, err := processBytes(context.Background(), p, []byte("%PDF-1.4\ngarbage"), &o, nil)
	if err == nil {
		t.Fatal("got nil error for a broken PDF; want an error")
	}
}

func TestPDFPreShrunkToLimit(t *testing.T) {
	// A vector source is rendered below MaxSrcResolution instead of refused.
	p := newTestProcessor(t, func(c *Config) { c.EnablePDF = true })
	o := defaultOptions()
	o.Limits.MaxSrcResolution = 5000 // the 200x100 pt page is 20000 px at 72 dpi
	out, res := process(t, p, testimage.PDF(200, 100), o, nil)
	img, err := jpeg.Decode(bytes.NewReader(out))
	if err != nil {
		t.Fatalf("decode result: %v", err)
	}
	b := img.Bounds()
	if b.Dx()*b.Dy() > 5000 || b.Dx() < 90 || b.Dy() < 45 {
		t.Fatalf("got %dx%d (%v); want about 100x50, at most 5000 px", b.Dx(), b.Dy(), res.Format)
	}
}
