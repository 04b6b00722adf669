package options

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

const srcTail = "/plain/http://example.com/a.jpg"

func newParser(t testing.TB, cfg ParserConfig) *Parser {
	t.Helper()
	p, err := NewParser(cfg)
	if err != nil {
		t.Fatalf("NewParser: %v", err)
	}
	return p
}

// parseURL runs Split and Parse on a full request URI.
func parseURL(p *Parser, uri string, h Hints) (*Request, error) {
	_, path, err := p.Split([]byte(uri))
	if err != nil {
		return nil, err
	}
	var r Request
	if err := p.Parse(path, h, &r); err != nil {
		return nil, err
	}
	return &r, nil
}

func kindOf(err error) ErrorKind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return KindUnexpected
}

var fixedNow = time.Unix(1_700_000_000, 0)

type optCase struct {
	name string
	opts string           // options part, joined by "/"
	mut  func(o *Options) // expected change from the defaults (nil = none)
	kind ErrorKind        // expected error kind; 0 = success
}

func runOptCases(t *testing.T, p *Parser, cases []optCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			uri := "/insecure/" + tc.opts + srcTail
			r, err := parseURL(p, uri, Hints{Now: fixedNow})
			if tc.kind != 0 {
				if err == nil {
					t.Fatalf("%s: got no error; want kind %s", uri, tc.kind)
				}
				if k := kindOf(err); k != tc.kind {
					t.Fatalf("%s: got kind %s (%v); want %s", uri, k, err, tc.kind)
				}
				if msg := err.Error(); msg != strings.ToLower(msg[:1])+msg[1:] {
					t.Errorf("error %q should start lowercase", msg)
				}
				return
			}
			if err != nil {
				t.Fatalf("%s: got error %v; want nil", uri, err)
			}
			want := p.defaults
			if tc.mut != nil {
				tc.mut(&want)
			}
			if r.Options != want {
				t.Fatalf("%s:\ngot  %+v\nwant %+v", uri, r.Options, want)
			}
			if r.SourceURL != "http://example.com/a.jpg" {
				t.Fatalf("got source %q; want http://example.com/a.jpg", r.SourceURL)
			}
		})
	}
}

const bad = KindInvalidURL

func TestOptions(t *testing.T) {
	p := newParser(t, ParserConfig{})
	g := func(tp GravityType, x, y float64) Gravity { return Gravity{Type: tp, X: x, Y: y} }
	cases := []optCase{
		// resize / rs
		{"resize full", "resize:fill:300:400:1:1:so:10:20", func(o *Options) {
			o.ResizingType, o.Width, o.Height, o.Enlarge = ResizeFill, 300, 400, true
			o.Extend = Extend{Enabled: true, Gravity: g(GravitySouth, 10, 20)}
		}, 0},
		{"rs short", "rs:fit:300:300", func(o *Options) { o.Width, o.Height = 300, 300 }, 0},
		{"rs type only", "rs:force", func(o *Options) { o.ResizingType = ResizeForce }, 0},
		{"rs empty slots", "rs::100::1", func(o *Options) { o.Width, o.Enlarge = 100, true }, 0},
		{"rs only height", "rs:::100", func(o *Options) { o.Height = 100 }, 0},
		{"rs all empty", "rs:::::", nil, 0},
		{"rs fill-down", "rs:fill-down:10", func(o *Options) { o.ResizingType, o.Width = ResizeFillDown, 10 }, 0},
		{"rs auto", "rs:auto", func(o *Options) { o.ResizingType = ResizeAuto }, 0},
		{"rs bad type", "rs:crop:10", nil, bad},
		{"rs bad width", "rs:fit:abc", nil, bad},
		{"rs negative", "rs:fit:-1", nil, bad},
		{"rs too many", "rs:fit:1:1:1:1:ce:0:0:9", nil, bad},
		{"rs extend sm", "rs:fit:1:1:1:1:sm", nil, bad},
		// size / s
		{"size", "size:10:20:t", func(o *Options) { o.Width, o.Height, o.Enlarge = 10, 20, true }, 0},
		{"s extend fp", "s:10:20:0:1:fp:0.5:0.25", func(o *Options) {
			o.Width, o.Height = 10, 20
			o.Extend = Extend{Enabled: true, Gravity: g(GravityFocusPoint, 0.5, 0.25)}
		}, 0},
		{"s too many", "s:1:1:1:1:ce:0:0:0", nil, bad},
		{"s float", "s:1.5", nil, bad},
		// resizing_type / rt
		{"resizing_type", "resizing_type:fill", func(o *Options) { o.ResizingType = ResizeFill }, 0},
		{"rt", "rt:force", func(o *Options) { o.ResizingType = ResizeForce }, 0},
		{"rt empty", "rt:", nil, bad},
		{"rt case", "rt:FIT", nil, bad},
		{"rt too many", "rt:fit:fill", nil, bad},
		// width/height/min
		{"width", "width:100", func(o *Options) { o.Width = 100 }, 0},
		{"w", "w:0", nil, 0},
		{"w plus sign", "w:+5", func(o *Options) { o.Width = 5 }, 0},
		{"w empty", "w:", nil, bad},
		{"w negative", "w:-1", nil, bad},
		{"w float", "w:1.5", nil, bad},
		{"w text", "w:abc", nil, bad},
		{"w too many", "w:1:2", nil, bad},
		{"w over cap", "w:99999", nil, bad},
		{"w at cap", "w:16384", func(o *Options) { o.Width = 16384 }, 0},
		{"w overflow", "w:99999999999999999999999", nil, bad},
		{"height", "height:7", func(o *Options) { o.Height = 7 }, 0},
		{"h", "h:8", func(o *Options) { o.Height = 8 }, 0},
		{"h bad", "h:x", nil, bad},
		{"min-width", "min-width:50", func(o *Options) { o.MinWidth = 50 }, 0},
		{"mw", "mw:51", func(o *Options) { o.MinWidth = 51 }, 0},
		{"mw negative", "mw:-5", nil, bad},
		{"min-height", "min-height:60", func(o *Options) { o.MinHeight = 60 }, 0},
		{"mh", "mh:61", func(o *Options) { o.MinHeight = 61 }, 0},
		{"mh empty", "mh:", nil, bad},
		{"later wins", "w:10/w:20", func(o *Options) { o.Width = 20 }, 0},
		// zoom
		{"zoom", "zoom:1.5", func(o *Options) { o.ZoomX, o.ZoomY = 1.5, 1.5 }, 0},
		{"z xy", "z:2:0.5", func(o *Options) { o.ZoomX, o.ZoomY = 2, 0.5 }, 0},
		{"z zero", "z:0", nil, bad},
		{"z negative", "z:-1", nil, bad},
		{"z too many", "z:1:1:1", nil, bad},
		{"z over cap", "z:9", nil, bad},
		{"z nan", "z:NaN", nil, bad},
		{"z inf", "z:Inf", nil, bad},
		{"z empty", "z:", nil, bad},
		// dpr
		{"dpr", "dpr:2", func(o *Options) { o.Dpr = 2 }, 0},
		{"dpr exponent", "dpr:1e0", nil, 0},
		{"dpr zero", "dpr:0", nil, bad},
		{"dpr cap", "dpr:8.5", nil, bad},
		{"dpr text", "dpr:x", nil, bad},
		// enlarge
		{"enlarge", "enlarge:1", func(o *Options) { o.Enlarge = true }, 0},
		{"el true", "el:true", func(o *Options) { o.Enlarge = true }, 0},
		{"el T", "el:T", func(o *Options) { o.Enlarge = true }, 0},
		{"el garbage is false", "el:yes", nil, 0},
		{"el empty is false", "el:1/el:", nil, 0},
		{"el too many", "el:1:1", nil, bad},
		// extend
		{"extend", "extend:1:no:5:6", func(o *Options) { o.Extend = Extend{Enabled: true, Gravity: g(GravityNorth, 5, 6)} }, 0},
		{"ex only bool", "ex:true", func(o *Options) { o.Extend.Enabled = true }, 0},
		{"ex sm", "ex:1:sm", nil, bad},
		{"ex too many", "ex:1:ce:1:1:1", nil, bad},
		{"ex bad gravity", "ex:1:xx", nil, bad},
		{"extend_aspect_ratio", "extend_aspect_ratio:1:we", func(o *Options) {
			o.ExtendAspectRatio = Extend{Enabled: true, Gravity: g(GravityWest, 0, 0)}
		}, 0},
		{"extend_ar", "extend_ar:1", func(o *Options) { o.ExtendAspectRatio.Enabled = true }, 0},
		{"exar", "exar:t:soea:0.1:0.2", func(o *Options) {
			o.ExtendAspectRatio = Extend{Enabled: true, Gravity: g(GravitySouthEast, 0.1, 0.2)}
		}, 0},
		{"exar sm", "exar:1:sm", nil, bad},
		// gravity
		{"gravity", "gravity:noea", func(o *Options) { o.Gravity = g(GravityNorthEast, 0, 0) }, 0},
		{"g offsets", "g:sowe:10:-20.5", func(o *Options) { o.Gravity = g(GravitySouthWest, 10, -20.5) }, 0},
		{"g empty offset", "g:ce::5", func(o *Options) { o.Gravity = g(GravityCenter, 0, 5) }, 0},
		{"g sm", "g:sm", func(o *Options) { o.Gravity = g(GravitySmart, 0, 0) }, 0},
		{"g sm offsets", "g:sm:1", nil, bad},
		{"g fp", "g:fp:0.5:0.3", func(o *Options) { o.Gravity = g(GravityFocusPoint, 0.5, 0.3) }, 0},
		{"g fp one arg", "g:fp:0.5", nil, bad},
		{"g fp out of range", "g:fp:1.5:0.3", nil, bad},
		{"g fp negative", "g:fp:0.5:-0.1", nil, bad},
		{"g re not allowed", "g:re", nil, bad},
		{"g unknown", "g:up", nil, bad},
		{"g empty", "g:", nil, bad},
		{"g too many", "g:ce:1:2:3", nil, bad},
		{"g bad offset", "g:ce:x", nil, bad},
		{"g all compass", "g:no/g:so/g:ea/g:we/g:nowe/g:soea/g:ce", nil, 0},
		// crop
		{"crop", "crop:100:200", func(o *Options) { o.Crop = Crop{Width: 100, Height: 200} }, 0},
		{"c fraction", "c:0.5", func(o *Options) { o.Crop = Crop{Width: 0.5} }, 0},
		{"c gravity", "c:10:10:nowe:1:2", func(o *Options) {
			o.Crop = Crop{Width: 10, Height: 10, Gravity: g(GravityNorthWest, 1, 2), HasGravity: true}
		}, 0},
		{"c sm", "c:10:10:sm", func(o *Options) {
			o.Crop = Crop{Width: 10, Height: 10, Gravity: g(GravitySmart, 0, 0), HasGravity: true}
		}, 0},
		{"c fp", "c:10:10:fp:0.1:0.9", func(o *Options) {
			o.Crop = Crop{Width: 10, Height: 10, Gravity: g(GravityFocusPoint, 0.1, 0.9), HasGravity: true}
		}, 0},
		{"c negative", "c:-1", nil, bad},
		{"c too many", "c:1:1:ce:1:1:1", nil, bad},
		{"c empty", "c:", nil, bad},
		{"c bad gravity", "c:1:1:re", nil, bad},
		// trim
		{"trim", "trim:10", func(o *Options) { o.Trim = Trim{Enabled: true, Threshold: 10} }, 0},
		{"t full", "t:5.5:FF00ff:1:t", func(o *Options) {
			o.Trim = Trim{Enabled: true, Threshold: 5.5, Color: Color{255, 0, 255}, HasColor: true, EqualHor: true, EqualVer: true}
		}, 0},
		{"t short color", "t:1:abc", func(o *Options) {
			o.Trim = Trim{Enabled: true, Threshold: 1, Color: Color{0xaa, 0xbb, 0xcc}, HasColor: true}
		}, 0},
		{"t empty threshold off", "t:10/t:", nil, 0},
		{"t empty color", "t:1::1", func(o *Options) { o.Trim = Trim{Enabled: true, Threshold: 1, EqualHor: true} }, 0},
		{"t equal kept", "t:1:fff:1:1/t:2", func(o *Options) { o.Trim = Trim{Enabled: true, Threshold: 2, EqualHor: true, EqualVer: true} }, 0},
		{"t bad color", "t:1:ggg", nil, bad},
		{"t color length", "t:1:abcd", nil, bad},
		{"t negative", "t:-1", nil, bad},
		{"t too many", "t:1:fff:1:1:1", nil, bad},
		// padding
		{"padding one", "padding:10", func(o *Options) { o.Padding = Padding{true, 10, 10, 10, 10} }, 0},
		{"pd two", "pd:10:20", func(o *Options) { o.Padding = Padding{true, 10, 20, 10, 20} }, 0},
		{"pd three", "pd:1:2:3", func(o *Options) { o.Padding = Padding{true, 1, 2, 3, 2} }, 0},
		{"pd four", "pd:1:2:3:4", func(o *Options) { o.Padding = Padding{true, 1, 2, 3, 4} }, 0},
		{"pd empty slot", "pd::5", func(o *Options) { o.Padding = Padding{true, 0, 5, 0, 5} }, 0},
		{"pd empty top keeps earlier", "pd:7/pd::5", func(o *Options) { o.Padding = Padding{true, 7, 5, 7, 5} }, 0},
		{"pd empty bottom copies top", "pd:1:2::4", func(o *Options) { o.Padding = Padding{true, 1, 2, 1, 4} }, 0},
		{"pd zero off", "pd:0", nil, 0},
		{"pd negative", "pd:-1", nil, bad},
		{"pd too many", "pd:1:2:3:4:5", nil, bad},
		{"pd over cap", "pd:20000", nil, bad},
		// auto_rotate
		{"auto_rotate", "auto_rotate:0", func(o *Options) { o.AutoRotate = false }, 0},
		{"ar false", "ar:false", func(o *Options) { o.AutoRotate = false }, 0},
		{"ar garbage false", "ar:nope", func(o *Options) { o.AutoRotate = false }, 0},
		{"ar too many", "ar:1:1", nil, bad},
		// rotate
		{"rotate", "rotate:90", func(o *Options) { o.Rotate = 90 }, 0},
		{"rot negative", "rot:-90", func(o *Options) { o.Rotate = 270 }, 0},
		{"rot 450", "rot:450", func(o *Options) { o.Rotate = 90 }, 0},
		{"rot 360", "rot:360", nil, 0},
		{"rot 45", "rot:45", nil, bad},
		{"rot float", "rot:90.0", nil, bad},
		{"rot empty", "rot:", nil, bad},
		// flip
		{"flip", "flip:1:0", func(o *Options) { o.FlipH = true }, 0},
		{"fl v", "fl::1", func(o *Options) { o.FlipV = true }, 0},
		{"fl both", "fl:t:t", func(o *Options) { o.FlipH, o.FlipV = true, true }, 0},
		{"fl too many", "fl:1:1:1", nil, bad},
		// background
		{"background rgb", "background:255:0:10", func(o *Options) { o.Background, o.HasBackground = Color{255, 0, 10}, true }, 0},
		{"bg hex", "bg:ffAA00", func(o *Options) { o.Background, o.HasBackground = Color{255, 0xaa, 0}, true }, 0},
		{"bg short hex", "bg:fff", func(o *Options) { o.Background, o.HasBackground = Color{255, 255, 255}, true }, 0},
		{"bg clear", "bg:fff/bg:", nil, 0},
		{"bg 256", "bg:256:0:0", nil, bad},
		{"bg two args", "bg:1:2", nil, bad},
		{"bg hash", "bg:#fff", nil, bad},
		{"bg four args", "bg:1:2:3:4", nil, bad},
		// blur / sharpen / pixelate
		{"blur", "blur:2.5", func(o *Options) { o.Blur = 2.5 }, 0},
		{"bl zero", "bl:0", nil, 0},
		{"bl negative", "bl:-1", nil, bad},
		{"bl cap", "bl:101", nil, bad},
		{"bl empty", "bl:", nil, bad},
		{"sharpen", "sharpen:0.5", func(o *Options) { o.Sharpen = 0.5 }, 0},
		{"sh cap", "sh:21", nil, bad},
		{"sh text", "sh:x", nil, bad},
		{"pixelate", "pixelate:8", func(o *Options) { o.Pixelate = 8 }, 0},
		{"pix negative", "pix:-2", nil, bad},
		{"pix float", "pix:2.5", nil, bad},
		// watermark
		{"watermark", "watermark:0.5", func(o *Options) { o.Watermark.Opacity = 0.5 }, 0},
		{"wm full", "wm:1:soea:10:-5:0.3", func(o *Options) {
			o.Watermark = Watermark{Opacity: 1, Position: g(GravitySouthEast, 10, -5), Scale: 0.3}
		}, 0},
		{"wm replicate", "wm:0.2:re:4:4", func(o *Options) { o.Watermark = Watermark{Opacity: 0.2, Position: g(GravityReplicate, 4, 4)} }, 0},
		{"wm empty slots", "wm:1:::2", func(o *Options) { o.Watermark = Watermark{Opacity: 1, Position: g(GravityCenter, 0, 2)} }, 0},
		{"wm empty opacity", "wm::ce", nil, bad},
		{"wm pro tail ignored", "wm:1:ce:0:0:0.5:x:y", func(o *Options) { o.Watermark = Watermark{Opacity: 1, Scale: 0.5} }, 0},
		{"wm opacity > 1", "wm:1.5", nil, bad},
		{"wm sm", "wm:1:sm", nil, bad},
		{"wm fp", "wm:1:fp", nil, bad},
		{"wm too many", "wm:1:ce:0:0:1:1:1:1", nil, bad},
		{"wm scale negative", "wm:1:ce:0:0:-1", nil, bad},
		{"wm pro ch", "wm:1:ch:2:3", func(o *Options) {
			o.Watermark = Watermark{Opacity: 1, Position: Gravity{Type: GravityChessboard, X: 2, Y: 3}}
		}, 0},
		{"gravity ch refused", "g:ch", nil, bad},
		// metadata & colour bools
		{"strip_metadata", "strip_metadata:0", func(o *Options) { o.StripMetadata = false }, 0},
		{"sm", "sm:f", func(o *Options) { o.StripMetadata = false }, 0},
		{"keep_copyright", "keep_copyright:false", func(o *Options) { o.KeepCopyright = false }, 0},
		{"kcr", "kcr:0", func(o *Options) { o.KeepCopyright = false }, 0},
		{"strip_color_profile", "strip_color_profile:0", func(o *Options) { o.StripColorProfile = false }, 0},
		{"scp", "scp:F", func(o *Options) { o.StripColorProfile = false }, 0},
		{"preserve_hdr", "preserve_hdr:1", func(o *Options) { o.PreserveHDR = true }, 0},
		{"ph", "ph:TRUE", func(o *Options) { o.PreserveHDR = true }, 0},
		{"enforce_thumbnail", "enforce_thumbnail:1", func(o *Options) { o.EnforceThumbnail = true }, 0},
		{"eth", "eth:True", func(o *Options) { o.EnforceThumbnail = true }, 0},
		{"eth too many", "eth:1:1", nil, bad},
		// quality
		{"quality", "quality:85", func(o *Options) { o.Quality = 85 }, 0},
		{"q zero", "q:0", nil, 0},
		{"q 100", "q:100", func(o *Options) { o.Quality = 100 }, 0},
		{"q 101", "q:101", nil, bad},
		{"q negative", "q:-1", nil, bad},
		{"q empty", "q:", nil, bad},
		{"format_quality", "format_quality:jpeg:70:webp:60", func(o *Options) {
			o.FormatQuality[FormatJPEG], o.FormatQuality[FormatWebP] = 70, 60
		}, 0},
		{"fq jpg alias", "fq:jpg:50", func(o *Options) { o.FormatQuality[FormatJPEG] = 50 }, 0},
		{"fq odd", "fq:jpeg:70:webp", nil, bad},
		{"fq unknown", "fq:tif:70", nil, bad},
		{"fq out of range", "fq:avif:200", nil, bad},
		// max_bytes
		{"max_bytes", "max_bytes:10000", func(o *Options) { o.MaxBytes = 10000 }, 0},
		{"mb negative", "mb:-1", nil, bad},
		{"mb text", "mb:10k", nil, bad},
		// format
		{"format", "format:png", func(o *Options) { o.Format = FormatPNG }, 0},
		{"f jpg", "f:jpg", func(o *Options) { o.Format = FormatJPEG }, 0},
		{"ext webp", "ext:webp", func(o *Options) { o.Format = FormatWebP }, 0},
		{"f every format", "f:jpeg/f:avif/f:gif/f:ico/f:svg/f:heic/f:bmp/f:tiff/f:jxl", func(o *Options) { o.Format = FormatJXL }, 0},
		{"f tif", "f:tif", nil, bad},
		{"f best", "f:png/f:best", func(o *Options) { o.BestFormat = true }, 0},
		{"f after best", "f:best/f:png", func(o *Options) { o.Format = FormatPNG }, 0},
		{"f pro pdf", "f:pdf", func(o *Options) { o.Format = FormatPDF }, 0},
		{"f upper", "f:PNG", nil, bad},
		{"f empty", "f:", nil, bad},
		// skip_processing
		{"skip_processing", "skip_processing:svg:gif", func(o *Options) {
			o.SkipProcessing = FormatSet(0).With(FormatSVG).With(FormatGIF)
		}, 0},
		{"skp accumulates", "skp:png/skp:jpg", func(o *Options) {
			o.SkipProcessing = FormatSet(0).With(FormatPNG).With(FormatJPEG)
		}, 0},
		{"skp unknown", "skp:xyz", nil, bad},
		// raw
		{"raw", "raw:1", func(o *Options) { o.Raw = true }, 0},
		{"raw too many", "raw:1:1", nil, bad},
		// cachebuster
		{"cachebuster", "cachebuster:abc", func(o *Options) { o.CacheBuster = "abc" }, 0},
		{"cb clear", "cb:x/cb:", nil, 0},
		{"cb too many", "cb:a:b", nil, bad},
		// expires
		{"expires future", "expires:1800000000", func(o *Options) { o.Expires = time.Unix(1800000000, 0) }, 0},
		{"exp past", "exp:1600000000", nil, bad},
		{"exp zero", "exp:0", nil, 0},
		{"exp negative", "exp:-5", nil, 0},
		{"exp text", "exp:soon", nil, bad},
		{"exp empty", "exp:", nil, bad},
		// filename
		{"filename", "filename:my%20pic", func(o *Options) { o.Filename = "my%20pic" }, 0},
		{"fn quote", `fn:a"b`, func(o *Options) { o.Filename = "a%22b" }, 0},
		{"fn encoded", "fn:aGVsbG8gd29ybGQ:1", func(o *Options) { o.Filename = "hello world" }, 0},
		{"fn encoded padded", "fn:aGk=:t", func(o *Options) { o.Filename = "hi" }, 0},
		{"fn encoded bad", "fn:***:1", nil, bad},
		{"fn not encoded", "fn:aGk=:0", func(o *Options) { o.Filename = "aGk=" }, 0},
		{"fn too many", "fn:a:1:1", nil, bad},
		// return_attachment
		{"return_attachment", "return_attachment:1", func(o *Options) { o.ReturnAttachment = true }, 0},
		{"att", "att:t", func(o *Options) { o.ReturnAttachment = true }, 0},
		// security options without permission
		{"msr forbidden", "max_src_resolution:10", nil, KindSecurityOption},
		{"msfs forbidden", "msfs:10", nil, KindSecurityOption},
		{"maf forbidden", "maf:10", nil, KindSecurityOption},
		{"mafr forbidden", "mafr:10", nil, KindSecurityOption},
		{"mrd forbidden", "mrd:10", nil, KindSecurityOption},
		// unknown and Pro
		{"unknown", "foo:1", nil, bad},
		{"case sensitive", "W:100", nil, bad},
		{"pro blur_detections", "bd:5", nil, bad},
		{"pro draw_detections", "dd:1", nil, bad},
		{"pro video_thumbnail_second", "vts:1", nil, bad},
		{"pro hashsum", "hs:md5:abc", nil, bad},
		{"pro crop_objects", "crop_objects:1", nil, bad},
		{"pro c_obj", "c_obj:1", nil, bad},
		{"pro video", "vts:1", nil, bad},
		// combined
		{"six options", "rs:fill:300:200/g:sm/q:75/bl:1/f:webp/dpr:2", func(o *Options) {
			o.ResizingType, o.Width, o.Height = ResizeFill, 300, 200
			o.Gravity, o.Quality, o.Blur, o.Format, o.Dpr = g(GravitySmart, 0, 0), 75, 1, FormatWebP, 2
		}, 0},
	}
	runOptCases(t, p, cases)
}

func TestSecurityOptionsAllowed(t *testing.T) {
	p := newParser(t, ParserConfig{AllowSecurityOptions: true})
	runOptCases(t, p, []optCase{
		{"max_src_resolution", "max_src_resolution:1.5", func(o *Options) { o.Limits.MaxSrcResolution = 1_500_000 }, 0},
		{"msr zero", "msr:0", func(o *Options) { o.Limits.MaxSrcResolution = 0 }, 0},
		{"msr negative", "msr:-1", nil, bad},
		{"max_src_file_size", "max_src_file_size:1048576", func(o *Options) { o.Limits.MaxSrcFileSize = 1048576 }, 0},
		{"msfs negative", "msfs:-1", nil, bad},
		{"max_animation_frames", "max_animation_frames:10", func(o *Options) { o.Limits.MaxAnimationFrames = 10 }, 0},
		{"maf zero", "maf:0", nil, bad},
		{"max_animation_frame_resolution", "max_animation_frame_resolution:2", func(o *Options) {
			o.Limits.MaxAnimationFrameResolution = 2_000_000
		}, 0},
		{"mafr text", "mafr:x", nil, bad},
		{"max_result_dimension", "max_result_dimension:1000", func(o *Options) { o.Limits.MaxResultDimension = 1000 }, 0},
		{"mrd negative", "mrd:-1", nil, bad},
		{"mrd too many", "mrd:1:2", nil, bad},
	})
}

func TestAllowedProcessingOptions(t *testing.T) {
	p := newParser(t, ParserConfig{
		AllowedProcessingOptions: []string{"w", "rs", "pr"},
		Presets:                  map[string]string{"big": "width:500/q:90"},
	})
	runOptCases(t, p, []optCase{
		{"allowed short", "w:10", func(o *Options) { o.Width = 10 }, 0},
		{"long name not allowed", "width:10", nil, bad},
		{"other not allowed", "q:10", nil, bad},
		{"presets exempt", "pr:big", func(o *Options) { o.Width, o.Quality = 500, 90 }, 0},
	})
	if _, err := NewParser(ParserConfig{AllowedProcessingOptions: []string{"nope"}}); err == nil {
		t.Fatal("got nil error for unknown allowed option; want error")
	}
}

func TestPresets(t *testing.T) {
	p := newParser(t, ParserConfig{Presets: map[string]string{
		"default": "q:70/sm:0",
		"thumb":   "rs:fill:100:100/g:sm",
		"blurry":  "bl:5/pr:thumb",
		"loop":    "w:1/pr:loop2",
		"loop2":   "h:2/pr:loop",
		"self":    "w:3/pr:self",
		"empty":   "",
	}})
	base := func(o *Options) { o.Quality, o.StripMetadata = 70, false }
	with := func(f func(o *Options)) func(o *Options) {
		return func(o *Options) { base(o); f(o) }
	}
	runOptCases(t, p, []optCase{
		{"default applied", "w:1", with(func(o *Options) { o.Width = 1 }), 0},
		{"url overrides default", "q:10", with(func(o *Options) { o.Quality = 10 }), 0},
		{"preset", "preset:thumb", with(func(o *Options) {
			o.ResizingType, o.Width, o.Height, o.Gravity = ResizeFill, 100, 100, Gravity{Type: GravitySmart}
		}), 0},
		{"nested and order", "w:5/pr:blurry/h:7", with(func(o *Options) {
			o.ResizingType, o.Width, o.Height, o.Gravity, o.Blur = ResizeFill, 100, 7, Gravity{Type: GravitySmart}, 5
		}), 0},
		{"preset applied at its position", "pr:thumb/w:5", with(func(o *Options) {
			o.ResizingType, o.Width, o.Height, o.Gravity = ResizeFill, 5, 100, Gravity{Type: GravitySmart}
		}), 0},
		{"multiple", "pr:empty:thumb", with(func(o *Options) {
			o.ResizingType, o.Width, o.Height, o.Gravity = ResizeFill, 100, 100, Gravity{Type: GravitySmart}
		}), 0},
		{"loop skipped", "pr:loop", with(func(o *Options) { o.Width, o.Height = 1, 2 }), 0},
		{"self skipped", "pr:self", with(func(o *Options) { o.Width = 3 }), 0},
		{"twice in a row applies twice", "pr:self/w:9/pr:self", with(func(o *Options) { o.Width = 3 }), 0},
		{"unknown", "pr:nope", nil, bad},
		{"empty name", "pr:", nil, bad},
	})
}

func TestPresetErrorsAtStartup(t *testing.T) {
	cases := map[string]map[string]string{
		"bad value":            {"p": "w:abc"},
		"unknown option":       {"p": "zzz:1"},
		"not an option":        {"p": "plain"},
		"unknown nested":       {"p": "pr:missing"},
		"security not allowed": {"p": "msr:10"},
		"bad name":             {"a/b": "w:1"},
	}
	for name, presets := range cases {
		if _, err := NewParser(ParserConfig{Presets: presets}); err == nil {
			t.Errorf("%s: got nil error; want startup error", name)
		}
	}
	if _, err := NewParser(ParserConfig{Presets: map[string]string{"p": "msr:10"}, AllowSecurityOptions: true}); err != nil {
		t.Errorf("security preset with permission: got %v; want nil", err)
	}
}

func TestOnlyPresets(t *testing.T) {
	p := newParser(t, ParserConfig{OnlyPresets: true, Presets: map[string]string{
		"thumb": "w:100", "blurry": "bl:3", "default": "q:50",
	}})
	r, err := parseURL(p, "/sig/thumb:blurry/plain/http://example.com/a.jpg@png", Hints{})
	if err != nil {
		t.Fatal(err)
	}
	if r.Options.Width != 100 || r.Options.Blur != 3 || r.Options.Quality != 50 || r.Options.Format != FormatPNG {
		t.Fatalf("got %+v; want w 100, blur 3, q 50, png", r.Options)
	}
	r, err = parseURL(p, "/sig/thumb/aHR0cDovL2V4YW1wbGUuY29tL2EuanBn", Hints{})
	if err != nil || r.Options.Width != 100 || r.SourceURL != "http://example.com/a.jpg" {
		t.Fatalf("got %v %+v; want w 100 and base64 source", err, r)
	}
	for _, u := range []string{"/sig/w:100/plain/http://x/a.jpg", "/sig/nope/plain/http://x/a.jpg", "/sig/thumb"} {
		if _, err := parseURL(p, u, Hints{}); kindOf(err) != KindInvalidURL {
			t.Errorf("%s: got %v; want KindInvalidURL", u, err)
		}
	}
}

func TestSeparator(t *testing.T) {
	p := newParser(t, ParserConfig{ArgumentsSeparator: ","})
	r, err := parseURL(p, "/sig/rs,fill,10,20/g,fp,0.5,0.5/plain/http://example.com/a:b.jpg", Hints{})
	if err != nil {
		t.Fatal(err)
	}
	if r.Options.Width != 10 || r.Options.Height != 20 || r.Options.Gravity.Type != GravityFocusPoint || r.SourceURL != "http://example.com/a:b.jpg" {
		t.Fatalf("got %+v %q", r.Options, r.SourceURL)
	}
	// With "," as separator, "w:1" is not an option: it starts the source part (base64) and fails.
	if _, err := parseURL(p, "/sig/w:1/plain/http://example.com/a.jpg", Hints{}); kindOf(err) != KindInvalidURL {
		t.Fatalf("got %v; want KindInvalidURL", err)
	}
}

func TestClientHints(t *testing.T) {
	on := newParser(t, ParserConfig{EnableClientHints: true, Presets: map[string]string{"default": "h:10"}})
	off := newParser(t, ParserConfig{})
	cases := []struct {
		p       *Parser
		opts    string
		h       Hints
		wantW   int
		wantDpr float64
	}{
		{on, "", Hints{DPR: 2, Width: 801}, 401, 2},
		{on, "", Hints{Width: 300}, 300, 1},
		{on, "", Hints{DPR: 9, Width: 300}, 300, 1},
		{on, "w:50/", Hints{DPR: 2, Width: 800}, 50, 2},
		{on, "dpr:3/", Hints{DPR: 2}, 0, 3},
		{off, "", Hints{DPR: 2, Width: 800}, 0, 1},
	}
	for i, tc := range cases {
		r, err := parseURL(tc.p, "/s/"+tc.opts+"plain/http://x/a.jpg", tc.h)
		if err != nil {
			t.Fatalf("#%d: %v", i, err)
		}
		if r.Options.Width != tc.wantW || r.Options.Dpr != tc.wantDpr {
			t.Errorf("#%d: got width %d dpr %v; want %d %v", i, r.Options.Width, r.Options.Dpr, tc.wantW, tc.wantDpr)
		}
	}
}

func TestExpiresUsesNow(t *testing.T) {
	p := newParser(t, ParserConfig{})
	u := "/s/exp:1700000100/plain/http://x/a.jpg"
	if _, err := parseURL(p, u, Hints{Now: time.Unix(1700000000, 0)}); err != nil {
		t.Fatalf("before expiry: got %v; want nil", err)
	}
	if _, err := parseURL(p, u, Hints{Now: time.Unix(1700000101, 0)}); kindOf(err) != KindInvalidURL {
		t.Fatalf("after expiry: got %v; want KindInvalidURL", err)
	}
	// Zero Now means the wall clock: a 2001 timestamp is expired.
	if _, err := parseURL(p, "/s/exp:1000000000/plain/http://x/a.jpg", Hints{}); kindOf(err) != KindInvalidURL {
		t.Fatalf("wall clock: got %v; want KindInvalidURL", err)
	}
}

func TestDefaultsFromConfig(t *testing.T) {
	d := DefaultOptions()
	d.Quality, d.StripMetadata, d.Limits.MaxSrcResolution = 90, false, 1_000_000
	p := newParser(t, ParserConfig{Defaults: d})
	r, err := parseURL(p, "/s/plain/http://x/a.jpg", Hints{})
	if err != nil {
		t.Fatal(err)
	}
	if r.Options != d {
		t.Fatalf("got %+v; want %+v", r.Options, d)
	}
	dd := DefaultOptions()
	if dd.Dpr != 1 || dd.ZoomX != 1 || dd.ZoomY != 1 || !dd.AutoRotate || !dd.StripMetadata || !dd.KeepCopyright ||
		!dd.StripColorProfile || dd.Quality != 0 || dd.Limits.MaxSrcResolution != 50_000_000 || dd.Limits.MaxAnimationFrames != 1 {
		t.Fatalf("DefaultOptions: got %+v", dd)
	}
	bad := DefaultOptions()
	bad.Dpr = 0
	if _, err := NewParser(ParserConfig{Defaults: bad}); err == nil {
		t.Fatal("got nil error for dpr 0 defaults; want error")
	}
}

func TestParseResetsRequest(t *testing.T) {
	p := newParser(t, ParserConfig{})
	var r Request
	_, path, _ := p.Split([]byte("/s/w:10/cb:x/plain/http://x/a.jpg@png"))
	if err := p.Parse(path, Hints{}, &r); err != nil {
		t.Fatal(err)
	}
	_, path, _ = p.Split([]byte("/s/plain/http://y/b.jpg"))
	if err := p.Parse(path, Hints{}, &r); err != nil {
		t.Fatal(err)
	}
	if r.Options != p.defaults || r.SourceURL != "http://y/b.jpg" {
		t.Fatalf("got %+v %q; want defaults and http://y/b.jpg", r.Options, r.SourceURL)
	}
}

func TestPresetNestingLimit(t *testing.T) {
	presets := map[string]string{}
	for i := 0; i < 20; i++ {
		presets[fmt.Sprintf("p%d", i)] = fmt.Sprintf("w:%d/pr:p%d", i+1, i+1)
	}
	presets["p20"] = "h:1"
	if _, err := NewParser(ParserConfig{Presets: presets}); err == nil || !strings.Contains(err.Error(), "nested deeper") {
		t.Fatalf("got %v; want a nesting error at startup", err)
	}
	delete(presets, "p0")
	delete(presets, "p1")
	delete(presets, "p2")
	delete(presets, "p3")
	delete(presets, "p4")
	if _, err := NewParser(ParserConfig{Presets: presets}); err != nil {
		t.Fatalf("16 levels: got %v; want nil", err)
	}
}
