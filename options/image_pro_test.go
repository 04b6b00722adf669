package options

import (
	"strings"
	"testing"
)

// TestProImageOptions: the imgproxy Pro image options parse into their
// fields with imgproxy's argument rules, defaults and aliases, and bad
// arguments answer 404 with a message naming the option as written.
func TestProImageOptions(t *testing.T) {
	p := newParser(t, ParserConfig{})
	grey, red := Color{0xb3, 0xb3, 0xb3}, Color{255, 0, 0}
	cases := []optCase{
		{"resizing_algorithm", "resizing_algorithm:nearest", func(o *Options) { o.ResizingAlgorithm = ResizeNearest }, 0},
		{"ra lanczos2", "ra:lanczos2", func(o *Options) { o.ResizingAlgorithm = ResizeLanczos2 }, 0},
		{"ra lanczos3 default", "ra:linear/ra:lanczos3", nil, 0},
		{"ra bad", "ra:bicubic", nil, bad},

		{"crop_aspect_ratio", "crop_aspect_ratio:1.5", func(o *Options) { o.CropAspectRatio = CropAspectRatio{Ratio: 1.5} }, 0},
		{"car enlarge", "car:0.5:t", func(o *Options) { o.CropAspectRatio = CropAspectRatio{Ratio: 0.5, Enlarge: true} }, 0},
		{"crop_ar off", "crop_ar:2/crop_ar:0", nil, 0},
		{"car negative", "car:-1", nil, bad},
		{"car too many", "car:1:1:1", nil, bad},

		{"background_alpha", "background_alpha:0.25", func(o *Options) { o.BackgroundAlpha, o.HasBackgroundAlpha = 0.25, true }, 0},
		{"bga zero", "bga:0", func(o *Options) { o.HasBackgroundAlpha = true }, 0},
		{"bga over 1", "bga:1.5", nil, bad},

		{"adjust", "adjust:-20:1.5:0.5", func(o *Options) { o.Adjust = Adjust{Brightness: -20, Contrast: 1.5, Saturation: 0.5} }, 0},
		{"a empty slots keep", "br:10/a::2", func(o *Options) { o.Adjust = Adjust{Brightness: 10, Contrast: 2} }, 0},
		{"brightness", "brightness:255", func(o *Options) { o.Adjust.Brightness = 255 }, 0},
		{"br over", "br:256", nil, bad},
		{"br float", "br:1.5", nil, bad},
		{"contrast", "contrast:0.5", func(o *Options) { o.Adjust.Contrast = 0.5 }, 0},
		{"co zero", "co:0", nil, bad},
		{"saturation", "sa:3", func(o *Options) { o.Adjust.Saturation = 3 }, 0},
		{"sa negative", "sa:-1", nil, bad},
		{"a bad contrast", "a:0:x", nil, bad},
		{"a too many", "a:1:1:1:1", nil, bad},

		{"monochrome default colour", "monochrome:0.5", func(o *Options) { o.Monochrome = Monochrome{Intensity: 0.5, Color: grey} }, 0},
		{"mc colour", "mc:1:f00", func(o *Options) { o.Monochrome = Monochrome{Intensity: 1, Color: red} }, 0},
		{"mc bad colour", "mc:1:red", nil, bad},
		{"mc over 1", "mc:2", nil, bad},
		{"duotone", "duotone:1:ff0000:0000ff", func(o *Options) { o.Duotone = Duotone{Intensity: 1, Dark: red, Light: Color{0, 0, 255}} }, 0},
		{"dt defaults", "dt:0.3", func(o *Options) { o.Duotone = Duotone{Intensity: 0.3, Light: Color{255, 255, 255}} }, 0},
		{"dt bad", "dt:1:000:ggg", nil, bad},

		{"colorize", "colorize:0.5:00ff00:1", func(o *Options) { o.Colorize = Colorize{Opacity: 0.5, Color: Color{0, 255, 0}, KeepAlpha: true} }, 0},
		{"col default black", "col:0.2", func(o *Options) { o.Colorize = Colorize{Opacity: 0.2} }, 0},
		{"col bad", "col:x", nil, bad},

		{"gradient defaults", "gradient:0.8", func(o *Options) { o.Gradient = Gradient{Opacity: 0.8, Ramp: Ramp{Stop: 1}} }, 0},
		{"gr full", "gr:1:fff:left:0.2:0.6", func(o *Options) {
			o.Gradient = Gradient{Opacity: 1, Color: Color{255, 255, 255}, Ramp: Ramp{Angle: 90, Start: 0.2, Stop: 0.6}}
		}, 0},
		{"gr degrees", "gr:1::-45", func(o *Options) { o.Gradient = Gradient{Opacity: 1, Ramp: Ramp{Angle: 315, Stop: 1}} }, 0},
		{"gr up right", "gr:1::up/gr:0.5::right", func(o *Options) { o.Gradient = Gradient{Opacity: 0.5, Ramp: Ramp{Angle: 270, Stop: 1}} }, 0},
		{"gr bad direction", "gr:1:000:sideways", nil, bad},
		{"gr start after stop", "gr:1:000:down:0.8:0.2", nil, bad},
		{"gr stop over 1", "gr:1:000:down:0:2", nil, bad},

		{"unsharp_masking", "unsharp_masking:always:2:10", func(o *Options) { o.UnsharpMasking = UnsharpMasking{Mode: UnsharpAlways, Weight: 2, Divider: 10} }, 0},
		{"ush keeps omitted", "ush:none", func(o *Options) { o.UnsharpMasking.Mode = UnsharpNone }, 0},
		{"ush weight only", "ush::3", func(o *Options) { o.UnsharpMasking.Weight = 3 }, 0},
		{"ush bad mode", "ush:sometimes", nil, bad},
		{"ush zero divider", "ush:auto:1:0", nil, bad},

		{"blur_areas", "blur_areas:5:0.1:0.2:0.3:0.4:0.5:0.5:0.5:0.5", func(o *Options) {
			o.BlurAreas = BlurAreas{Sigma: 5, N: 2}
			o.BlurAreas.Areas[0] = Area{0.1, 0.2, 0.3, 0.4}
			o.BlurAreas.Areas[1] = Area{0.5, 0.5, 0.5, 0.5}
		}, 0},
		{"ba off", "ba:0", nil, 0},
		{"ba incomplete box", "ba:5:0.1:0.1:0.2", nil, bad},
		{"ba outside", "ba:5:0.1:0.1:1.2:0.2", nil, bad},
		{"ba too many", "ba:5" + strings.Repeat(":0:0:0.1:0.1", MaxBlurAreas+1), nil, bad},
		{"ba sigma cap", "ba:101:0:0:1:1", nil, bad},

		{"progressive_blur", "progressive_blur:10:up:0.5:0.9", func(o *Options) {
			o.ProgressiveBlur = ProgressiveBlur{Sigma: 10, Ramp: Ramp{Angle: 180, Start: 0.5, Stop: 0.9}}
		}, 0},
		{"pbl default ramp", "pbl:3", func(o *Options) { o.ProgressiveBlur = ProgressiveBlur{Sigma: 3, Ramp: Ramp{Stop: 1}} }, 0},
		{"pbl degrees", "pbl:3:450", func(o *Options) { o.ProgressiveBlur = ProgressiveBlur{Sigma: 3, Ramp: Ramp{Angle: 90, Stop: 1}} }, 0},
		{"pbl bad", "pbl:3:diagonal", nil, bad},

		{"color_profile", "color_profile:cmyk", func(o *Options) { o.ColorProfile = "cmyk" }, 0},
		{"cp file escaped", "cp:Adobe%20RGB%20%281998%29", func(o *Options) { o.ColorProfile = "Adobe RGB (1998)" }, 0},
		{"icc alias", "icc:srgb", func(o *Options) { o.ColorProfile = "srgb" }, 0},
		{"cp traversal", "cp:..", nil, bad},
		{"cp slash", "cp:..%2Fetc%2Fpasswd", nil, bad},
		{"cp backslash", "cp:a%5Cb", nil, bad},
		{"cp control", "cp:a%00b", nil, bad},
		{"cp bad escape", "cp:a%zz", nil, bad},

		{"dpi", "dpi:300", func(o *Options) { o.DPI = 300 }, 0},
		{"dpi reset", "dpi:300/dpi:0", nil, 0},
		{"dpi negative", "dpi:-1", nil, bad},
		{"dpi cap", "dpi:10001", nil, bad},

		{"jpeg_options", "jpeg_options:1:t:true:1:1:3", func(o *Options) {
			o.Encoding.JPEG = JPEGOptions{Progressive: true, NoSubsample: true, TrellisQuant: true, OvershootDeringing: true, OptimizeScans: true, QuantTable: 3}
		}, 0},
		{"jpgo partial", "jpgo:1", func(o *Options) { o.Encoding.JPEG.Progressive = true }, 0},
		{"jpgo quant table", "jpgo::::::8", func(o *Options) { o.Encoding.JPEG.QuantTable = 8 }, 0},
		{"jpgo bad table", "jpgo::::::9", nil, bad},
		{"jpgo too many", "jpgo:1:1:1:1:1:1:1", nil, bad},
		{"png_options", "png_options:1:1:16", func(o *Options) {
			o.Encoding.PNG = PNGOptions{Interlaced: true, Quantize: true, QuantizationColors: 16}
		}, 0},
		{"pngo colours only", "pngo:::5", func(o *Options) { o.Encoding.PNG.QuantizationColors = 5 }, 0},
		{"pngo one colour", "pngo:0:1:1", nil, bad},
		{"pngo 257", "pngo:0:1:257", nil, bad},
		{"webp_options", "webp_options:lossless:1:photo", func(o *Options) {
			o.Encoding.WebP = WebPOptions{Compression: WebPLossless, SmartSubsample: true, Preset: WebPPresetPhoto}
		}, 0},
		{"webpo near_lossless", "webpo:near_lossless", func(o *Options) { o.Encoding.WebP.Compression = WebPNearLossless }, 0},
		{"webpo bad compression", "webpo:lossyish", nil, bad},
		{"webpo bad preset", "webpo::0:photos", nil, bad},
		{"avif_options", "avif_options:off", func(o *Options) { o.Encoding.AVIF.Subsample = AVIFSubsampleOff }, 0},
		{"avifo on", "avifo:on", func(o *Options) { o.Encoding.AVIF.Subsample = AVIFSubsampleOn }, 0},
		{"avifo bad", "avifo:444", nil, bad},

		{"page", "page:3", func(o *Options) { o.Page = 3 }, 0},
		{"pg negative", "pg:-1", nil, bad},
		{"pages", "pages:4", func(o *Options) { o.Pages = 4 }, 0},
		{"pgs zero", "pgs:0", nil, bad},
		{"pgs cap", "pgs:101", nil, bad},
		{"disable_animation", "disable_animation:1", func(o *Options) { o.DisableAnimation = true }, 0},
		{"da false", "da:0", nil, 0},
	}
	runOptCases(t, p, cases)
}

// TestProImageErrorsNameTheOption: the 404 message of a bad argument says
// which option (as written in the URL) was wrong.
func TestProImageErrorsNameTheOption(t *testing.T) {
	p := newParser(t, ParserConfig{})
	for _, opt := range []string{
		"ra:x", "resizing_algorithm:x", "car:x", "bga:2", "a:300", "br:x", "co:x", "sa:0", "mc:x", "dt:x", "col:x",
		"gr:x", "gradient:1:000:x", "ush:x", "ba:x", "blur_areas:1:0:0", "pbl:x", "cp:a%2Fb", "dpi:x",
		"jpgo::::::x", "pngo:::x", "webpo:x", "avifo:x", "pg:x", "pgs:x", "page:-1",
	} {
		_, err := parseURL(p, "/insecure/"+opt+srcTail, Hints{})
		if kindOf(err) != KindInvalidURL {
			t.Errorf("%s: got %v; want KindInvalidURL", opt, err)
			continue
		}
		name, _, _ := strings.Cut(opt, ":")
		if !strings.Contains(err.Error(), name) {
			t.Errorf("%s: message %q does not name %q", opt, err, name)
		}
	}
}

// TestProImageSecurity: the Pro image options obey the allow-list (names as
// written), are exempt inside presets and work in only-presets mode.
func TestProImageSecurity(t *testing.T) {
	p := newParser(t, ParserConfig{
		AllowedProcessingOptions: []string{"br", "pgs", "pr"},
		Presets:                  map[string]string{"mono": "mc:1:fff/jpgo:1"},
	})
	runOptCases(t, p, []optCase{
		{"allowed alias", "br:10", func(o *Options) { o.Adjust.Brightness = 10 }, 0},
		{"long name not allowed", "brightness:10", nil, bad},
		{"other not allowed", "co:2", nil, bad},
		{"pages allowed, page not", "pgs:2/pg:1", nil, bad},
		{"preset exempt", "pr:mono", func(o *Options) {
			o.Monochrome = Monochrome{Intensity: 1, Color: Color{255, 255, 255}}
			o.Encoding.JPEG.Progressive = true
		}, 0},
	})
	only := newParser(t, ParserConfig{OnlyPresets: true, Presets: map[string]string{"pages": "pgs:3/da:1"}})
	r, err := parseURL(only, "/insecure/pages"+srcTail, Hints{})
	if err != nil || r.Options.Pages != 3 || !r.Options.DisableAnimation {
		t.Fatalf("only presets: got %+v, %v; want pages 3 and disable_animation", r, err)
	}
	if _, err := NewParser(ParserConfig{Presets: map[string]string{"bad": "ush:maybe"}}); err == nil {
		t.Fatal("a preset with a bad unsharp_masking argument started; want a start-up error")
	}
}
