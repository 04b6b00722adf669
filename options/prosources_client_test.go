package options_test

import (
	"crypto/md5"
	"encoding/base64"
	"encoding/hex"
	"testing"

	"github.com/imgedge/imgedge/options"
	"github.com/imgedge/imgedge/options/testclient"
	"github.com/imgedge/imgedge/sign"
)

// TestJSClientProSources: URLs with imgproxy Pro's watermark, source and
// integrity options built by the official client library parse into the
// expected Options, signed, with an encrypted source URL.
func TestJSClientProSources(t *testing.T) {
	const keyHex, saltHex = "943b421c9eb07c830af81030552c86009268de4e532ba2ee2eab8247c6da0881", "520f986b998545b4785e0defbc4f3c1203f22de2374a3d53cb7a7fe9fea309c5"
	const encKey, encIV = "1eb5b0e971ad7f45324c1bb15c947cb207c43152fa5c6c7f35c4f36e0c18e0f1", "a79563a2b35d86cee6451c3c800f535a"
	const src = "http://example.com/images/curiosity.jpg"
	b64 := func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
	sum := md5.Sum([]byte("x"))
	cases := []testclient.Case{
		{Name: "watermarks", URL: src, Options: map[string]any{
			"watermark":        map[string]any{"opacity": 0.8, "position": "ch", "x_offset": 10, "y_offset": 5},
			"watermark_url":    b64("http://example.com/wm.png"),
			"watermark_size":   map[string]any{"width": 64},
			"watermark_shadow": 2,
		}},
		{Name: "text", URL: src, Options: map[string]any{
			"watermark":      map[string]any{"opacity": 1, "position": "soea"},
			"watermark_text": b64(`<b>imgedge</b>`),
			"wild_options":   []any{[]any{"wmr", 30}, []any{"hs", "md5", hex.EncodeToString(sum[:])}},
		}},
		{Name: "sources-encrypted", URL: src, DisplayAs: "encrypted", EncryptKey: encKey, EncryptIV: encIV, Options: map[string]any{
			"fallback_image_url": b64("http://example.com/fallback.png"),
			"style":              b64("rect{fill:red}"),
			"bypass_cache":       1,
			"cache_tags":         []any{"a", "b"},
			"format":             "pdf",
		}},
	}
	want := map[string]func(o *options.Options){
		"watermarks": func(o *options.Options) {
			o.Watermark = options.Watermark{Opacity: 0.8, Position: options.Gravity{Type: options.GravityChessboard, X: 10, Y: 5},
				URL: "http://example.com/wm.png", Width: 64, Shadow: 2}
		},
		"text": func(o *options.Options) {
			o.Watermark = options.Watermark{Opacity: 1, Position: options.Gravity{Type: options.GravitySouthEast}, Text: "<b>imgedge</b>", Rotate: 30}
			o.Hashsum = options.Hashsum{Type: options.HashsumMD5, Sum: string(sum[:])}
		},
		"sources-encrypted": func(o *options.Options) {
			o.FallbackImageURL, o.Style, o.BypassCache, o.CacheTags, o.Format = "http://example.com/fallback.png", "rect{fill:red}", true, "a,b", options.FormatPDF
		},
	}
	paths := testclient.Paths(t, keyHex, saltHex, cases)
	keys, _ := sign.ParseHexList(keyHex)
	salts, _ := sign.ParseHexList(saltHex)
	ek, _ := hex.DecodeString(encKey)
	p, v := newPair(t, options.ParserConfig{SourceURLEncryptionKey: ek, AllowBypassCache: true}, sign.Config{Keys: keys, Salts: salts})
	for name, mut := range want {
		var r options.Request
		if err := handle(p, v, paths[name], &r); err != nil {
			t.Errorf("%s %s: %v", name, paths[name], err)
			continue
		}
		o := options.DefaultOptions()
		mut(&o)
		if r.Options != o || r.SourceURL != src {
			t.Errorf("%s %s:\ngot  %q %+v\nwant %q %+v", name, paths[name], r.SourceURL, r.Options, src, o)
		}
	}
}
