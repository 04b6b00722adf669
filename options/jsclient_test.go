package options_test

import (
	"testing"
	"time"

	"github.com/imgedge/imgedge/options"
	"github.com/imgedge/imgedge/options/testclient"
	"github.com/imgedge/imgedge/sign"
)

type jsExpect struct {
	c    testclient.Case
	src  string
	mut  func(o *options.Options)
	kind options.ErrorKind // expected error; 0 = success
}

func jsCases() []jsExpect {
	const src = "http://example.com/images/curiosity.jpg"
	g := func(t options.GravityType, x, y float64) options.Gravity { return options.Gravity{Type: t, X: x, Y: y} }
	return []jsExpect{
		{testclient.Case{Name: "resize-gravity-format", URL: src, Options: map[string]any{
			"resize":  map[string]any{"resizing_type": "fill", "width": 300, "height": 400, "enlarge": 0},
			"gravity": map[string]any{"type": "sm"},
			"format":  "png",
		}}, src, func(o *options.Options) {
			o.ResizingType, o.Width, o.Height, o.Gravity, o.Format = options.ResizeFill, 300, 400, g(options.GravitySmart, 0, 0), options.FormatPNG
		}, 0},
		{testclient.Case{Name: "many-base64", URL: src, Options: map[string]any{
			"resize":         map[string]any{"resizing_type": "fill-down", "width": 640, "height": 480, "enlarge": 1, "extend": map[string]any{"extend": 1, "gravity": map[string]any{"type": "so", "x_offset": 1, "y_offset": 2}}},
			"gravity":        map[string]any{"type": "fp", "x": 0.5, "y": 0.25},
			"crop":           map[string]any{"width": 100, "height": 50, "gravity": map[string]any{"type": "nowe", "x_offset": 1}},
			"trim":           map[string]any{"threshold": 10, "color": "fff", "equal_hor": 1},
			"padding":        map[string]any{"top": 1, "left": 3},
			"watermark":      map[string]any{"opacity": 0.5, "position": "re", "x_offset": 4, "scale": 0.2},
			"zoom":           map[string]any{"zoom_x": 1.5, "zoom_y": 2},
			"flip":           map[string]any{"horizontal": 1},
			"background":     map[string]any{"r": 1, "g": 2, "b": 3},
			"format_quality": []any{map[string]any{"format": "jpg", "quality": 70}, map[string]any{"format": "avif", "quality": 40}},
			"expires":        4000000000,
			"cachebuster":    "v1",
			"quality":        80,
			"format":         "webp",
			"filename":       map[string]any{"name": "bmljZSBwaWN0dXJl", "encoded": 1},
			"preset":         []any{"small", "sharp"},
		}}, src, func(o *options.Options) {
			o.ResizingType, o.Width, o.Height, o.Enlarge = options.ResizeFillDown, 640, 480, true
			o.Extend = options.Extend{Enabled: true, Gravity: g(options.GravitySouth, 1, 2)}
			o.Gravity = g(options.GravityFocusPoint, 0.5, 0.25)
			o.Crop = options.Crop{Width: 100, Height: 50, Gravity: g(options.GravityNorthWest, 1, 0), HasGravity: true}
			o.Trim = options.Trim{Enabled: true, Threshold: 10, Color: options.Color{R: 255, G: 255, B: 255}, HasColor: true, EqualHor: true}
			// pd:1:::3 — empty slots copy their CSS partner (right, bottom <- top).
			o.Padding = options.Padding{Enabled: true, Top: 1, Right: 1, Bottom: 1, Left: 3}
			o.Watermark = options.Watermark{Opacity: 0.5, Position: g(options.GravityReplicate, 4, 0), Scale: 0.2}
			o.ZoomX, o.ZoomY = 1.5, 2
			o.FlipH = true
			o.Background, o.HasBackground = options.Color{R: 1, G: 2, B: 3}, true
			o.FormatQuality[options.FormatJPEG], o.FormatQuality[options.FormatAVIF] = 70, 40
			o.Expires = time.Unix(4000000000, 0)
			o.CacheBuster, o.Quality, o.Format, o.Filename = "v1", 80, options.FormatWebP, "nice picture"
			// Options are sorted by name by the library, so pr:small:sharp
			// comes after padding and before quality/resize.
			o.Sharpen = 0.5
		}, 0},
		{testclient.Case{Name: "bools-and-numbers-plain", URL: "http://example.com/a%20b.jpg", DisplayAs: "plain", Options: map[string]any{
			"size":                map[string]any{"width": 10, "height": 20, "enlarge": 1},
			"extend_aspect_ratio": map[string]any{"extend": 1, "gravity": map[string]any{"type": "we"}},
			"min_width":           5, "min_height": 6, "dpr": 2, "blur": 1.5, "sharpen": 0.7, "pixelate": 4,
			"rotate": 180, "strip_metadata": 0, "keep_copyright": false, "strip_color_profile": "f",
			"auto_rotate": false, "enforce_thumbnail": 1, "preserve_hdr": 1, "max_bytes": 5000,
			"return_attachment": 1, "resizing_type": "auto",
		}}, "http://example.com/a b.jpg", func(o *options.Options) {
			o.Width, o.Height, o.Enlarge = 10, 20, true
			o.ExtendAspectRatio = options.Extend{Enabled: true, Gravity: g(options.GravityWest, 0, 0)}
			o.MinWidth, o.MinHeight, o.Dpr, o.Blur, o.Sharpen, o.Pixelate = 5, 6, 2, 1.5, 0.7, 4
			o.Rotate, o.StripMetadata, o.KeepCopyright, o.StripColorProfile = 180, false, false, false
			o.AutoRotate, o.EnforceThumbnail, o.PreserveHDR, o.MaxBytes, o.ReturnAttachment = false, true, true, 5000, true
			o.ResizingType = options.ResizeAuto
		}, 0},
		{testclient.Case{Name: "raw-plain-ext", URL: "http://example.com/a.jpg", DisplayAs: "plain", Options: map[string]any{
			"raw": 1, "width": 11, "height": 12, "zoom": 2, "padding": 5, "background": "fafafa",
		}}, "http://example.com/a.jpg", func(o *options.Options) {
			o.Raw, o.Width, o.Height, o.ZoomX, o.ZoomY = true, 11, 12, 2, 2
			o.Padding = options.Padding{Enabled: true, Top: 5, Right: 5, Bottom: 5, Left: 5}
			o.Background, o.HasBackground = options.Color{R: 0xfa, G: 0xfa, B: 0xfa}, true
		}, 0},
		// imgproxy Pro's image options, as the library writes them.
		{testclient.Case{Name: "pro-image-options", URL: src, Options: map[string]any{
			"resizing_algorithm": "nearest",
			"crop_aspect_ratio":  map[string]any{"aspect_ratio": 1.5, "enlarge": 1},
			"background_alpha":   0.5,
			"adjust":             map[string]any{"brightness": 10, "contrast": 1.2, "saturation": 0.8},
			"monochrome":         map[string]any{"intensity": 0.5, "color": "ff0000"},
			"duotone":            map[string]any{"intensity": 1, "color1": "000", "color2": "fff"},
			"colorize":           map[string]any{"opacity": 0.3, "color": "00ff00", "keepAlpha": true},
			"gradient":           map[string]any{"opacity": 0.5, "color": "000", "direction": 45, "start": 0.1, "stop": 0.9},
			"color_profile":      "cmyk",
			"dpi":                300,
			"unsharp_masking":    map[string]any{"mode": "always", "weight": 2, "divider": 20},
			"blur_areas": map[string]any{"sigma": 5, "areas": []any{
				map[string]any{"left": 0.1, "top": 0.1, "width": 0.2, "height": 0.2},
				map[string]any{"left": 0.5, "top": 0.5, "width": 0.25, "height": 0.5},
			}},
			"progressive_blur":  map[string]any{"sigma": 5, "direction": "up", "start": 0.2, "stop": 0.8},
			"jpeg_options":      map[string]any{"progressive": true, "no_subsample": true, "trellis_quant": false, "overshoot_deringing": true, "optimize_scans": true, "quant_table": 3},
			"png_options":       map[string]any{"interlaced": true, "quantize": true, "quantization_colors": 16},
			"webp_options":      map[string]any{"compression": "lossless", "smart_subsample": true, "preset": "photo"},
			"avif_options":      map[string]any{"subsample": "off"},
			"page":              2,
			"pages":             3,
			"disable_animation": true,
			"saturation":        3,
		}}, src, func(o *options.Options) {
			o.ResizingAlgorithm = options.ResizeNearest
			o.CropAspectRatio = options.CropAspectRatio{Ratio: 1.5, Enlarge: true}
			o.BackgroundAlpha, o.HasBackgroundAlpha = 0.5, true
			// The library sorts options by name: sa:3 comes after a:10:1.2:0.8.
			o.Adjust = options.Adjust{Brightness: 10, Contrast: 1.2, Saturation: 3}
			o.Monochrome = options.Monochrome{Intensity: 0.5, Color: options.Color{R: 255}}
			o.Duotone = options.Duotone{Intensity: 1, Light: options.Color{R: 255, G: 255, B: 255}}
			o.Colorize = options.Colorize{Opacity: 0.3, Color: options.Color{G: 255}, KeepAlpha: true}
			o.Gradient = options.Gradient{Opacity: 0.5, Ramp: options.Ramp{Angle: 45, Start: 0.1, Stop: 0.9}}
			o.ColorProfile, o.DPI = "cmyk", 300
			o.UnsharpMasking = options.UnsharpMasking{Mode: options.UnsharpAlways, Weight: 2, Divider: 20}
			o.BlurAreas = options.BlurAreas{Sigma: 5, N: 2}
			o.BlurAreas.Areas[0] = options.Area{Left: 0.1, Top: 0.1, Width: 0.2, Height: 0.2}
			o.BlurAreas.Areas[1] = options.Area{Left: 0.5, Top: 0.5, Width: 0.25, Height: 0.5}
			o.ProgressiveBlur = options.ProgressiveBlur{Sigma: 5, Ramp: options.Ramp{Angle: 180, Start: 0.2, Stop: 0.8}}
			o.Encoding = options.Encoding{
				JPEG: options.JPEGOptions{Progressive: true, NoSubsample: true, OvershootDeringing: true, OptimizeScans: true, QuantTable: 3},
				PNG:  options.PNGOptions{Interlaced: true, Quantize: true, QuantizationColors: 16},
				WebP: options.WebPOptions{Compression: options.WebPLossless, SmartSubsample: true, Preset: options.WebPPresetPhoto},
				AVIF: options.AVIFOptions{Subsample: options.AVIFSubsampleOff},
			}
			o.Page, o.Pages, o.DisableAnimation = 2, 3, true
		}, 0},
		{testclient.Case{Name: "security-options-refused", URL: src, Options: map[string]any{"max_src_resolution": 10}}, "", nil, options.KindSecurityOption},
		// The library spells skip_processing "sp", which imgproxy rejects too.
		{testclient.Case{Name: "skip-processing-sp", URL: src, Options: map[string]any{"skip_processing": []any{"svg"}}}, "", nil, options.KindInvalidURL},
		{testclient.Case{Name: "no-options", URL: "s3://bucket/path/to/img.png", Options: map[string]any{}}, "s3://bucket/path/to/img.png", nil, 0},
	}
}

func TestJSClientRoundTrip(t *testing.T) {
	const keyHex, saltHex = "943b421c9eb07c830af81030552c86009268de4e532ba2ee2eab8247c6da0881", "520f986b998545b4785e0defbc4f3c1203f22de2374a3d53cb7a7fe9fea309c5"
	expect := jsCases()
	cases := make([]testclient.Case, len(expect))
	for i, e := range expect {
		cases[i] = e.c
	}
	presets := map[string]string{"small": "w:10/h:10", "sharp": "sh:0.5"}
	keys, _ := sign.ParseHexList(keyHex)
	salts, _ := sign.ParseHexList(saltHex)
	for _, mode := range []struct {
		name      string
		key, salt string
		scfg      sign.Config
	}{
		{"signed", keyHex, saltHex, sign.Config{Keys: keys, Salts: salts}},
		{"unsigned", "", "", sign.Config{}},
	} {
		t.Run(mode.name, func(t *testing.T) {
			paths := testclient.Paths(t, mode.key, mode.salt, cases)
			p, v := newPair(t, options.ParserConfig{Presets: presets}, mode.scfg)
			for _, e := range expect {
				path, ok := paths[e.c.Name]
				if !ok {
					t.Fatalf("%s: no URL generated", e.c.Name)
				}
				var r options.Request
				err := handle(p, v, path, &r)
				if e.kind != 0 {
					if kind(err) != e.kind {
						t.Errorf("%s %s: got %v; want kind %s", e.c.Name, path, err, e.kind)
					}
					continue
				}
				if err != nil {
					t.Errorf("%s %s: got %v; want nil", e.c.Name, path, err)
					continue
				}
				want := options.DefaultOptions()
				if e.mut != nil {
					e.mut(&want)
				}
				if r.Options != want || r.SourceURL != e.src {
					t.Errorf("%s %s:\ngot  %q %+v\nwant %q %+v", e.c.Name, path, r.SourceURL, r.Options, e.src, want)
				}
				if mode.key != "" {
					// A different key must not verify.
					_, badV := newPair(t, options.ParserConfig{}, sign.Config{Keys: [][]byte{[]byte("x")}, Salts: [][]byte{[]byte("y")}})
					if err := handle(p, badV, path, &r); kind(err) != options.KindForbidden {
						t.Errorf("%s with wrong key: got %v; want KindForbidden", e.c.Name, err)
					}
				}
			}
		})
	}
}
