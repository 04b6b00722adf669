package main

// Server-level checks of the image options that came from imgproxy Pro
// (docs/options.md): URLs built by the official client library
// (rtProImageCases, part of the round trips in e2e_roundtrip_test.go),
// answered by the running binary and checked on the decoded result.

import (
	"bytes"
	"encoding/binary"
	"errors"
	"image/color"
	"image/png"
	"testing"
)

func rtProImageCases() []rtCase {
	const photo, alpha, anim = "local:///photo.jpg", "local:///alpha.png", "local:///anim.gif"
	return []rtCase{
		{Name: "pro-monochrome-grey", URL: photo, Options: map[string]any{
			"width": 120, "monochrome": map[string]any{"intensity": 1, "color": "808080"}, "format": "png",
		}, format: "png", mime: "image/png", w: 120, h: 80, body: rtNoChroma},
		{Name: "pro-pages-stacked", URL: anim, Options: map[string]any{
			"pages": 2, "disable_animation": 1, "format": "png",
		}, format: "png", mime: "image/png", w: 160, h: 240},
		{Name: "pro-crop-ar-progressive", URL: photo, DisplayAs: "plain", Options: map[string]any{
			"crop_aspect_ratio": map[string]any{"aspect_ratio": 1}, "width": 100,
			"jpeg_options": map[string]any{"progressive": true, "no_subsample": true},
		}, format: "jpeg", mime: "image/jpeg", w: 100, h: 100, body: rtProgressive444},
		{Name: "pro-png-palette", URL: alpha, Options: map[string]any{
			"width": 100, "png_options": map[string]any{"quantize": true, "quantization_colors": 10},
		}, format: "png", mime: "image/png", w: 100, h: 100, body: func(t *testing.T, b []byte) {
			if n := rtColours(t, b); b[25] != 3 || n > 10 {
				t.Errorf("colour type %d with %d colours; want a palette PNG of at most 10", b[25], n)
			}
		}},
		{Name: "pro-effects-webp", URL: photo, Options: map[string]any{
			"width": 150, "resizing_algorithm": "linear", "adjust": map[string]any{"brightness": 10, "contrast": 1.1, "saturation": 1.2},
			"duotone":          map[string]any{"intensity": 0.3, "color1": "102030", "color2": "f0e0d0"},
			"blur_areas":       map[string]any{"sigma": 4, "areas": []any{map[string]any{"left": 0.1, "top": 0.1, "width": 0.3, "height": 0.3}}},
			"progressive_blur": map[string]any{"sigma": 3, "direction": "left"},
			"unsharp_masking":  map[string]any{"mode": "always", "weight": 1, "divider": 20},
			"colorize":         map[string]any{"opacity": 0.2, "color": "ff8800"},
			"gradient":         map[string]any{"opacity": 0.6, "color": "000", "direction": 30},
			"padding":          5, "background": "ffffff", "background_alpha": 0.5,
			"dpi": 300, "webp_options": map[string]any{"compression": "lossless"}, "format": "webp",
		}, format: "webp", mime: "image/webp", w: 160, h: 110},
		{Name: "pro-cmyk", URL: photo, Options: map[string]any{"width": 64, "color_profile": "cmyk"},
			format: "jpeg", mime: "image/jpeg", w: 64, h: 43, body: func(t *testing.T, b []byte) {
				if m, err := rtJPEGComponents(b); err != nil || m != 4 || !bytes.Contains(b, []byte("acsp")) {
					t.Errorf("%d components (%v), profile %v; want a CMYK JPEG with an ICC profile", m, err, bytes.Contains(b, []byte("acsp")))
				}
			}},
	}
}

// rtNoChroma fails when a PNG result has a pixel whose channels differ.
func rtNoChroma(t *testing.T, b []byte) {
	m, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	r := m.Bounds()
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			c := color.NRGBAModel.Convert(m.At(x, y)).(color.NRGBA)
			if c.R != c.G || c.G != c.B {
				t.Fatalf("pixel %d,%d is %v; want grey", x, y, c)
			}
		}
	}
}

// rtColours counts the distinct colours of a PNG result.
func rtColours(t *testing.T, b []byte) int {
	m, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	seen := map[color.Color]bool{}
	r := m.Bounds()
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			seen[m.At(x, y)] = true
		}
	}
	return len(seen)
}

// rtProgressive444 fails unless a JPEG is progressive (SOF2) with every
// component sampled 1×1.
func rtProgressive444(t *testing.T, b []byte) {
	for i := 2; i+10 < len(b); {
		m, n := b[i+1], int(binary.BigEndian.Uint16(b[i+2:]))
		if m >= 0xc0 && m <= 0xc3 {
			if m != 0xc2 || b[i+11] != 0x11 {
				t.Errorf("SOF %#x, first sampling %#x; want progressive (0xc2) 4:4:4 (0x11)", m, b[i+11])
			}
			return
		}
		i += 2 + n
	}
	t.Error("no SOF marker")
}

// rtJPEGComponents returns the number of colour components of a JPEG.
func rtJPEGComponents(b []byte) (int, error) {
	for i := 2; i+10 < len(b); {
		m, n := b[i+1], int(binary.BigEndian.Uint16(b[i+2:]))
		if m >= 0xc0 && m <= 0xc3 {
			return int(b[i+9]), nil
		}
		i += 2 + n
	}
	return 0, errors.New("no SOF marker")
}
