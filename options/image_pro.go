package options

import (
	"encoding/binary"
	"math"
	"net/url"
	"strings"
)

// The image options that came from imgproxy Pro (docs/options.md,
// "Options from imgproxy Pro"): their value types and parse functions. The
// entries that name these functions are in pro.go; the fields are in
// Options. Every type's zero value means "off" or "unchanged", so that an
// Options built without DefaultOptions processes like imgproxy's
// open-source edition.

// Caps on the values of the imgproxy Pro image options (docs/options.md,
// "Hard caps").
const (
	// MaxBlurAreas is the number of boxes blur_areas takes.
	MaxBlurAreas = 16
	// MaxPages caps the pages option (pages stacked into one image).
	MaxPages = 100
	// MaxDPI caps the dpi option.
	MaxDPI = 10000
	// MaxAdjustFactor caps contrast and saturation.
	MaxAdjustFactor = 100
	// MaxUnsharpWeight caps the unsharp masking weight; the divider has
	// no upper bound that matters.
	MaxUnsharpWeight = 100
)

// ResizingAlgorithm is the interpolation kernel of the resize step
// (resizing_algorithm). The zero value is lanczos3, imgproxy's default.
type ResizingAlgorithm uint8

// Resizing algorithms.
const (
	ResizeLanczos3 ResizingAlgorithm = iota
	ResizeNearest
	ResizeLinear
	ResizeCubic
	ResizeLanczos2
)

var resizingAlgorithms = [...]string{"lanczos3", "nearest", "linear", "cubic", "lanczos2"}

// String returns the URL name of the algorithm.
func (a ResizingAlgorithm) String() string { return resizingAlgorithms[a] }

// CropAspectRatio corrects the crop area to Ratio (width / height);
// 0 = off. Enlarge grows the area instead of shrinking it.
type CropAspectRatio struct {
	Ratio   float64
	Enlarge bool
}

// Adjust holds brightness, contrast and saturation (the adjust option and
// its three single-value options).
type Adjust struct {
	Brightness int // -255..255, added to every colour channel; 0 = unchanged
	// Contrast and Saturation are factors; 0 means unset (1, unchanged).
	Contrast   float64
	Saturation float64
}

// Monochrome turns the image into shades of Color (black stays black,
// white becomes Color), blended with the original by Intensity (0 = off).
type Monochrome struct {
	Intensity float64
	Color     Color
}

// Duotone maps dark to Dark and light to Light along the luminance,
// blended with the original by Intensity (0 = off).
type Duotone struct {
	Intensity   float64
	Dark, Light Color
}

// Colorize lays Color over the image with Opacity (0 = off). KeepAlpha
// keeps the image's transparency; otherwise the overlay covers
// transparent areas too.
type Colorize struct {
	Opacity   float64
	Color     Color
	KeepAlpha bool
}

// Ramp is a linear transition across the image: at Angle degrees
// clockwise from "down" (0 down, 90 left, 180 up, 270 right), from 0 at
// the relative position Start to full at Stop (0 <= Start <= Stop <= 1).
type Ramp struct {
	Angle       float64
	Start, Stop float64
}

// Gradient lays a gradient of Color over the image, from transparent to
// Opacity along Ramp (Opacity 0 = off).
type Gradient struct {
	Opacity float64
	Color   Color
	Ramp    Ramp
}

// UnsharpMode says when unsharp masking runs. The zero value is auto.
type UnsharpMode uint8

// Unsharp masking modes.
const (
	UnsharpAuto   UnsharpMode = iota // on downscaled images, unless sharpen is set
	UnsharpNone                      // never
	UnsharpAlways                    // always
)

var unsharpModes = [...]string{"auto", "none", "always"}

// String returns the option and variable value of the mode.
func (m UnsharpMode) String() string { return unsharpModes[m] }

// ParseUnsharpMode maps "auto", "none" or "always" to a mode.
func ParseUnsharpMode(s string) (UnsharpMode, bool) {
	return lookupName[UnsharpMode](unsharpModes[:], s)
}

// UnsharpMasking is a 3×3 sharpening applied after resizing
// (unsharp_masking, IMGPROXY_UNSHARP_MASKING_*). Weight 0 disables it.
type UnsharpMasking struct {
	Mode    UnsharpMode
	Weight  float64 // > 0; how much the neighbours count
	Divider float64 // > 0; the smaller, the stronger
}

// Area is a box relative to the image: fractions of its width and height
// (float32 keeps Options and its key small; it is exact to far below a
// pixel at any supported size).
type Area struct {
	Left, Top, Width, Height float32
}

// BlurAreas blurs Areas[:N] with Sigma (blur_areas; Sigma 0 = off).
type BlurAreas struct {
	Sigma float64
	N     int
	Areas [MaxBlurAreas]Area
}

// ProgressiveBlur blurs along Ramp, from none to Sigma (0 = off).
type ProgressiveBlur struct {
	Sigma float64
	Ramp  Ramp
}

// JPEGOptions are the JPEG encoder settings (jpeg_options,
// IMGPROXY_JPEG_*).
type JPEGOptions struct {
	Progressive        bool
	NoSubsample        bool
	TrellisQuant       bool
	OvershootDeringing bool
	OptimizeScans      bool
	QuantTable         int // 0..8
}

// PNGOptions are the PNG encoder settings (png_options, IMGPROXY_PNG_*).
type PNGOptions struct {
	Interlaced bool
	Quantize   bool
	// QuantizationColors is the palette size when quantising, 2..256;
	// 0 means 256.
	QuantizationColors int
}

// WebPCompression is the WebP encoding method. The zero value is lossy.
type WebPCompression uint8

// WebP compression methods.
const (
	WebPLossy WebPCompression = iota
	WebPNearLossless
	WebPLossless
)

var webpCompressions = [...]string{"lossy", "near_lossless", "lossless"}

// String returns the option and variable value.
func (c WebPCompression) String() string { return webpCompressions[c] }

// WebPPreset is libwebp's content hint. The zero value is "default".
type WebPPreset uint8

// WebP presets, in libwebp's (and libvips') order.
const (
	WebPPresetDefault WebPPreset = iota
	WebPPresetPicture
	WebPPresetPhoto
	WebPPresetDrawing
	WebPPresetIcon
	WebPPresetText
)

var webpPresetNames = [...]string{"default", "picture", "photo", "drawing", "icon", "text"}

// String returns the option and variable value.
func (p WebPPreset) String() string { return webpPresetNames[p] }

// WebPOptions are the WebP encoder settings (webp_options,
// IMGPROXY_WEBP_*).
type WebPOptions struct {
	Compression    WebPCompression
	SmartSubsample bool
	Preset         WebPPreset
}

// AVIFSubsample says when AVIF chroma is subsampled. The zero value is
// auto (below quality 90).
type AVIFSubsample uint8

// AVIF subsampling modes.
const (
	AVIFSubsampleAuto AVIFSubsample = iota
	AVIFSubsampleOn
	AVIFSubsampleOff
)

var avifSubsamples = [...]string{"auto", "on", "off"}

// String returns the option and variable value.
func (s AVIFSubsample) String() string { return avifSubsamples[s] }

// AVIFOptions are the AVIF encoder settings (avif_options,
// IMGPROXY_AVIF_SUBSAMPLE).
type AVIFOptions struct {
	Subsample AVIFSubsample
}

// Encoding holds every encoder's settings; the server defaults come from
// ParserConfig.Defaults (IMGPROXY_JPEG_*, _PNG_*, _WEBP_*, _AVIF_*), the
// *_options processing options change them per request.
type Encoding struct {
	JPEG JPEGOptions
	PNG  PNGOptions
	WebP WebPOptions
	AVIF AVIFOptions
}

// ParseWebPCompression, ParseWebPPreset and ParseAVIFSubsample map the
// option and variable values to their types.
func ParseWebPCompression(s string) (WebPCompression, bool) {
	return lookupName[WebPCompression](webpCompressions[:], s)
}

// ParseWebPPreset: see ParseWebPCompression.
func ParseWebPPreset(s string) (WebPPreset, bool) {
	return lookupName[WebPPreset](webpPresetNames[:], s)
}

// ParseAVIFSubsample: see ParseWebPCompression.
func ParseAVIFSubsample(s string) (AVIFSubsample, bool) {
	return lookupName[AVIFSubsample](avifSubsamples[:], s)
}

func lookupName[T ~uint8](names []string, s string) (T, bool) {
	for i, n := range names {
		if s == n {
			return T(i), true
		}
	}
	return 0, false
}

// FlattensAlpha reports whether the background option removes
// transparency: a background is set and background_alpha does not make it
// translucent.
func (o *Options) FlattensAlpha() bool {
	return o.HasBackground && !(o.HasBackgroundAlpha && o.BackgroundAlpha < 1)
}

// --- parse functions (entries in pro.go) ---

// floatIn parses a number in [lo, hi].
func floatIn(name, a []byte, lo, hi float64) (float64, error) {
	v, err := parseFloat(a)
	if err != nil || v < lo || v > hi {
		return 0, invalid("invalid %s %q: want a number in [%v, %v]", name, a, lo, hi)
	}
	return v, nil
}

// positiveFactor parses a factor in (0, hi].
func positiveFactor(name, a []byte, hi float64) (float64, error) {
	v, err := parseFloat(a)
	if err != nil || v <= 0 || v > hi {
		return 0, invalid("invalid %s %q: want a number in (0, %v]", name, a, hi)
	}
	return v, nil
}

// colorArg parses an optional hex colour argument; an empty or missing
// one gives def.
func colorArg(name []byte, args [][]byte, i int, def Color) (Color, error) {
	if i >= len(args) || len(args[i]) == 0 {
		return def, nil
	}
	c, ok := parseHexColor(args[i])
	if !ok {
		return Color{}, invalid("invalid %s color %q: want hex RGB or RRGGBB", name, args[i])
	}
	return c, nil
}

func parseResizingAlgorithm(st *parseState, name []byte, args [][]byte) error {
	a, ok := lookupName[ResizingAlgorithm](resizingAlgorithms[:], b2s(args[0]))
	if !ok {
		return invalid("invalid %s %q: want nearest, linear, cubic, lanczos2 or lanczos3", name, args[0])
	}
	st.o.ResizingAlgorithm = a
	return nil
}

func parseCropAspectRatio(st *parseState, name []byte, args [][]byte) error {
	v, err := parseFloat(args[0])
	if err != nil || v < 0 || v > float64(DefaultMaxDimension) {
		return invalid("invalid %s %q: want a ratio >= 0", name, args[0])
	}
	c := CropAspectRatio{Ratio: v}
	if len(args) > 1 {
		c.Enlarge = parseBool(args[1])
	}
	st.o.CropAspectRatio = c
	return nil
}

func parseBackgroundAlpha(st *parseState, name []byte, args [][]byte) error {
	v, err := floatIn(name, args[0], 0, 1)
	if err != nil {
		return err
	}
	st.o.BackgroundAlpha, st.o.HasBackgroundAlpha = v, true
	return nil
}

var (
	nameBrightness = []byte("brightness")
	nameContrast   = []byte("contrast")
	nameSaturation = []byte("saturation")
)

// parseAdjust is the meta option brightness:contrast:saturation; empty
// or missing slots leave their setting as it is.
func parseAdjust(st *parseState, _ []byte, args [][]byte) error {
	parts := [3]func(*parseState, []byte, [][]byte) error{parseBrightness, parseContrast, parseSaturation}
	names := [3][]byte{nameBrightness, nameContrast, nameSaturation}
	for i, a := range args {
		if len(a) == 0 {
			continue
		}
		if err := parts[i](st, names[i], args[i:i+1]); err != nil {
			return err
		}
	}
	return nil
}

func parseBrightness(st *parseState, name []byte, args [][]byte) error {
	v, err := parseInt(args[0])
	if err != nil || v < -255 || v > 255 {
		return invalid("invalid %s %q: want an integer in -255..255", name, args[0])
	}
	st.o.Adjust.Brightness = int(v)
	return nil
}

func parseContrast(st *parseState, name []byte, args [][]byte) error {
	v, err := positiveFactor(name, args[0], MaxAdjustFactor)
	if err != nil {
		return err
	}
	st.o.Adjust.Contrast = v
	return nil
}

func parseSaturation(st *parseState, name []byte, args [][]byte) error {
	v, err := positiveFactor(name, args[0], MaxAdjustFactor)
	if err != nil {
		return err
	}
	st.o.Adjust.Saturation = v
	return nil
}

// Default colours of the colour options (imgproxy's documented defaults).
var (
	monochromeDefault = Color{0xb3, 0xb3, 0xb3}
	colorBlack        = Color{}
	colorWhite        = Color{255, 255, 255}
)

func parseMonochrome(st *parseState, name []byte, args [][]byte) error {
	v, err := floatIn(name, args[0], 0, 1)
	if err != nil {
		return err
	}
	c, err := colorArg(name, args, 1, monochromeDefault)
	if err != nil {
		return err
	}
	st.o.Monochrome = Monochrome{Intensity: v, Color: c}
	return nil
}

func parseDuotone(st *parseState, name []byte, args [][]byte) error {
	v, err := floatIn(name, args[0], 0, 1)
	if err != nil {
		return err
	}
	dark, err := colorArg(name, args, 1, colorBlack)
	if err != nil {
		return err
	}
	light, err := colorArg(name, args, 2, colorWhite)
	if err != nil {
		return err
	}
	st.o.Duotone = Duotone{Intensity: v, Dark: dark, Light: light}
	return nil
}

func parseColorize(st *parseState, name []byte, args [][]byte) error {
	v, err := floatIn(name, args[0], 0, 1)
	if err != nil {
		return err
	}
	c, err := colorArg(name, args, 1, colorBlack)
	if err != nil {
		return err
	}
	st.o.Colorize = Colorize{Opacity: v, Color: c, KeepAlpha: len(args) > 2 && parseBool(args[2])}
	return nil
}

// parseRamp parses direction:start:stop (each optional: down, 0, 1).
// The direction is down, up, left, right or degrees clockwise from down.
func parseRamp(name []byte, args [][]byte) (Ramp, error) {
	r := Ramp{Stop: 1}
	if len(args) > 0 && len(args[0]) > 0 {
		switch string(args[0]) {
		case "down":
		case "left":
			r.Angle = 90
		case "up":
			r.Angle = 180
		case "right":
			r.Angle = 270
		default:
			v, err := parseFloat(args[0])
			if err != nil || math.Abs(v) > 1e6 {
				return r, invalid("invalid %s direction %q: want down, up, left, right or degrees", name, args[0])
			}
			r.Angle = math.Mod(math.Mod(v, 360)+360, 360)
		}
	}
	var err error
	if len(args) > 1 && len(args[1]) > 0 {
		if r.Start, err = floatIn(name, args[1], 0, 1); err != nil {
			return r, err
		}
	}
	if len(args) > 2 && len(args[2]) > 0 {
		if r.Stop, err = floatIn(name, args[2], 0, 1); err != nil {
			return r, err
		}
	}
	if r.Start > r.Stop {
		return r, invalid("invalid %s: start %v is after stop %v", name, r.Start, r.Stop)
	}
	return r, nil
}

func parseGradient(st *parseState, name []byte, args [][]byte) error {
	v, err := floatIn(name, args[0], 0, 1)
	if err != nil {
		return err
	}
	c, err := colorArg(name, args, 1, colorBlack)
	if err != nil {
		return err
	}
	var r Ramp
	if r, err = parseRamp(name, args[min(2, len(args)):]); err != nil {
		return err
	}
	st.o.Gradient = Gradient{Opacity: v, Color: c, Ramp: r}
	return nil
}

func parseProgressiveBlur(st *parseState, name []byte, args [][]byte) error {
	v, err := floatIn(name, args[0], 0, MaxBlurSigma)
	if err != nil {
		return err
	}
	r, err := parseRamp(name, args[1:])
	if err != nil {
		return err
	}
	st.o.ProgressiveBlur = ProgressiveBlur{Sigma: v, Ramp: r}
	return nil
}

// parseBlurAreas takes sigma then left:top:width:height per area
// (fractions of the image, in [0, 1]).
func parseBlurAreas(st *parseState, name []byte, args [][]byte) error {
	sigma, err := floatIn(name, args[0], 0, MaxBlurSigma)
	if err != nil {
		return err
	}
	rest := args[1:]
	if len(rest)%4 != 0 {
		return invalid("invalid %s: want sigma then left:top:width:height per area, got %d numbers", name, len(rest))
	}
	if len(rest)/4 > MaxBlurAreas {
		return invalid("invalid %s: %d areas, at most %d", name, len(rest)/4, MaxBlurAreas)
	}
	b := BlurAreas{Sigma: sigma, N: len(rest) / 4}
	for i := range b.N {
		var v [4]float64
		for j := range v {
			if v[j], err = floatIn(name, rest[4*i+j], 0, 1); err != nil {
				return err
			}
		}
		b.Areas[i] = Area{Left: float32(v[0]), Top: float32(v[1]), Width: float32(v[2]), Height: float32(v[3])}
	}
	st.o.BlurAreas = b
	return nil
}

// parseUnsharpMasking takes mode:weight:divider; empty or missing slots
// keep the current values (IMGPROXY_UNSHARP_MASKING_* by default).
func parseUnsharpMasking(st *parseState, name []byte, args [][]byte) error {
	u := st.o.UnsharpMasking
	if len(args[0]) > 0 {
		m, ok := ParseUnsharpMode(b2s(args[0]))
		if !ok {
			return invalid("invalid %s mode %q: want auto, none or always", name, args[0])
		}
		u.Mode = m
	}
	var err error
	if len(args) > 1 && len(args[1]) > 0 {
		if u.Weight, err = positiveFactor(name, args[1], MaxUnsharpWeight); err != nil {
			return err
		}
	}
	if len(args) > 2 && len(args[2]) > 0 {
		if u.Divider, err = positiveFactor(name, args[2], math.MaxFloat32); err != nil {
			return err
		}
	}
	st.o.UnsharpMasking = u
	return nil
}

// parseColorProfile takes srgb, cmyk or the (percent-encoded) name of a
// profile file in IMGPROXY_COLOR_PROFILES_DIR; the file is looked up when
// the image is processed. Names that could leave the directory are
// refused here.
func parseColorProfile(st *parseState, name []byte, args [][]byte) error {
	s, err := url.PathUnescape(string(args[0]))
	if err != nil || !ValidColorProfileName(s) {
		return invalid("invalid %s %q: want srgb, cmyk or a profile file name", name, clip(args[0]))
	}
	st.o.ColorProfile = s
	return nil
}

// ValidColorProfileName reports whether s can name a color_profile: "" (none),
// srgb, cmyk, or a plain file name (no path separators, not "." or "..",
// no control characters, at most 255 bytes).
func ValidColorProfileName(s string) bool {
	if len(s) > 255 || s == "." || s == ".." || strings.ContainsAny(s, `/\`) {
		return false
	}
	for i := range len(s) {
		if s[i] < 0x20 || s[i] == 0x7f {
			return false
		}
	}
	return true
}

func parseDPI(st *parseState, name []byte, args [][]byte) error {
	v, err := floatIn(name, args[0], 0, MaxDPI)
	if err != nil {
		return err
	}
	st.o.DPI = v
	return nil
}

// parseJPEGOptions takes progressive:no_subsample:trellis_quant:
// overshoot_deringing:optimize_scans:quant_table; empty or missing slots
// keep the current values (IMGPROXY_JPEG_* by default).
func parseJPEGOptions(st *parseState, name []byte, args [][]byte) error {
	j := &st.o.Encoding.JPEG
	flags := [...]*bool{&j.Progressive, &j.NoSubsample, &j.TrellisQuant, &j.OvershootDeringing, &j.OptimizeScans}
	for i, a := range args {
		switch {
		case len(a) == 0:
		case i < len(flags):
			*flags[i] = parseBool(a)
		default:
			v, err := parseInt(a)
			if err != nil || v < 0 || v > 8 {
				return invalid("invalid %s quant_table %q: want an integer in 0..8", name, a)
			}
			j.QuantTable = int(v)
		}
	}
	return nil
}

// parsePNGOptions takes interlaced:quantize:quantization_colors.
func parsePNGOptions(st *parseState, name []byte, args [][]byte) error {
	p := &st.o.Encoding.PNG
	if len(args[0]) > 0 {
		p.Interlaced = parseBool(args[0])
	}
	if len(args) > 1 && len(args[1]) > 0 {
		p.Quantize = parseBool(args[1])
	}
	if len(args) > 2 && len(args[2]) > 0 {
		v, err := parseInt(args[2])
		if err != nil || v < 2 || v > 256 {
			return invalid("invalid %s quantization_colors %q: want an integer in 2..256", name, args[2])
		}
		p.QuantizationColors = int(v)
	}
	return nil
}

// parseWebPOptions takes compression:smart_subsample:preset.
func parseWebPOptions(st *parseState, name []byte, args [][]byte) error {
	w := &st.o.Encoding.WebP
	if len(args[0]) > 0 {
		c, ok := ParseWebPCompression(b2s(args[0]))
		if !ok {
			return invalid("invalid %s compression %q: want lossy, near_lossless or lossless", name, args[0])
		}
		w.Compression = c
	}
	if len(args) > 1 && len(args[1]) > 0 {
		w.SmartSubsample = parseBool(args[1])
	}
	if len(args) > 2 && len(args[2]) > 0 {
		p, ok := ParseWebPPreset(b2s(args[2]))
		if !ok {
			return invalid("invalid %s preset %q: want default, photo, picture, drawing, icon or text", name, args[2])
		}
		w.Preset = p
	}
	return nil
}

// parseAVIFOptions takes subsample.
func parseAVIFOptions(st *parseState, name []byte, args [][]byte) error {
	if len(args[0]) == 0 {
		return nil
	}
	s, ok := ParseAVIFSubsample(b2s(args[0]))
	if !ok {
		return invalid("invalid %s subsample %q: want auto, on or off", name, args[0])
	}
	st.o.Encoding.AVIF.Subsample = s
	return nil
}

func parsePage(st *parseState, name []byte, args [][]byte) error {
	v, err := parseInt(args[0])
	if err != nil || v < 0 || v > math.MaxInt32 {
		return invalid("invalid %s %q: want an integer >= 0", name, args[0])
	}
	st.o.Page = int(v)
	return nil
}

func parsePages(st *parseState, name []byte, args [][]byte) error {
	v, err := parseInt(args[0])
	if err != nil || v < 1 || v > MaxPages {
		return invalid("invalid %s %q: want an integer in 1..%d", name, args[0], MaxPages)
	}
	st.o.Pages = int(v)
	return nil
}

// appendProImageKey appends the imgproxy Pro image options to a
// coalescing key (Options.AppendKey).
func (o *Options) appendProImageKey(dst []byte) []byte {
	dst = appendInts(dst, int64(o.ResizingAlgorithm), int64(o.Adjust.Brightness), int64(o.Page), int64(o.Pages))
	dst = appendFloats(dst, o.CropAspectRatio.Ratio, o.BackgroundAlpha, o.Adjust.Contrast, o.Adjust.Saturation, o.DPI)
	dst = appendBools(dst, o.CropAspectRatio.Enlarge, o.HasBackgroundAlpha, o.Colorize.KeepAlpha, o.DisableAnimation)
	dst = appendFloats(dst, o.Monochrome.Intensity, o.Duotone.Intensity, o.Colorize.Opacity, o.Gradient.Opacity)
	dst = o.Monochrome.Color.appendKey(dst)
	dst = o.Duotone.Dark.appendKey(dst)
	dst = o.Duotone.Light.appendKey(dst)
	dst = o.Colorize.Color.appendKey(dst)
	dst = o.Gradient.Color.appendKey(dst)
	dst = o.Gradient.Ramp.appendKey(dst)
	dst = appendInts(dst, int64(o.UnsharpMasking.Mode))
	dst = appendFloats(dst, o.UnsharpMasking.Weight, o.UnsharpMasking.Divider, o.ProgressiveBlur.Sigma)
	dst = o.ProgressiveBlur.Ramp.appendKey(dst)
	dst = appendFloats(dst, o.BlurAreas.Sigma)
	dst = appendInts(dst, int64(o.BlurAreas.N))
	for i := range o.BlurAreas.Areas {
		a := &o.BlurAreas.Areas[i]
		for _, v := range [4]float32{a.Left, a.Top, a.Width, a.Height} {
			dst = binary.LittleEndian.AppendUint32(dst, math.Float32bits(v))
		}
	}
	dst = appendString(dst, o.ColorProfile)
	e := &o.Encoding
	dst = appendBools(dst, e.JPEG.Progressive, e.JPEG.NoSubsample, e.JPEG.TrellisQuant, e.JPEG.OvershootDeringing,
		e.JPEG.OptimizeScans, e.PNG.Interlaced, e.PNG.Quantize, e.WebP.SmartSubsample)
	return appendInts(dst, int64(e.JPEG.QuantTable), int64(e.PNG.QuantizationColors), int64(e.WebP.Compression),
		int64(e.WebP.Preset), int64(e.AVIF.Subsample))
}

func (r *Ramp) appendKey(dst []byte) []byte { return appendFloats(dst, r.Angle, r.Start, r.Stop) }
