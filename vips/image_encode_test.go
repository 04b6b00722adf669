package vips

import (
	"bytes"
	"encoding/binary"
	"image/color"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"testing"

	gv "github.com/davidbyttow/govips/v2/vips"

	"github.com/imgedge/imgedge/options"
)

// The encoder settings (jpeg_options, png_options, webp_options,
// avif_options), color_profile and dpi, read back from the encoded
// results.

// encodeWith processes src into f with the settings mod sets.
func encodeWith(t *testing.T, p *Processor, src []byte, f options.Format, mod func(o *options.Options)) []byte {
	t.Helper()
	o := defaultOptions()
	o.Format = f
	o.Encoding.PNG.QuantizationColors = 256
	mod(&o)
	out, res := process(t, p, src, o, nil)
	if sniff(out) != f || res.Format != f {
		t.Fatalf("got %v; want %v", sniff(out), f)
	}
	return out
}

// jpegSOF returns the start-of-frame marker (0xC0 baseline, 0xC2
// progressive) and the sampling factors of each component.
func jpegSOF(t *testing.T, b []byte) (marker byte, sampling []byte) {
	t.Helper()
	for i := 2; i+4 < len(b); {
		if b[i] != 0xff {
			t.Fatalf("bad JPEG marker at %d", i)
		}
		m, n := b[i+1], int(binary.BigEndian.Uint16(b[i+2:]))
		if m >= 0xc0 && m <= 0xc3 {
			comps := int(b[i+9])
			for c := range comps {
				sampling = append(sampling, b[i+11+3*c])
			}
			return m, sampling
		}
		i += 2 + n
	}
	t.Fatal("no SOF marker")
	return 0, nil
}

func TestJPEGOptions(t *testing.T) {
	p := newTestProcessor(t, nil)
	src := pngBytes(t, testPattern(48, 32, false))
	m, s := jpegSOF(t, encodeWith(t, p, src, options.FormatJPEG, func(o *options.Options) {}))
	if m != 0xc0 || s[0] != 0x22 {
		t.Errorf("default: SOF %#x, sampling %#x; want baseline 4:2:0 (0xc0, 0x22)", m, s)
	}
	m, s = jpegSOF(t, encodeWith(t, p, src, options.FormatJPEG, func(o *options.Options) {
		o.Encoding.JPEG = options.JPEGOptions{Progressive: true, NoSubsample: true}
	}))
	if m != 0xc2 || !bytes.Equal(s, []byte{0x11, 0x11, 0x11}) {
		t.Errorf("progressive, no_subsample: SOF %#x, sampling %#x; want progressive 4:4:4 (0xc2, 0x11 0x11 0x11)", m, s)
	}
	// The mozjpeg-only settings never fail a save, with or without mozjpeg.
	encodeWith(t, p, src, options.FormatJPEG, func(o *options.Options) {
		o.Encoding.JPEG = options.JPEGOptions{TrellisQuant: true, OvershootDeringing: true, OptimizeScans: true, QuantTable: 3}
	})
}

// pngPalette returns the colour type, the interlace method and the
// number of distinct colours of a PNG.
func pngPalette(t *testing.T, b []byte) (colorType, interlace byte, colours int) {
	t.Helper()
	colorType, interlace = b[25], b[28] // IHDR fields
	m, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	seen := map[color.NRGBA]bool{}
	bounds := m.Bounds()
	for y := bounds.Min.Y; y < bounds.Max.Y; y++ {
		for x := bounds.Min.X; x < bounds.Max.X; x++ {
			seen[color.NRGBAModel.Convert(m.At(x, y)).(color.NRGBA)] = true
		}
	}
	return colorType, interlace, len(seen)
}

func TestPNGOptions(t *testing.T) {
	p := newTestProcessor(t, nil)
	src := pngBytes(t, testPattern(64, 48, true))
	if ct, il, n := pngPalette(t, encodeWith(t, p, src, options.FormatPNG, func(o *options.Options) {})); ct == 3 || il != 0 || n < 300 {
		t.Errorf("default: colour type %d, interlace %d, %d colours; want truecolour, not interlaced", ct, il, n)
	}
	for _, colours := range []int{5, 16, 100} {
		out := encodeWith(t, p, src, options.FormatPNG, func(o *options.Options) {
			o.Encoding.PNG = options.PNGOptions{Interlaced: true, Quantize: true, QuantizationColors: colours}
		})
		ct, il, n := pngPalette(t, out)
		if ct != 3 || il != 1 || n > colours || n < colours/2 {
			t.Errorf("%d colours: colour type %d, interlace %d, %d colours; want an interlaced palette PNG with at most %d", colours, ct, il, n, colours)
		}
	}
}

func TestWebPOptionsLossless(t *testing.T) {
	p := newTestProcessor(t, nil)
	m := testPattern(40, 30, true)
	out := encodeWith(t, p, pngBytes(t, m), options.FormatWebP, func(o *options.Options) {
		o.Encoding.WebP = options.WebPOptions{Compression: options.WebPLossless, Preset: options.WebPPresetDrawing}
	})
	got, _, _ := pixels(t, out)
	if d := meanDiff(got, pngPixels(t, m)); d != 0 {
		t.Errorf("lossless WebP differs from the source by %.3f", d)
	}
	lossy := encodeWith(t, p, pngBytes(t, m), options.FormatWebP, func(o *options.Options) { o.Encoding.WebP.SmartSubsample = true })
	if got, _, _ := pixels(t, lossy); meanDiff(got, pngPixels(t, m)) == 0 {
		t.Errorf("lossy WebP decodes to the source exactly; the setting did not reach the encoder")
	}
}

// avifChroma returns the chroma subsampling flags of the av1C box.
func avifChroma(t *testing.T, b []byte) (x, y bool) {
	t.Helper()
	i := bytes.Index(b, []byte("av1C"))
	if i < 0 || i+7 > len(b) {
		t.Fatal("no av1C box")
	}
	f := b[i+6] // high_bitdepth, twelve_bit, monochrome, subsampling x, y, position
	return f&0x08 != 0, f&0x04 != 0
}

func TestAVIFOptions(t *testing.T) {
	if !CanSave(options.FormatAVIF) {
		t.Skip("this libvips cannot save AVIF")
	}
	p := newTestProcessor(t, nil)
	src := pngBytes(t, testPattern(32, 32, false))
	for _, c := range []struct {
		sub  options.AVIFSubsample
		q    int
		want bool
	}{
		{options.AVIFSubsampleAuto, 60, true},
		{options.AVIFSubsampleAuto, 95, false},
		{options.AVIFSubsampleOn, 95, true},
		{options.AVIFSubsampleOff, 60, false},
	} {
		out := encodeWith(t, p, src, options.FormatAVIF, func(o *options.Options) {
			o.Quality, o.Encoding.AVIF.Subsample = c.q, c.sub
		})
		if x, y := avifChroma(t, out); x != c.want || y != c.want {
			t.Errorf("%v at quality %d: subsampled %v,%v; want %v", c.sub, c.q, x, y, c.want)
		}
	}
}

func TestColorProfile(t *testing.T) {
	dir := t.TempDir()
	p := newTestProcessor(t, func(c *Config) { c.ColorProfilesDir = dir })
	src := pngBytes(t, testPattern(32, 24, false))
	profileOf := func(out []byte) (*gv.ImageRef, []byte) {
		im := gvLoad(t, out)
		t.Cleanup(im.Close)
		return im, im.GetICCProfile()
	}
	cmykJPEG := encodeWith(t, p, src, options.FormatJPEG, func(o *options.Options) { o.ColorProfile = "cmyk" })
	im, cmykICC := profileOf(cmykJPEG)
	if im.Interpretation() != gv.InterpretationCMYK || im.Bands() != 4 || len(cmykICC) < 132 || string(cmykICC[16:20]) != "CMYK" {
		t.Fatalf("cmyk: %v with %d bands and a %d-byte profile; want a CMYK JPEG with a CMYK profile", im.Interpretation(), im.Bands(), len(cmykICC))
	}
	_, srgbICC := profileOf(encodeWith(t, p, src, options.FormatPNG, func(o *options.Options) { o.ColorProfile = "srgb" }))
	if len(srgbICC) < 132 || string(srgbICC[16:20]) != "RGB " {
		t.Fatalf("srgb: a %d-byte profile; want an RGB profile embedded", len(srgbICC))
	}
	// Not stripped by strip_color_profile; ignored where the format has
	// no CMYK.
	if _, icc := profileOf(encodeWith(t, p, src, options.FormatPNG, func(o *options.Options) { o.ColorProfile = "cmyk" })); len(icc) != 0 {
		t.Errorf("cmyk for PNG embedded a %d-byte profile; want the option ignored", len(icc))
	}
	// A profile file of the directory, named without its extension.
	if err := os.WriteFile(filepath.Join(dir, "press.icm"), cmykICC, 0o644); err != nil {
		t.Fatal(err)
	}
	im, icc := profileOf(encodeWith(t, p, src, options.FormatJPEG, func(o *options.Options) { o.ColorProfile = "press" }))
	if im.Interpretation() != gv.InterpretationCMYK || !bytes.Equal(icc, cmykICC) {
		t.Errorf("custom profile: %v with a %d-byte profile; want CMYK with the file's profile", im.Interpretation(), len(icc))
	}
	if err := os.WriteFile(filepath.Join(dir, "junk.icc"), []byte("not a profile"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"missing", "junk", "../etc/passwd"} {
		o := defaultOptions()
		o.ColorProfile = name
		if _, err := processBytes(t.Context(), p, src, &o, nil); kindOf(err) != options.KindInvalidURL {
			t.Errorf("profile %q: got %v; want KindInvalidURL", name, err)
		}
	}
}

func TestDPI(t *testing.T) {
	p := newTestProcessor(t, nil)
	m := testPattern(16, 16, false)
	src := pngBytes(t, m)
	dpiOf := func(out []byte) float64 {
		im := gvLoad(t, out)
		defer im.Close()
		return im.ResX() * 25.4
	}
	for _, f := range []options.Format{options.FormatJPEG, options.FormatPNG, options.FormatTIFF} {
		if got := dpiOf(encodeWith(t, p, src, f, func(o *options.Options) { o.DPI = 300 })); math.Abs(got-300) > 0.5 {
			t.Errorf("%v: dpi:300 read back as %.2f", f, got)
		}
	}
	// A 150 dpi source: kept without stripping, 72 when stripped.
	tiff := encodeWith(t, p, src, options.FormatTIFF, func(o *options.Options) { o.DPI = 150 })
	if got := dpiOf(encodeWith(t, p, tiff, options.FormatPNG, func(o *options.Options) { o.StripMetadata = false })); math.Abs(got-150) > 0.5 {
		t.Errorf("unstripped: %.2f dpi; want the source's 150", got)
	}
	if got := dpiOf(encodeWith(t, p, tiff, options.FormatPNG, func(o *options.Options) {})); math.Abs(got-72) > 0.5 {
		t.Errorf("stripped: %.2f dpi; want 72", got)
	}
}
