package options

import (
	"encoding/base64"
	"math"
	"strings"
	"time"
)

// optionTable lists the 45 processing options of imgproxy's open-source
// edition, in the order of docs/options.md. Each entry's parse function
// is small and sits below the table; shared argument parsers
// (gravity.go, apply.go) take the option name for their messages.
//
// To add an option: add a field to Options, an entry here with a parse
// function, and a line to docs/options.md. The name map, the allow-list
// check (IMGPROXY_ALLOWED_PROCESSING_OPTIONS) and the argument count
// follow from the entry.
var optionTable = []optionSpec{
	{name: "resize", aliases: []string{"rs"}, maxArgs: 8, parse: parseResize},
	{name: "size", aliases: []string{"s"}, maxArgs: 7, parse: func(st *parseState, _ []byte, args [][]byte) error { return st.size(args) }},
	{name: "resizing_type", aliases: []string{"rt"}, maxArgs: 1, parse: func(st *parseState, _ []byte, args [][]byte) error { return st.resizingType(args[0]) }},
	{name: "width", aliases: []string{"w"}, maxArgs: 1, parse: dimensionField(func(o *Options) *int { return &o.Width })},
	{name: "height", aliases: []string{"h"}, maxArgs: 1, parse: dimensionField(func(o *Options) *int { return &o.Height })},
	{name: "min-width", aliases: []string{"mw"}, maxArgs: 1, parse: dimensionField(func(o *Options) *int { return &o.MinWidth })},
	{name: "min-height", aliases: []string{"mh"}, maxArgs: 1, parse: dimensionField(func(o *Options) *int { return &o.MinHeight })},
	{name: "zoom", aliases: []string{"z"}, maxArgs: 2, parse: parseZoom},
	{name: "dpr", maxArgs: 1, parse: parseDpr},
	{name: "enlarge", aliases: []string{"el"}, maxArgs: 1, parse: boolField(func(o *Options) *bool { return &o.Enlarge })},
	{name: "extend", aliases: []string{"ex"}, maxArgs: 4, parse: func(st *parseState, name []byte, args [][]byte) error { return extend(name, args, &st.o.Extend) }},
	{name: "extend_aspect_ratio", aliases: []string{"extend_ar", "exar"}, maxArgs: 4, parse: func(st *parseState, name []byte, args [][]byte) error {
		return extend(name, args, &st.o.ExtendAspectRatio)
	}},
	{name: "gravity", aliases: []string{"g"}, parse: func(st *parseState, name []byte, args [][]byte) error {
		return parseGravity(name, args, &st.o.Gravity, gravityAll)
	}},
	{name: "crop", aliases: []string{"c"}, maxArgs: 5, parse: parseCrop},
	{name: "trim", aliases: []string{"t"}, maxArgs: 4, parse: parseTrim},
	{name: "padding", aliases: []string{"pd"}, maxArgs: 4, parse: parsePadding},
	{name: "auto_rotate", aliases: []string{"ar"}, maxArgs: 1, parse: boolField(func(o *Options) *bool { return &o.AutoRotate })},
	{name: "rotate", aliases: []string{"rot"}, maxArgs: 1, parse: parseRotate},
	{name: "flip", aliases: []string{"fl"}, maxArgs: 2, parse: parseFlip},
	{name: "background", aliases: []string{"bg"}, parse: parseBackground},
	{name: "blur", aliases: []string{"bl"}, maxArgs: 1, parse: sigmaField(MaxBlurSigma, func(o *Options) *float64 { return &o.Blur })},
	{name: "sharpen", aliases: []string{"sh"}, maxArgs: 1, parse: sigmaField(MaxSharpenSigma, func(o *Options) *float64 { return &o.Sharpen })},
	{name: "pixelate", aliases: []string{"pix"}, maxArgs: 1, parse: dimensionField(func(o *Options) *int { return &o.Pixelate })},
	// imgproxy accepts up to 7 watermark arguments (the last two are
	// Pro-only and ignored by the open-source edition); so do we.
	{name: "watermark", aliases: []string{"wm"}, maxArgs: 7, parse: parseWatermark},
	{name: "strip_metadata", aliases: []string{"sm"}, maxArgs: 1, parse: boolField(func(o *Options) *bool { return &o.StripMetadata })},
	{name: "keep_copyright", aliases: []string{"kcr"}, maxArgs: 1, parse: boolField(func(o *Options) *bool { return &o.KeepCopyright })},
	{name: "strip_color_profile", aliases: []string{"scp"}, maxArgs: 1, parse: boolField(func(o *Options) *bool { return &o.StripColorProfile })},
	{name: "preserve_hdr", aliases: []string{"ph"}, maxArgs: 1, parse: boolField(func(o *Options) *bool { return &o.PreserveHDR })},
	{name: "enforce_thumbnail", aliases: []string{"eth"}, maxArgs: 1, parse: boolField(func(o *Options) *bool { return &o.EnforceThumbnail })},
	{name: "quality", aliases: []string{"q"}, maxArgs: 1, parse: parseQuality},
	{name: "format_quality", aliases: []string{"fq"}, parse: parseFormatQuality},
	{name: "max_bytes", aliases: []string{"mb"}, maxArgs: 1, parse: parseMaxBytes},
	{name: "format", aliases: []string{"f", "ext"}, maxArgs: 1, parse: parseFormatOption},
	{name: "skip_processing", aliases: []string{"skp"}, parse: parseSkipProcessing},
	{name: "raw", maxArgs: 1, parse: boolField(func(o *Options) *bool { return &o.Raw })},
	{name: "cachebuster", aliases: []string{"cb"}, maxArgs: 1, parse: func(st *parseState, _ []byte, args [][]byte) error {
		st.o.CacheBuster = string(args[0])
		return nil
	}},
	{name: "expires", aliases: []string{"exp"}, maxArgs: 1, parse: parseExpires},
	{name: "filename", aliases: []string{"fn"}, maxArgs: 2, parse: parseFilename},
	{name: "return_attachment", aliases: []string{"att"}, maxArgs: 1, parse: boolField(func(o *Options) *bool { return &o.ReturnAttachment })},
	{name: "preset", aliases: []string{"pr"}, parse: parsePresetOption},

	// Security options: refused unless IMGPROXY_ALLOW_SECURITY_OPTIONS.
	{name: "max_src_resolution", aliases: []string{"msr"}, maxArgs: 1, security: true,
		parse: megapixelsField(func(l *Limits) *int64 { return &l.MaxSrcResolution })},
	{name: "max_src_file_size", aliases: []string{"msfs"}, maxArgs: 1, security: true,
		parse: limitField(0, math.MaxInt64, "bytes >= 0", func(l *Limits) *int64 { return &l.MaxSrcFileSize })},
	{name: "max_animation_frames", aliases: []string{"maf"}, maxArgs: 1, security: true,
		parse: limitField(1, math.MaxInt32, "an integer > 0", func(l *Limits) *int { return &l.MaxAnimationFrames })},
	{name: "max_animation_frame_resolution", aliases: []string{"mafr"}, maxArgs: 1, security: true,
		parse: megapixelsField(func(l *Limits) *int64 { return &l.MaxAnimationFrameResolution })},
	{name: "max_result_dimension", aliases: []string{"mrd"}, maxArgs: 1, security: true,
		parse: limitField(0, math.MaxInt32, "pixels >= 0", func(l *Limits) *int { return &l.MaxResultDimension })},
}

// boolField parses one boolean argument into the field sel returns.
func boolField(sel func(*Options) *bool) func(*parseState, []byte, [][]byte) error {
	return func(st *parseState, _ []byte, args [][]byte) error {
		*sel(st.o) = parseBool(args[0])
		return nil
	}
}

// dimensionField parses one pixel size (0..max dimension) into the field
// sel returns.
func dimensionField(sel func(*Options) *int) func(*parseState, []byte, [][]byte) error {
	return func(st *parseState, name []byte, args [][]byte) error {
		v, err := st.dimension(name, args[0])
		if err != nil {
			return err
		}
		*sel(st.o) = v
		return nil
	}
}

// sigmaField parses a blur or sharpen sigma in [0, limit].
func sigmaField(limit float64, sel func(*Options) *float64) func(*parseState, []byte, [][]byte) error {
	return func(st *parseState, name []byte, args [][]byte) error {
		v, err := parseFloat(args[0])
		if err != nil || v < 0 || v > limit {
			return invalid("invalid %s sigma %q: want a number in [0, %v]", name, args[0], limit)
		}
		*sel(st.o) = v
		return nil
	}
}

// megapixelsField parses a resolution limit in megapixels into pixels.
func megapixelsField(sel func(*Limits) *int64) func(*parseState, []byte, [][]byte) error {
	return func(st *parseState, name []byte, args [][]byte) error {
		v, err := parseFloat(args[0])
		if err != nil || v < 0 || v > 1e9 {
			return invalid("invalid %s %q: want megapixels >= 0", name, args[0])
		}
		*sel(&st.o.Limits) = int64(math.Round(v * 1e6))
		return nil
	}
}

func parseResize(st *parseState, _ []byte, args [][]byte) error {
	if len(args[0]) > 0 {
		if err := st.resizingType(args[0]); err != nil {
			return err
		}
	}
	if len(args) > 1 {
		return st.size(args[1:])
	}
	return nil
}

func (st *parseState) resizingType(a []byte) error {
	switch string(a) {
	case "fit":
		st.o.ResizingType = ResizeFit
	case "fill":
		st.o.ResizingType = ResizeFill
	case "fill-down":
		st.o.ResizingType = ResizeFillDown
	case "force":
		st.o.ResizingType = ResizeForce
	case "auto":
		st.o.ResizingType = ResizeAuto
	default:
		return invalid("invalid resizing type %q", a)
	}
	return nil
}

var (
	nameWidth  = []byte("width")
	nameHeight = []byte("height")
	nameExtend = []byte("extend")
)

// size applies "w:h:enlarge:extend[:gravity[:x:y]]"; empty slots are skipped.
func (st *parseState) size(args [][]byte) error {
	o := st.o
	if len(args) > 7 {
		return invalid("too many size arguments: %d, at most 7", len(args))
	}
	if len(args[0]) > 0 {
		v, err := st.dimension(nameWidth, args[0])
		if err != nil {
			return err
		}
		o.Width = v
	}
	if len(args) > 1 && len(args[1]) > 0 {
		v, err := st.dimension(nameHeight, args[1])
		if err != nil {
			return err
		}
		o.Height = v
	}
	if len(args) > 2 && len(args[2]) > 0 {
		o.Enlarge = parseBool(args[2])
	}
	if len(args) > 3 && len(args[3]) > 0 {
		return extend(nameExtend, args[3:], &o.Extend)
	}
	return nil
}

func zoomArg(name, a []byte) (float64, error) {
	v, err := parseFloat(a)
	if err != nil || v <= 0 || v > MaxZoom {
		return 0, invalid("invalid %s %q: want a number in (0, %d]", name, a, MaxZoom)
	}
	return v, nil
}

func parseZoom(st *parseState, name []byte, args [][]byte) error {
	x, err := zoomArg(name, args[0])
	if err != nil {
		return err
	}
	y := x
	if len(args) == 2 {
		if y, err = zoomArg(name, args[1]); err != nil {
			return err
		}
	}
	st.o.ZoomX, st.o.ZoomY = x, y
	return nil
}

func parseDpr(st *parseState, name []byte, args [][]byte) error {
	v, err := parseFloat(args[0])
	if err != nil || v <= 0 || v > MaxDpr {
		return invalid("invalid %s %q: want a number in (0, %d]", name, args[0], MaxDpr)
	}
	st.o.Dpr = v
	return nil
}

func extend(name []byte, args [][]byte, e *Extend) error {
	e.Enabled = parseBool(args[0])
	if len(args) > 1 && len(args[1]) > 0 {
		return parseGravity(name, args[1:], &e.Gravity, gravityNoSmart)
	}
	return nil
}

func parseCrop(st *parseState, name []byte, args [][]byte) error {
	w, err := parseFloat(args[0])
	if err != nil || w < 0 {
		return invalid("invalid crop width %q: want a number >= 0", args[0])
	}
	h := 0.0
	if len(args) > 1 {
		if h, err = parseFloat(args[1]); err != nil || h < 0 {
			return invalid("invalid crop height %q: want a number >= 0", args[1])
		}
	}
	c := Crop{Width: w, Height: h}
	if len(args) > 2 && len(args[2]) > 0 {
		if err := parseGravity(name, args[2:], &c.Gravity, gravityAll); err != nil {
			return err
		}
		c.HasGravity = true
	}
	st.o.Crop = c
	return nil
}

func parseTrim(st *parseState, _ []byte, args [][]byte) error {
	o := st.o
	// equal_hor/equal_ver keep earlier values when omitted (as in imgproxy).
	t := Trim{EqualHor: o.Trim.EqualHor, EqualVer: o.Trim.EqualVer}
	if len(args[0]) > 0 {
		v, err := parseFloat(args[0])
		if err != nil || v < 0 {
			return invalid("invalid trim threshold %q: want a number >= 0", args[0])
		}
		t.Enabled, t.Threshold = true, v
	}
	if len(args) > 1 && len(args[1]) > 0 {
		c, ok := parseHexColor(args[1])
		if !ok {
			return invalid("invalid trim color %q: want hex RGB or RRGGBB", args[1])
		}
		t.Color, t.HasColor = c, true
	}
	if len(args) > 2 && len(args[2]) > 0 {
		t.EqualHor = parseBool(args[2])
	}
	if len(args) > 3 && len(args[3]) > 0 {
		t.EqualVer = parseBool(args[3])
	}
	o.Trim = t
	return nil
}

// parsePadding applies the CSS shorthand as imgproxy does: an empty or
// missing slot copies its partner (right<-top, bottom<-top, left<-right).
func parsePadding(st *parseState, name []byte, args [][]byte) error {
	pd := &st.o.Padding
	var vals [4]int
	var set [4]bool
	for i, a := range args {
		if len(a) == 0 {
			continue
		}
		v, err := st.dimension(name, a)
		if err != nil {
			return err
		}
		vals[i], set[i] = v, true
	}
	if set[0] {
		pd.Top = vals[0]
	}
	pd.Right = pick(set[1], vals[1], pd.Top)
	pd.Bottom = pick(set[2], vals[2], pd.Top)
	pd.Left = pick(set[3], vals[3], pd.Right)
	pd.Enabled = pd.Top > 0 || pd.Right > 0 || pd.Bottom > 0 || pd.Left > 0
	return nil
}

func pick(ok bool, v, fallback int) int {
	if ok {
		return v
	}
	return fallback
}

func parseRotate(st *parseState, _ []byte, args [][]byte) error {
	v, err := parseInt(args[0])
	if err != nil || v%90 != 0 {
		return invalid("invalid rotation %q: want a multiple of 90", args[0])
	}
	st.o.Rotate = int((v%360 + 360) % 360)
	return nil
}

func parseFlip(st *parseState, _ []byte, args [][]byte) error {
	if len(args[0]) > 0 {
		st.o.FlipH = parseBool(args[0])
	}
	if len(args) > 1 && len(args[1]) > 0 {
		st.o.FlipV = parseBool(args[1])
	}
	return nil
}

// parseBackground takes a hex colour (empty = none) or R:G:B.
func parseBackground(st *parseState, name []byte, args [][]byte) error {
	o := st.o
	switch len(args) {
	case 1:
		if len(args[0]) == 0 {
			o.Background, o.HasBackground = Color{}, false
			return nil
		}
		c, ok := parseHexColor(args[0])
		if !ok {
			return invalid("invalid background color %q: want hex RGB or RRGGBB", args[0])
		}
		o.Background, o.HasBackground = c, true
		return nil
	case 3:
		var rgb [3]uint8
		for i, a := range args {
			v, err := parseInt(a)
			if err != nil || v < 0 || v > 255 {
				return invalid("invalid background component %q: want an integer in 0..255", a)
			}
			rgb[i] = uint8(v)
		}
		o.Background, o.HasBackground = Color{rgb[0], rgb[1], rgb[2]}, true
		return nil
	}
	return invalid("invalid %s: want R:G:B or a hex color, got %d arguments", name, len(args))
}

func parseWatermark(st *parseState, _ []byte, args [][]byte) error {
	w := &st.o.Watermark
	v, err := parseFloat(args[0])
	if err != nil || v < 0 || v > 1 {
		return invalid("invalid watermark opacity %q: want a number in [0, 1]", args[0])
	}
	w.Opacity = v
	if len(args) > 1 && len(args[1]) > 0 {
		t, ok := gravityType(args[1])
		if !ok || !gravityWatermark.has(t) {
			return invalid("invalid watermark position %q", args[1])
		}
		w.Position.Type = t
	}
	if len(args) > 2 && len(args[2]) > 0 {
		v, err := parseFloat(args[2])
		if err != nil {
			return invalid("invalid watermark x offset %q", args[2])
		}
		w.Position.X = v
	}
	if len(args) > 3 && len(args[3]) > 0 {
		v, err := parseFloat(args[3])
		if err != nil {
			return invalid("invalid watermark y offset %q", args[3])
		}
		w.Position.Y = v
	}
	if len(args) > 4 && len(args[4]) > 0 {
		v, err := parseFloat(args[4])
		if err != nil || v < 0 || v > MaxWatermarkScale {
			return invalid("invalid watermark scale %q: want a number in [0, %d]", args[4], MaxWatermarkScale)
		}
		w.Scale = v
	}
	return nil
}

func quality(a []byte) (int, error) {
	v, err := parseInt(a)
	if err != nil || v < 0 || v > 100 {
		return 0, invalid("invalid quality %q: want an integer in 0..100", a)
	}
	return int(v), nil
}

func parseQuality(st *parseState, _ []byte, args [][]byte) error {
	q, err := quality(args[0])
	if err != nil {
		return err
	}
	st.o.Quality = q
	return nil
}

// parseFormatQuality takes format:quality pairs.
func parseFormatQuality(st *parseState, _ []byte, args [][]byte) error {
	if len(args)%2 != 0 {
		return invalid("format_quality needs format:quality pairs, got %d arguments", len(args))
	}
	for i := 0; i < len(args); i += 2 {
		f, ok := ParseFormat(b2s(args[i]))
		if !ok {
			return invalid("unknown format %q in format_quality", args[i])
		}
		q, err := quality(args[i+1])
		if err != nil {
			return err
		}
		st.o.FormatQuality[f] = q
	}
	return nil
}

func parseMaxBytes(st *parseState, _ []byte, args [][]byte) error {
	v, err := parseInt(args[0])
	if err != nil || v < 0 || v > math.MaxInt32 {
		return invalid("invalid max_bytes %q: want an integer >= 0", args[0])
	}
	st.o.MaxBytes = int(v)
	return nil
}

func parseFormatOption(st *parseState, _ []byte, args [][]byte) error {
	if !setOutputFormat(st.o, args[0]) {
		return invalid("unknown format %q", args[0])
	}
	return nil
}

func parseSkipProcessing(st *parseState, _ []byte, args [][]byte) error {
	for _, a := range args {
		f, ok := ParseFormat(b2s(a))
		if !ok {
			return invalid("unknown format %q in skip_processing", a)
		}
		st.o.SkipProcessing = st.o.SkipProcessing.With(f)
	}
	return nil
}

// parseExpires takes unix seconds; <= 0 clears the expiry, a past time is
// refused.
func parseExpires(st *parseState, _ []byte, args [][]byte) error {
	v, err := parseInt(args[0])
	if err != nil {
		return invalid("invalid expires %q: want unix seconds", args[0])
	}
	if v <= 0 {
		st.o.Expires = time.Time{}
		return nil
	}
	t := time.Unix(v, 0)
	if st.now.IsZero() {
		st.now = time.Now() // only when needed: it costs on every request
	}
	if t.Before(st.now) {
		return invalid("expired url (expires %d)", v)
	}
	st.o.Expires = t
	return nil
}

// parseFilename takes the name and whether it is base64url-encoded.
func parseFilename(st *parseState, _ []byte, args [][]byte) error {
	fn := string(args[0])
	if len(args) > 1 && parseBool(args[1]) {
		b, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(fn, "="))
		if err != nil {
			return invalid("invalid base64 filename %q", args[0])
		}
		fn = string(b)
	}
	st.o.Filename = strings.ReplaceAll(fn, `"`, "%22")
	return nil
}

func parsePresetOption(st *parseState, _ []byte, args [][]byte) error {
	for _, a := range args {
		if err := st.presetByName(a); err != nil {
			return err
		}
	}
	return nil
}

// limitField parses an integer security limit in [lo, hi] into the field
// sel returns; want describes the range in the error message.
func limitField[T int | int64](lo, hi int64, want string, sel func(*Limits) *T) func(*parseState, []byte, [][]byte) error {
	return func(st *parseState, name []byte, args [][]byte) error {
		v, err := parseInt(args[0])
		if err != nil || v < lo || v > hi {
			return invalid("invalid %s %q: want %s", name, args[0], want)
		}
		*sel(&st.o.Limits) = T(v)
		return nil
	}
}
