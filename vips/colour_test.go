package vips

import (
	"strings"
	"testing"

	gv "github.com/davidbyttow/govips/v2/vips"

	"github.com/imgedge/imgedge/options"
)

func exportJPEGKeep(t *testing.T, im *gv.ImageRef) []byte {
	t.Helper()
	p := gv.NewJpegExportParams()
	p.Quality, p.StripMetadata = 95, false
	b, _, err := im.ExportJpeg(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestAutoRotate(t *testing.T) {
	p := newTestProcessor(t, nil)
	for orient := 1; orient <= 8; orient++ {
		im := gvLoad(t, pngBytes(t, testPattern(160, 120, false)))
		must(t, im.SetOrientation(orient))
		src := exportJPEGKeep(t, im)
		im.Close()

		o := defaultOptions()
		o.Width = 60
		out, res := process(t, p, src, o, nil)
		ref := gvLoad(t, src)
		must(t, ref.AutoRotate())
		must(t, ref.Resize(60/float64(ref.Width()), gv.KernelLanczos3))
		refPix, rw, rh := refPixels(t, ref)
		ref.Close()
		pix, w, h := pixels(t, out)
		if w != rw || h != rh || res.Width != w {
			t.Fatalf("orientation %d: got %dx%d; want %dx%d", orient, w, h, rw, rh)
		}
		if d := meanDiff(pix, refPix); d > 4 {
			t.Fatalf("orientation %d: mean difference %.2f; want <= 4", orient, d)
		}
		got := gvLoad(t, out)
		if o := got.Orientation(); o > 1 {
			t.Fatalf("orientation %d: output still has orientation %d", orient, o)
		}
		got.Close()

		o.AutoRotate = false
		_, res = process(t, p, src, o, nil)
		if res.Width != 60 || res.Height != 45 {
			t.Fatalf("orientation %d without auto_rotate: got %dx%d; want 60x45", orient, res.Width, res.Height)
		}
	}
}

func TestMetadata(t *testing.T) {
	p := newTestProcessor(t, nil)
	im := gvLoad(t, pngBytes(t, testPattern(64, 48, false)))
	im.SetString("exif-ifd0-Copyright", "ACME Corp")
	im.SetString("exif-ifd0-Artist", "Jane")
	im.SetString("exif-ifd0-Make", "CameraMaker")
	src := exportJPEGKeep(t, im)
	im.Close()
	check := func(name string, mod func(o *options.Options), wantCopyright, wantMake bool) {
		t.Helper()
		o := defaultOptions()
		o.Format = options.FormatJPEG
		mod(&o)
		out, _ := process(t, p, src, o, nil)
		got := gvLoad(t, out)
		defer got.Close()
		hasC := strings.Contains(got.GetString("exif-ifd0-Copyright"), "ACME")
		hasM := strings.Contains(got.GetString("exif-ifd0-Make"), "CameraMaker")
		if hasC != wantCopyright || hasM != wantMake {
			t.Errorf("%s: got copyright=%v make=%v; want %v %v", name, hasC, hasM, wantCopyright, wantMake)
		}
	}
	check("strip, keep copyright", func(o *options.Options) {}, true, false)
	check("strip all", func(o *options.Options) { o.KeepCopyright = false }, false, false)
	check("keep all", func(o *options.Options) { o.StripMetadata = false }, true, true)

	iptc := []byte{0x1c, 2, 80, 0, 3, 'B', 'o', 'b', 0x1c, 2, 25, 0, 2, 'k', 'w', 0x1c, 2, 116, 0, 1, 'C'}
	if got := filterIPTC(iptc); string(got) != string(append(iptc[:8:8], iptc[15:]...)) {
		t.Errorf("filterIPTC: got %v", got)
	}
}

func TestColour(t *testing.T) {
	p := newTestProcessor(t, nil)
	base := pngBytes(t, testPattern(64, 48, false))
	refPix, _, _ := pixels(t, base)

	t.Run("icc-p3", func(t *testing.T) {
		im := gvLoad(t, base)
		must(t, im.TransformICCProfile("p3"))
		src := exportJPEGKeep(t, im)
		im.Close()
		o := defaultOptions()
		out, _ := process(t, p, src, o, nil)
		got := gvLoad(t, out)
		hasICC := got.HasICCProfile()
		got.Close()
		pix, _, _ := pixels(t, out)
		if hasICC {
			t.Fatalf("profile kept with strip_color_profile=true")
		}
		if d := meanDiff(pix, refPix); d > 3 {
			t.Fatalf("converted to sRGB: mean difference %.2f; want <= 3", d)
		}
		o.StripColorProfile = false
		out, _ = process(t, p, src, o, nil)
		got = gvLoad(t, out)
		defer got.Close()
		if !got.HasICCProfile() {
			t.Fatalf("profile dropped with strip_color_profile=false")
		}
	})
	t.Run("cmyk", func(t *testing.T) {
		im := gvLoad(t, base)
		must(t, im.TransformICCProfile("cmyk"))
		im.RemoveICCProfile()
		src := exportJPEGKeep(t, im)
		im.Close()
		o := defaultOptions()
		out, res := process(t, p, src, o, nil)
		got := gvLoad(t, out)
		defer got.Close()
		if res.Format != options.FormatJPEG || got.Bands() != 3 || got.Interpretation() != gv.InterpretationSRGB {
			t.Fatalf("got %v %d bands %v; want 3-band sRGB jpeg", res.Format, got.Bands(), got.Interpretation())
		}
		// Reference: the CMYK source converted by govips.
		ref := gvLoad(t, src)
		defer ref.Close()
		must(t, ref.ToColorSpace(gv.InterpretationSRGB))
		cmykRef, _, _ := refPixels(t, ref)
		pix, _, _ := pixels(t, out)
		if d := meanDiff(pix, cmykRef); d > 3 {
			t.Fatalf("mean difference %.2f; want <= 3", d)
		}
	})
	t.Run("16-bit", func(t *testing.T) {
		im := gvLoad(t, base)
		must(t, im.ToColorSpace(gv.InterpretationRGB16))
		src, _, err := im.ExportPng(gv.NewPngExportParams())
		im.Close()
		must(t, err)
		o := defaultOptions()
		out, _ := process(t, p, src, o, nil)
		got := gvLoad(t, out)
		if got.BandFormat() != gv.BandFormatUchar {
			t.Fatalf("got %v; want 8-bit without preserve_hdr", got.BandFormat())
		}
		got.Close()
		pix, _, _ := pixels(t, out)
		if d := meanDiff(pix, refPix); d > 1 {
			t.Fatalf("mean difference %.2f; want <= 1", d)
		}
		o.PreserveHDR, o.Width = true, 32
		out, _ = process(t, p, src, o, nil)
		got = gvLoad(t, out)
		defer got.Close()
		if got.BandFormat() != gv.BandFormatUshort || got.Width() != 32 {
			t.Fatalf("got %v %d px wide; want 16-bit 32 px with preserve_hdr", got.BandFormat(), got.Width())
		}
	})
	t.Run("grey", func(t *testing.T) {
		im := gvLoad(t, base)
		must(t, im.ToColorSpace(gv.InterpretationBW))
		src := exportJPEGKeep(t, im)
		im.Close()
		o := defaultOptions()
		o.Width = 32
		o.Padding = options.Padding{Enabled: true, Top: 2, Right: 2, Bottom: 2, Left: 2}
		out, res := process(t, p, src, o, nil)
		got := gvLoad(t, out)
		defer got.Close()
		if got.Bands() != 1 || res.Width != 36 {
			t.Fatalf("got %d bands %d px; want 1 band (grey kept) 36 px", got.Bands(), res.Width)
		}
	})
}
