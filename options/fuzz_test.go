package options

import (
	"errors"
	"math"
	"testing"
	"time"
)

// FuzzSplitParse feeds arbitrary request targets through Split and Parse:
// they must never panic, only return classified errors, and every
// accepted request must respect the documented bounds.
func FuzzSplitParse(f *testing.F) {
	seeds := []string{
		"/insecure/rs:fill:300:400:0/g:sm/aHR0cDovL2V4YW1w/bGUuY29tL2ltYWdl/cy9jdXJpb3NpdHku/anBn.png",
		"/oKfUtW34Dvo2BGQehJFR4Nr0_rIjOtdtzJ3QFsUcXH8/rs:fill:300:400:0/g:sm/plain/http://example.com/images/curiosity.jpg@png",
		"/_/w:200/h:100/rt:fill/g:fp:0.5:0.3/plain/s3://bucket/path/to/img.png@avif",
		"/sig/rs%3Afill%3A300%3A400%3A0/g%3Asm/plain/http:/example.com/a.jpg@png?x=1",
		"/sig/pr:thumb/wm:0.5:re:1:1:0.2/pd:1:2:3:4/t:10:fff:1:1/bg:10:20:30/plain/local:/a.png",
		"/sig/c:0.5:0.5:nowe:1:2/ex:1:fp:0.2:0.8/exar:1:so/fq:webp:50:avif:40/skp:svg/fn:aGk:1/exp:0/plain/http%3A%2F%2Fx%2Fa%40b.jpg",
		"/sig/msr:1/maf:2/mrd:100/plain/http://x/a.jpg",
		"/sig/fit/300/300/no/0/aHR0cDovL3gvYS5qcGc",
		"/sig/plain/http://x/a%zz@png@webp",
		"/sig/z:NaN/dpr:Inf/bl:1e308/w:-0/rot:-450/plain/http://x/a",
		"/sig/wm:1:ch:2:2/wmt:PGI-aGk8L2I-/wms:10:0/wmr:-30/wmsh:2/st:YXt9/ct:a:b/bc:1/plain/http://x/a@pdf",
		"/sig/wmu:aHR0cDovL3gvYQ/fiu:aHR0cDovL3gvYg/hs:md5:900150983cd24fb0d6963f7d28e17f72/enc/p5VjorNdhs7mRRw8gA9TWoRlGci3l1kuzqN43UQlRaRIQ0qtBKW3qFABIsx-ZRz_cVc8iVTYbhsNsxNBL1BHaQ.png",
	}
	for _, s := range seeds {
		f.Add(s, false)
		f.Add(s, true)
	}
	plain := newParser(f, ParserConfig{
		Presets:           map[string]string{"thumb": "w:10/pr:thumb", "default": "q:50"},
		AllowedSources:    []string{"http://", "local:///", "s3://bucket/"},
		EnableClientHints: true,
		AllowBypassCache:  true,
		// The key of imgproxy Pro's documented /enc/ example.
		SourceURLEncryptionKey: []byte("\x1e\xb5\xb0\xe9\x71\xad\x7f\x45\x32\x4c\x1b\xb1\x5c\x94\x7c\xb2\x07\xc4\x31\x52\xfa\x5c\x6c\x7f\x35\xc4\xf3\x6e\x0c\x18\xe0\xf1"),
	})
	only := newParser(f, ParserConfig{OnlyPresets: true, PathPrefix: "/p", Base64URLIncludesFilename: true,
		Presets: map[string]string{"thumb": "w:10"}, AllowSecurityOptions: true, BaseURL: "http://base/"})
	now := time.Unix(1_700_000_000, 0)
	f.Fuzz(func(t *testing.T, uri string, alt bool) {
		p := plain
		if alt {
			p = only
		}
		sig, path, err := p.Split([]byte(uri))
		if err != nil {
			checkKind(t, err)
			return
		}
		if len(sig) == 0 || len(path) == 0 || path[0] != '/' {
			t.Fatalf("Split(%q) = %q, %q; want non-empty sig and path starting with /", uri, sig, path)
		}
		var r, r2 Request
		err = p.Parse(path, Hints{Now: now, DPR: 2, Width: 500}, &r)
		err2 := p.Parse(path, Hints{Now: now, DPR: 2, Width: 500}, &r2)
		if (err == nil) != (err2 == nil) || r != r2 {
			t.Fatalf("Parse(%q) is not deterministic: %v / %v", path, err, err2)
		}
		if err != nil {
			checkKind(t, err)
			return
		}
		o := &r.Options
		if r.SourceURL == "" {
			t.Fatalf("Parse(%q): empty source url", path)
		}
		for _, c := range []byte(r.SourceURL) {
			if c < 0x20 || c == 0x7f {
				t.Fatalf("Parse(%q): control character in source %q", path, r.SourceURL)
			}
		}
		finite := func(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
		switch {
		case o.Width < 0 || o.Width > p.maxDim || o.Height < 0 || o.Height > p.maxDim:
			t.Fatalf("size %dx%d out of bounds", o.Width, o.Height)
		case !(o.Dpr > 0 && o.Dpr <= MaxDpr) || !(o.ZoomX > 0 && o.ZoomX <= MaxZoom) || !(o.ZoomY > 0 && o.ZoomY <= MaxZoom):
			t.Fatalf("dpr %v zoom %v:%v out of bounds", o.Dpr, o.ZoomX, o.ZoomY)
		case o.Blur < 0 || o.Blur > MaxBlurSigma || o.Sharpen < 0 || o.Sharpen > MaxSharpenSigma:
			t.Fatalf("blur %v sharpen %v out of bounds", o.Blur, o.Sharpen)
		case o.Quality < 0 || o.Quality > 100 || o.Rotate%90 != 0 || o.Rotate < 0 || o.Rotate >= 360:
			t.Fatalf("quality %d rotate %d out of bounds", o.Quality, o.Rotate)
		case !finite(o.Gravity.X) || !finite(o.Gravity.Y) || !finite(o.Crop.Width) || !finite(o.Crop.Height) ||
			!finite(o.Watermark.Position.X) || !finite(o.Trim.Threshold):
			t.Fatalf("non-finite value in %+v", o)
		case o.Limits.MaxAnimationFrames < 1:
			t.Fatalf("max animation frames %d", o.Limits.MaxAnimationFrames)
		}
	})
}

func checkKind(t *testing.T, err error) {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("got untyped error %v", err)
	}
	switch e.Kind {
	case KindInvalidURL, KindSecurityOption, KindSourceNotAllowed:
	default:
		t.Fatalf("got kind %s (%v); want a URL error kind", e.Kind, err)
	}
}
