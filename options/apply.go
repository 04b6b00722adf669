package options

import (
	"bytes"
	"encoding/base64"
	"math"
	"strconv"
	"strings"
	"time"
)

type optID uint8

const (
	optUnknown optID = iota
	optResize
	optSize
	optResizingType
	optWidth
	optHeight
	optMinWidth
	optMinHeight
	optZoom
	optDpr
	optEnlarge
	optExtend
	optExtendAspectRatio
	optGravity
	optCrop
	optTrim
	optPadding
	optAutoRotate
	optRotate
	optFlip
	optBackground
	optBlur
	optSharpen
	optPixelate
	optWatermark
	optStripMetadata
	optKeepCopyright
	optStripColorProfile
	optPreserveHDR
	optEnforceThumbnail
	optQuality
	optFormatQuality
	optMaxBytes
	optFormat
	optSkipProcessing
	optRaw
	optCacheBuster
	optExpires
	optFilename
	optReturnAttachment
	optPreset
	optMaxSrcResolution
	optMaxSrcFileSize
	optMaxAnimationFrames
	optMaxAnimationFrameResolution
	optMaxResultDimension
	optPro // imgproxy Pro only: rejected like an unknown option
)

// optionIDs maps every name and alias of url-api.md §4 (and the Pro-only
// names of §8) to its option. Read-only after init.
var optionIDs = map[string]optID{
	"resize": optResize, "rs": optResize,
	"size": optSize, "s": optSize,
	"resizing_type": optResizingType, "rt": optResizingType,
	"width": optWidth, "w": optWidth,
	"height": optHeight, "h": optHeight,
	"min-width": optMinWidth, "mw": optMinWidth,
	"min-height": optMinHeight, "mh": optMinHeight,
	"zoom": optZoom, "z": optZoom,
	"dpr":     optDpr,
	"enlarge": optEnlarge, "el": optEnlarge,
	"extend": optExtend, "ex": optExtend,
	"extend_aspect_ratio": optExtendAspectRatio, "extend_ar": optExtendAspectRatio, "exar": optExtendAspectRatio,
	"gravity": optGravity, "g": optGravity,
	"crop": optCrop, "c": optCrop,
	"trim": optTrim, "t": optTrim,
	"padding": optPadding, "pd": optPadding,
	"auto_rotate": optAutoRotate, "ar": optAutoRotate,
	"rotate": optRotate, "rot": optRotate,
	"flip": optFlip, "fl": optFlip,
	"background": optBackground, "bg": optBackground,
	"blur": optBlur, "bl": optBlur,
	"sharpen": optSharpen, "sh": optSharpen,
	"pixelate": optPixelate, "pix": optPixelate,
	"watermark": optWatermark, "wm": optWatermark,
	"strip_metadata": optStripMetadata, "sm": optStripMetadata,
	"keep_copyright": optKeepCopyright, "kcr": optKeepCopyright,
	"strip_color_profile": optStripColorProfile, "scp": optStripColorProfile,
	"preserve_hdr": optPreserveHDR, "ph": optPreserveHDR,
	"enforce_thumbnail": optEnforceThumbnail, "eth": optEnforceThumbnail,
	"quality": optQuality, "q": optQuality,
	"format_quality": optFormatQuality, "fq": optFormatQuality,
	"max_bytes": optMaxBytes, "mb": optMaxBytes,
	"format": optFormat, "f": optFormat, "ext": optFormat,
	"skip_processing": optSkipProcessing, "skp": optSkipProcessing,
	"raw":         optRaw,
	"cachebuster": optCacheBuster, "cb": optCacheBuster,
	"expires": optExpires, "exp": optExpires,
	"filename": optFilename, "fn": optFilename,
	"return_attachment": optReturnAttachment, "att": optReturnAttachment,
	"preset": optPreset, "pr": optPreset,
	"max_src_resolution": optMaxSrcResolution, "msr": optMaxSrcResolution,
	"max_src_file_size": optMaxSrcFileSize, "msfs": optMaxSrcFileSize,
	"max_animation_frames": optMaxAnimationFrames, "maf": optMaxAnimationFrames,
	"max_animation_frame_resolution": optMaxAnimationFrameResolution, "mafr": optMaxAnimationFrameResolution,
	"max_result_dimension": optMaxResultDimension, "mrd": optMaxResultDimension,

	// Pro-only (url-api.md §8): recognised only to say so in the error.
	"resizing_algorithm": optPro, "ra": optPro,
	"objects_position": optPro, "obj_pos": optPro, "op": optPro,
	"crop_aspect_ratio": optPro, "crop_ar": optPro, "car": optPro,
	"background_alpha": optPro, "bga": optPro,
	"adjust": optPro, "a": optPro,
	"brightness": optPro, "br": optPro,
	"contrast": optPro, "co": optPro,
	"saturation": optPro, "sa": optPro,
	"monochrome": optPro, "mc": optPro,
	"duotone": optPro, "dt": optPro,
	"unsharp_masking": optPro, "ush": optPro,
	"blur_areas": optPro, "ba": optPro,
	"progressive_blur": optPro, "pbl": optPro,
	"blur_detections": optPro, "bd": optPro,
	"draw_detections": optPro, "dd": optPro,
	"crop_objects": optPro,
	"colorize":     optPro, "col": optPro,
	"gradient": optPro, "gr": optPro,
	"watermark_url": optPro, "wmu": optPro,
	"watermark_text": optPro, "wmt": optPro,
	"watermark_size": optPro, "wms": optPro,
	"watermark_rotate": optPro, "wm_rot": optPro, "wmr": optPro,
	"watermark_shadow": optPro, "wmsh": optPro,
	"style": optPro, "st": optPro,
	"dpi":           optPro,
	"color_profile": optPro, "cp": optPro, "icc": optPro,
	"autoquality": optPro, "aq": optPro,
	"jpeg_options": optPro, "jpgo": optPro,
	"png_options": optPro, "pngo": optPro,
	"webp_options": optPro, "webpo": optPro,
	"avif_options": optPro, "avifo": optPro,
	"page": optPro, "pg": optPro,
	"pages": optPro, "pgs": optPro,
	"disable_animation": optPro, "da": optPro,
	"video_thumbnail_second": optPro, "vts": optPro,
	"video_thumbnail_keyframes": optPro, "vtk": optPro,
	"video_thumbnail_tile": optPro, "vtt": optPro,
	"video_thumbnail_animation": optPro, "vta": optPro,
	"fallback_image_url": optPro, "fiu": optPro,
	"bypass_cache": optPro, "bc": optPro,
	"cache_tags": optPro, "ct": optPro,
	"hashsum": optPro, "hs": optPro,
}

// parseState is the per-Parse scratch state; it lives on the stack.
type parseState struct {
	p          *Parser
	o          *Options
	now        time.Time // for expires; zero = time.Now() when first needed
	fromPreset bool      // options come from a preset: exempt from the allow-list
	chain      [16]int   // presets being expanded (loop protection, nesting limit)
	depth      int
}

func invalid(format string, args ...any) error { return Errorf(KindInvalidURL, format, args...) }

// applySegment applies one "name<sep>arg<sep>arg" segment.
func (st *parseState) applySegment(seg []byte) error {
	i := st.p.indexSep(seg)
	name := seg[:i]
	var buf [16][]byte
	args := st.p.splitArgs(buf[:0], seg[i+len(st.p.sep):])
	id := optionIDs[b2s(name)]
	if id == optUnknown {
		return invalid("unknown processing option %q", name)
	}
	if id == optPro {
		return invalid("processing option %q is only available in imgproxy pro", name)
	}
	if st.p.allowed != nil && !st.fromPreset {
		if _, ok := st.p.allowed[b2s(name)]; !ok {
			return invalid("processing option %q is not allowed", name)
		}
	}
	return st.apply(id, name, args)
}

func (p *Parser) splitArgs(dst [][]byte, s []byte) [][]byte {
	for {
		i := p.indexSep(s)
		if i < 0 {
			return append(dst, s)
		}
		dst = append(dst, s[:i])
		s = s[i+len(p.sep):]
	}
}

// indexSep finds the argument separator. Option segments are a few bytes
// long, where a plain loop beats the vectorised bytes.IndexByte set-up.
func (p *Parser) indexSep(s []byte) int {
	if len(p.sep) != 1 {
		return bytes.Index(s, p.sep)
	}
	c := p.sep[0]
	for i := range s {
		if s[i] == c {
			return i
		}
	}
	return -1
}

func maxArgs(name []byte, args [][]byte, n int) error {
	if len(args) > n {
		return invalid("too many arguments for %q: %d, at most %d", name, len(args), n)
	}
	return nil
}

func (st *parseState) apply(id optID, name []byte, args [][]byte) error {
	o := st.o
	p := st.p
	switch id {
	case optResize:
		if err := maxArgs(name, args, 8); err != nil {
			return err
		}
		if len(args[0]) > 0 {
			if err := st.resizingType(args[0]); err != nil {
				return err
			}
		}
		if len(args) > 1 {
			return st.size(args[1:])
		}
		return nil
	case optSize:
		if err := maxArgs(name, args, 7); err != nil {
			return err
		}
		return st.size(args)
	case optResizingType:
		if err := maxArgs(name, args, 1); err != nil {
			return err
		}
		return st.resizingType(args[0])
	case optWidth, optHeight, optMinWidth, optMinHeight:
		if err := maxArgs(name, args, 1); err != nil {
			return err
		}
		v, err := st.dimension(name, args[0])
		if err != nil {
			return err
		}
		switch id {
		case optWidth:
			o.Width = v
		case optHeight:
			o.Height = v
		case optMinWidth:
			o.MinWidth = v
		default:
			o.MinHeight = v
		}
		return nil
	case optZoom:
		if err := maxArgs(name, args, 2); err != nil {
			return err
		}
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
		o.ZoomX, o.ZoomY = x, y
		return nil
	case optDpr:
		if err := maxArgs(name, args, 1); err != nil {
			return err
		}
		v, err := parseFloat(args[0])
		if err != nil || v <= 0 || v > MaxDpr {
			return invalid("invalid %s %q: want a number in (0, %d]", name, args[0], MaxDpr)
		}
		o.Dpr = v
		return nil
	case optEnlarge:
		return boolOpt(name, args, &o.Enlarge)
	case optExtend, optExtendAspectRatio:
		if err := maxArgs(name, args, 4); err != nil {
			return err
		}
		e := &o.Extend
		if id == optExtendAspectRatio {
			e = &o.ExtendAspectRatio
		}
		return extend(name, args, e)
	case optGravity:
		return parseGravity(name, args, &o.Gravity, gravityAll)
	case optCrop:
		if err := maxArgs(name, args, 5); err != nil {
			return err
		}
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
		o.Crop = c
		return nil
	case optTrim:
		if err := maxArgs(name, args, 4); err != nil {
			return err
		}
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
	case optPadding:
		if err := maxArgs(name, args, 4); err != nil {
			return err
		}
		// CSS shorthand as imgproxy applies it: an empty or missing slot
		// copies its partner (right<-top, bottom<-top, left<-right).
		pd := &o.Padding
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
	case optAutoRotate:
		return boolOpt(name, args, &o.AutoRotate)
	case optRotate:
		if err := maxArgs(name, args, 1); err != nil {
			return err
		}
		v, err := parseInt(args[0])
		if err != nil || v%90 != 0 {
			return invalid("invalid rotation %q: want a multiple of 90", args[0])
		}
		o.Rotate = int((v%360 + 360) % 360)
		return nil
	case optFlip:
		if err := maxArgs(name, args, 2); err != nil {
			return err
		}
		if len(args[0]) > 0 {
			o.FlipH = parseBool(args[0])
		}
		if len(args) > 1 && len(args[1]) > 0 {
			o.FlipV = parseBool(args[1])
		}
		return nil
	case optBackground:
		return background(name, args, o)
	case optBlur, optSharpen:
		if err := maxArgs(name, args, 1); err != nil {
			return err
		}
		limit, dst := float64(MaxBlurSigma), &o.Blur
		if id == optSharpen {
			limit, dst = MaxSharpenSigma, &o.Sharpen
		}
		v, err := parseFloat(args[0])
		if err != nil || v < 0 || v > limit {
			return invalid("invalid %s sigma %q: want a number in [0, %v]", name, args[0], limit)
		}
		*dst = v
		return nil
	case optPixelate:
		if err := maxArgs(name, args, 1); err != nil {
			return err
		}
		v, err := st.dimension(name, args[0])
		if err != nil {
			return err
		}
		o.Pixelate = v
		return nil
	case optWatermark:
		return watermark(name, args, &o.Watermark)
	case optStripMetadata:
		return boolOpt(name, args, &o.StripMetadata)
	case optKeepCopyright:
		return boolOpt(name, args, &o.KeepCopyright)
	case optStripColorProfile:
		return boolOpt(name, args, &o.StripColorProfile)
	case optPreserveHDR:
		return boolOpt(name, args, &o.PreserveHDR)
	case optEnforceThumbnail:
		return boolOpt(name, args, &o.EnforceThumbnail)
	case optQuality:
		if err := maxArgs(name, args, 1); err != nil {
			return err
		}
		q, err := quality(args[0])
		if err != nil {
			return err
		}
		o.Quality = q
		return nil
	case optFormatQuality:
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
			o.FormatQuality[f] = q
		}
		return nil
	case optMaxBytes:
		if err := maxArgs(name, args, 1); err != nil {
			return err
		}
		v, err := parseInt(args[0])
		if err != nil || v < 0 || v > math.MaxInt32 {
			return invalid("invalid max_bytes %q: want an integer >= 0", args[0])
		}
		o.MaxBytes = int(v)
		return nil
	case optFormat:
		if err := maxArgs(name, args, 1); err != nil {
			return err
		}
		f, ok := ParseFormat(b2s(args[0]))
		if !ok {
			return invalid("unknown format %q", args[0])
		}
		o.Format = f
		return nil
	case optSkipProcessing:
		for _, a := range args {
			f, ok := ParseFormat(b2s(a))
			if !ok {
				return invalid("unknown format %q in skip_processing", a)
			}
			o.SkipProcessing = o.SkipProcessing.With(f)
		}
		return nil
	case optRaw:
		return boolOpt(name, args, &o.Raw)
	case optCacheBuster:
		if err := maxArgs(name, args, 1); err != nil {
			return err
		}
		o.CacheBuster = string(args[0])
		return nil
	case optExpires:
		if err := maxArgs(name, args, 1); err != nil {
			return err
		}
		v, err := parseInt(args[0])
		if err != nil {
			return invalid("invalid expires %q: want unix seconds", args[0])
		}
		if v <= 0 {
			o.Expires = time.Time{}
			return nil
		}
		t := time.Unix(v, 0)
		if st.now.IsZero() {
			st.now = time.Now() // only when needed: it costs on every request
		}
		if t.Before(st.now) {
			return invalid("expired url (expires %d)", v)
		}
		o.Expires = t
		return nil
	case optFilename:
		if err := maxArgs(name, args, 2); err != nil {
			return err
		}
		fn := string(args[0])
		if len(args) > 1 && parseBool(args[1]) {
			b, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(fn, "="))
			if err != nil {
				return invalid("invalid base64 filename %q", args[0])
			}
			fn = string(b)
		}
		o.Filename = strings.ReplaceAll(fn, `"`, "%22")
		return nil
	case optReturnAttachment:
		return boolOpt(name, args, &o.ReturnAttachment)
	case optPreset:
		for _, a := range args {
			if err := st.presetByName(a); err != nil {
				return err
			}
		}
		return nil
	case optMaxSrcResolution, optMaxSrcFileSize, optMaxAnimationFrames, optMaxAnimationFrameResolution, optMaxResultDimension:
		if !p.allowSec {
			return Errorf(KindSecurityOption, "security processing option %q is not allowed", name)
		}
		if err := maxArgs(name, args, 1); err != nil {
			return err
		}
		return securityOpt(id, name, args[0], &o.Limits)
	}
	return invalid("unknown processing option %q", name)
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

func (st *parseState) dimension(name, a []byte) (int, error) {
	v, err := parseInt(a)
	if err != nil || v < 0 || v > int64(st.p.maxDim) {
		return 0, invalid("invalid %s %q: want an integer in 0..%d", name, a, st.p.maxDim)
	}
	return int(v), nil
}

func zoomArg(name, a []byte) (float64, error) {
	v, err := parseFloat(a)
	if err != nil || v <= 0 || v > MaxZoom {
		return 0, invalid("invalid %s %q: want a number in (0, %d]", name, a, MaxZoom)
	}
	return v, nil
}

func quality(a []byte) (int, error) {
	v, err := parseInt(a)
	if err != nil || v < 0 || v > 100 {
		return 0, invalid("invalid quality %q: want an integer in 0..100", a)
	}
	return int(v), nil
}

func boolOpt(name []byte, args [][]byte, dst *bool) error {
	if err := maxArgs(name, args, 1); err != nil {
		return err
	}
	*dst = parseBool(args[0])
	return nil
}

func extend(name []byte, args [][]byte, e *Extend) error {
	e.Enabled = parseBool(args[0])
	if len(args) > 1 && len(args[1]) > 0 {
		return parseGravity(name, args[1:], &e.Gravity, gravityNoSmart)
	}
	return nil
}

func background(name []byte, args [][]byte, o *Options) error {
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

func watermark(name []byte, args [][]byte, w *Watermark) error {
	// imgproxy accepts up to 7 arguments (the last two are Pro-only and
	// ignored by the open-source edition); so do we.
	if err := maxArgs(name, args, 7); err != nil {
		return err
	}
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

func securityOpt(id optID, name, a []byte, l *Limits) error {
	switch id {
	case optMaxSrcResolution, optMaxAnimationFrameResolution:
		v, err := parseFloat(a)
		if err != nil || v < 0 || v > 1e9 {
			return invalid("invalid %s %q: want megapixels >= 0", name, a)
		}
		px := int64(math.Round(v * 1e6))
		if id == optMaxSrcResolution {
			l.MaxSrcResolution = px
		} else {
			l.MaxAnimationFrameResolution = px
		}
		return nil
	case optMaxSrcFileSize:
		v, err := parseInt(a)
		if err != nil || v < 0 {
			return invalid("invalid %s %q: want bytes >= 0", name, a)
		}
		l.MaxSrcFileSize = v
		return nil
	case optMaxAnimationFrames:
		v, err := parseInt(a)
		if err != nil || v < 1 || v > math.MaxInt32 {
			return invalid("invalid %s %q: want an integer > 0", name, a)
		}
		l.MaxAnimationFrames = int(v)
		return nil
	default: // optMaxResultDimension
		v, err := parseInt(a)
		if err != nil || v < 0 || v > math.MaxInt32 {
			return invalid("invalid %s %q: want pixels >= 0", name, a)
		}
		l.MaxResultDimension = int(v)
		return nil
	}
}

// presetList applies a separator-joined list of preset names (only-presets mode).
func (st *parseState) presetList(seg []byte) error {
	var buf [16][]byte
	for _, name := range st.p.splitArgs(buf[:0], seg) {
		if err := st.presetByName(name); err != nil {
			return err
		}
	}
	return nil
}

func (st *parseState) presetByName(name []byte) error {
	i, ok := st.p.presetIndex[b2s(name)]
	if !ok {
		return invalid("unknown preset %q", name)
	}
	return st.applyPreset(i)
}

// applyPreset applies preset i unless it is already being expanded
// (imgproxy skips such self/loop references with a warning).
func (st *parseState) applyPreset(i int) error {
	for _, j := range st.chain[:st.depth] {
		if j == i {
			return nil
		}
	}
	if st.depth == len(st.chain) {
		return invalid("presets nested deeper than %d", len(st.chain))
	}
	st.chain[st.depth] = i
	st.depth++
	saved := st.fromPreset
	st.fromPreset = true
	defer func() {
		st.depth--
		st.fromPreset = saved
	}()
	for _, seg := range st.p.presets[i].segments {
		if err := st.applySegment(seg); err != nil {
			return err
		}
	}
	return nil
}

func pick(ok bool, v, fallback int) int {
	if ok {
		return v
	}
	return fallback
}

// parseBool is Go's ParseBool; anything else (incl. empty) is false, never an error.
func parseBool(a []byte) bool {
	switch string(a) {
	case "1", "t", "T", "true", "TRUE", "True":
		return true
	}
	return false
}

func parseInt(a []byte) (int64, error) {
	return strconv.ParseInt(b2s(a), 10, 64)
}

var errNotFinite = Errorf(KindInvalidURL, "number is not finite")

// parseFloat parses a decimal float and refuses NaN and infinities.
func parseFloat(a []byte) (float64, error) {
	v, err := strconv.ParseFloat(b2s(a), 64)
	if err != nil {
		return 0, err
	}
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, errNotFinite
	}
	return v, nil
}

func parseIntString(s string) (int64, error) { return strconv.ParseInt(s, 10, 64) }

// parseHexColor parses RGB or RRGGBB hex (any case, no "#").
func parseHexColor(a []byte) (Color, bool) {
	for _, c := range a {
		if !isHex(c) {
			return Color{}, false
		}
	}
	switch len(a) {
	case 3:
		return Color{unhex(a[0]) * 17, unhex(a[1]) * 17, unhex(a[2]) * 17}, true
	case 6:
		return Color{unhex(a[0])<<4 | unhex(a[1]), unhex(a[2])<<4 | unhex(a[3]), unhex(a[4])<<4 | unhex(a[5])}, true
	}
	return Color{}, false
}
