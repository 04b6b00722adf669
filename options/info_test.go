package options

import (
	"testing"
	"time"
)

func parseInfoURL(p *Parser, uri string) (*InfoRequest, error) {
	_, path, err := p.Split([]byte(uri))
	if err != nil {
		return nil, err
	}
	var r InfoRequest
	if err := p.ParseInfo(path, Hints{Now: fixedNow}, &r); err != nil {
		return nil, err
	}
	return &r, nil
}

func TestParseInfo(t *testing.T) {
	p := newParser(t, ParserConfig{InfoPresets: map[string]string{"placeholder": "bh:4:3/th:1", "default": "xmp:0"}})
	def := DefaultInfoOptions()
	def.XMP = false // the default info preset
	for _, tc := range []struct {
		opts string
		mut  func(o *InfoOptions)
		kind ErrorKind
	}{
		{"", nil, 0},
		{"s:0/f:0/d:0/exif:0/iptc:0", func(o *InfoOptions) {
			o.Size, o.Format, o.Dimensions, o.Exif, o.IPTC = false, false, false, false, false
		}, 0},
		{"exif:1:1", func(o *InfoOptions) { o.ExifCanonical = true }, 0},
		{"cs:1/b:1/sf:1/pn:1/a:1:1", func(o *InfoOptions) {
			o.Colorspace, o.Bands, o.SampleFormat, o.PagesNumber, o.Alpha, o.CheckTransparency = true, true, true, true, true, true
		}, 0},
		{"avg:1:0/dc:1:1/p:16", func(o *InfoOptions) {
			o.Average, o.AverageOpaque, o.DominantColors, o.BuildMissed, o.Palette = true, false, true, true, 16
		}, 0},
		{"pr:placeholder", func(o *InfoOptions) { o.BlurHashX, o.BlurHashY, o.ThumbHash = 4, 3, true }, 0},
		{"thumbhash:1/ph:1", func(o *InfoOptions) { o.ThumbHashBase64, o.PerceptualHash = true, true }, 0},
		{"chs:md5:sha512", func(o *InfoOptions) { o.Hashsums = HashMD5 | HashSHA512 }, 0},
		{"c:100:50:nowe", func(o *InfoOptions) {
			o.Crop = Crop{Width: 100, Height: 50, Gravity: Gravity{Type: GravityNorthWest}, HasGravity: true}
		}, 0},
		{"pg:2/cb:x/vm:0/do:0/cl:0", func(o *InfoOptions) { o.Page, o.CacheBuster = 2, "x" }, 0},
		{"bh:10:3", nil, KindInvalidURL},
		{"p:1", nil, KindInvalidURL},
		{"chs:crc32", nil, KindInvalidURL},
		{"vm:1", nil, KindInvalidURL},
		{"do:1", nil, KindInvalidURL},
		{"cl:3", nil, KindInvalidURL},
		{"op:ce", nil, KindInvalidURL},
		{"hs:md5:abc", nil, KindInvalidURL},
		{"rs:fit:100", nil, KindInvalidURL},
		{"msr:10", nil, KindSecurityOption},
		{"exp:1600000000", nil, KindInvalidURL},
	} {
		uri := "/sig/" + tc.opts + "/plain/http://example.com/a.jpg"
		if tc.opts == "" {
			uri = "/sig/plain/http://example.com/a.jpg"
		}
		r, err := parseInfoURL(p, uri)
		if tc.kind != 0 {
			if kindOf(err) != tc.kind {
				t.Errorf("%q: got %v; want kind %s", tc.opts, err, tc.kind)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", tc.opts, err)
			continue
		}
		want := def
		if tc.mut != nil {
			tc.mut(&want)
		}
		if r.Options != want {
			t.Errorf("%q: got %+v; want %+v", tc.opts, r.Options, want)
		}
		if r.SourceURL != "http://example.com/a.jpg" {
			t.Errorf("%q: source %q", tc.opts, r.SourceURL)
		}
	}
	if _, err := parseInfoURL(p, "/sig/plain/http://example.com/a.jpg@png"); kindOf(err) != KindInvalidURL {
		t.Errorf("an extension: got %v; want invalid_url", err)
	}
	if o := (InfoOptions{Size: true, Format: true, Dimensions: true, Expires: time.Unix(2e9, 0)}); !o.HeaderOnly() {
		t.Error("size/format/dimensions are not header-only")
	}
	if o := def; o.HeaderOnly() {
		t.Error("the defaults (with EXIF and IPTC) are header-only")
	}
}

func TestParseInfoAllowedAndOnlyPresets(t *testing.T) {
	p := newParser(t, ParserConfig{AllowedInfoOptions: []string{"dc"}, InfoPresets: map[string]string{"p": "avg:1"}})
	if _, err := parseInfoURL(p, "/sig/dc:1/pr:p/plain/http://e.com/a"); kindOf(err) != KindInvalidURL {
		t.Errorf("pr not allowed: got %v", err)
	}
	if r, err := parseInfoURL(p, "/sig/dc:1/plain/http://e.com/a"); err != nil || !r.Options.DominantColors {
		t.Errorf("dc allowed: %v", err)
	}
	if _, err := parseInfoURL(p, "/sig/dominant_colors:1/plain/http://e.com/a"); err == nil {
		t.Error("the long name was allowed though only dc is listed")
	}
	q := newParser(t, ParserConfig{InfoOnlyPresets: true, InfoPresets: map[string]string{"a": "avg:1", "b": "bh:3:3"}})
	r, err := parseInfoURL(q, "/sig/a:b/plain/http://e.com/a")
	if err != nil || !r.Options.Average || r.Options.BlurHashX != 3 {
		t.Fatalf("only presets: %+v %v", r, err)
	}
	if _, err := NewParser(ParserConfig{InfoPresets: map[string]string{"x": "rs:fit:10"}}); err == nil {
		t.Error("an info preset with a processing option was accepted")
	}
	cfg := ParserConfig{AllowedInfoOptions: []string{"nope"}}
	if err := cfg.Validate(); err == nil {
		t.Error("an unknown allowed info option was accepted")
	}
}
