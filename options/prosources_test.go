package options

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/md5"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"strings"
	"testing"
)

func b64(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

func TestProSourceOptions(t *testing.T) {
	p := newParser(t, ParserConfig{AllowBypassCache: true})
	bad := KindInvalidURL
	sum := md5.Sum([]byte("abc"))
	sha := sha256.Sum256([]byte("abc"))
	runOptCases(t, p, []optCase{
		{"wmu", "wmu:" + b64("http://x/wm.png"), func(o *Options) { o.Watermark.URL = "http://x/wm.png" }, 0},
		{"watermark_url padded", "watermark_url:" + b64("http://x/w.png") + "==", func(o *Options) { o.Watermark.URL = "http://x/w.png" }, 0},
		{"wmu empty clears", "wmu:" + b64("http://x/a") + "/wmu:", nil, 0},
		{"wmu clears text", "wmt:" + b64("hi") + "/wmu:" + b64("http://x/a"), func(o *Options) { o.Watermark.URL = "http://x/a" }, 0},
		{"wmu bad base64", "wmu:!!", nil, bad},
		{"wmu control char", "wmu:" + b64("http://x/\n"), nil, bad},
		{"wmu two args", "wmu:a:b", nil, bad},
		{"wmt", "wmt:" + b64(`<b>Hi</b> <span foreground="red" size="20pt">there</span>`), func(o *Options) {
			o.Watermark.Text = `<b>Hi</b> <span foreground="red" size="20pt">there</span>`
		}, 0},
		{"wmt clears url", "wmu:" + b64("http://x/a") + "/wmt:" + b64("x"), func(o *Options) { o.Watermark.Text = "x" }, 0},
		{"wmt huge size", "wmt:" + b64(`<span size="2000000000">X</span>`), nil, bad},
		{"wmt huge font", "wmt:" + b64(`<span font="Sans 20000">X</span>`), nil, bad},
		{"wmt big nesting", "wmt:" + b64(strings.Repeat("<big>", 40)+"X"+strings.Repeat("</big>", 40)), nil, bad},
		{"wmt letter spacing", "wmt:" + b64(`<span letter_spacing="1000000000">X</span>`), nil, bad},
		{"wmt unknown element", "wmt:" + b64(`<img src="x"/>`), nil, bad},
		{"wmt unknown attribute", "wmt:" + b64(`<span onload="x">X</span>`), nil, bad},
		{"wmt closes wrapper", "wmt:" + b64(`</markup><markup>X`), nil, bad},
		{"wmt not xml", "wmt:" + b64(`a & b`), nil, bad},
		{"wmt entity", "wmt:" + b64(`&nbsp;`), nil, bad},
		{"wmt escaped", "wmt:" + b64(`a &amp; b &lt;3`), func(o *Options) { o.Watermark.Text = `a &amp; b &lt;3` }, 0},
		{"wms", "wms:100:0", func(o *Options) { o.Watermark.Width = 100 }, 0},
		{"wms empty slot", "wms::50", func(o *Options) { o.Watermark.Height = 50 }, 0},
		{"wms too big", "wms:99999:1", nil, bad},
		{"wms negative", "wms:-1", nil, bad},
		{"wms three", "wms:1:2:3", nil, bad},
		{"wmr", "wmr:45.5", func(o *Options) { o.Watermark.Rotate = 45.5 }, 0},
		{"wm_rot negative", "wm_rot:-90", func(o *Options) { o.Watermark.Rotate = 270 }, 0},
		{"watermark_rotate wraps", "watermark_rotate:450", func(o *Options) { o.Watermark.Rotate = 90 }, 0},
		{"wmr not a number", "wmr:x", nil, bad},
		{"wmsh", "wmsh:2.5", func(o *Options) { o.Watermark.Shadow = 2.5 }, 0},
		{"wmsh too big", "wmsh:101", nil, bad},
		{"wmsh negative", "watermark_shadow:-1", nil, bad},
		{"fiu", "fiu:" + b64("http://x/f.png"), func(o *Options) { o.FallbackImageURL = "http://x/f.png" }, 0},
		{"fiu bad", "fallback_image_url:@@", nil, bad},
		{"hs md5", "hs:md5:" + hex.EncodeToString(sum[:]), func(o *Options) { o.Hashsum = Hashsum{HashsumMD5, string(sum[:])} }, 0},
		{"hashsum sha256 upper", "hashsum:sha256:" + strings.ToUpper(hex.EncodeToString(sha[:])), func(o *Options) {
			o.Hashsum = Hashsum{HashsumSHA256, string(sha[:])}
		}, 0},
		{"hs none", "hs:md5:" + hex.EncodeToString(sum[:]) + "/hs:none", nil, 0},
		{"hs wrong length", "hs:sha1:" + hex.EncodeToString(sum[:]), nil, bad},
		{"hs not hex", "hs:md5:zz", nil, bad},
		{"hs no digest", "hs:sha512", nil, bad},
		{"hs unknown", "hs:crc32:00000000", nil, bad},
		{"st", "st:" + b64("rect{fill:red}"), func(o *Options) { o.Style = "rect{fill:red}" }, 0},
		{"stl (client library)", "stl:" + b64("a{}\n"), func(o *Options) { o.Style = "a{}\n" }, 0},
		{"style control char", "style:" + b64("a\x00"), nil, bad},
		{"style not utf-8", "style:" + b64("\xff"), nil, bad},
		{"bc", "bc:1", func(o *Options) { o.BypassCache = true }, 0},
		{"bypass_cache false", "bypass_cache:0", nil, 0},
		{"ct", "ct:a:b-c::d_1", func(o *Options) { o.CacheTags = "a,b-c,d_1" }, 0},
		{"cache_tags clear", "ct:a/cache_tags:", nil, 0},
		{"ct comma", "ct:a,b", nil, bad},
		{"ct not ascii", "ct:ä", nil, bad},
		{"ch position", "wm:0.5:ch", func(o *Options) { o.Watermark.Opacity, o.Watermark.Position.Type = 0.5, GravityChessboard }, 0},
		{"pdf extension", "w:10", func(o *Options) { o.Width = 10 }, 0},
	})
	r, err := parseURL(p, "/insecure/plain/http://x/a.jpg@pdf", Hints{})
	if err != nil || r.Options.Format != FormatPDF {
		t.Fatalf("@pdf: got %v %v; want pdf", r, err)
	}
}

func TestBypassCacheNeedsSwitch(t *testing.T) {
	p := newParser(t, ParserConfig{})
	if _, err := parseURL(p, "/insecure/bc:1"+srcTail, Hints{}); kindOf(err) != KindSecurityOption {
		t.Fatalf("got %v; want KindSecurityOption", err)
	}
	if _, err := NewParser(ParserConfig{Presets: map[string]string{"x": "bc:1"}}); err == nil {
		t.Fatal("a preset with bypass_cache started without IMGPROXY_ALLOW_BYPASS_CACHE")
	}
}

func TestProSourceURLRules(t *testing.T) {
	wm := b64("http://cdn/wm.png")
	p := newParser(t, ParserConfig{
		AllowedSources:         []string{"http://cdn/", "http://img/"},
		URLReplacements:        []URLReplacement{{Pattern: "mark:", Replacement: "http://cdn/"}},
		WatermarkPreprocessURL: true,
		Presets:                map[string]string{"marked": "wm:1:soea/wmu:" + wm},
	})
	r, err := parseURL(p, "/insecure/wmu:"+b64("mark:x.png")+"/plain/http://img/a.jpg", Hints{})
	if err != nil || r.Options.Watermark.URL != "http://cdn/x.png" {
		t.Fatalf("preprocessed watermark_url: got %+v %v; want http://cdn/x.png", r, err)
	}
	// fallback_image_url is not preprocessed (its switch is off) and so
	// fails the allow-list.
	if _, err := parseURL(p, "/insecure/fiu:"+b64("mark:x.png")+"/plain/http://img/a.jpg", Hints{}); kindOf(err) != KindSourceNotAllowed {
		t.Fatalf("fallback_image_url outside IMGPROXY_ALLOWED_SOURCES: got %v; want KindSourceNotAllowed", err)
	}
	if _, err := parseURL(p, "/insecure/wmu:"+b64("http://evil/x.png")+"/plain/http://img/a.jpg", Hints{}); kindOf(err) != KindSourceNotAllowed {
		t.Fatalf("watermark_url outside IMGPROXY_ALLOWED_SOURCES: got %v; want KindSourceNotAllowed", err)
	}
	r, err = parseURL(p, "/insecure/pr:marked/plain/http://img/a.jpg", Hints{})
	if err != nil || r.Options.Watermark.URL != "http://cdn/wm.png" || r.Options.Watermark.Position.Type != GravitySouthEast {
		t.Fatalf("preset: got %+v %v", r, err)
	}

	// The allow-list names options as written; presets are exempt.
	p = newParser(t, ParserConfig{AllowedProcessingOptions: []string{"wm", "wmu", "pr"}, Presets: map[string]string{"t": "wmt:" + b64("x")}})
	if _, err := parseURL(p, "/insecure/wm:1/wmu:"+wm+srcTail, Hints{}); err != nil {
		t.Fatalf("allowed wmu: %v", err)
	}
	if _, err := parseURL(p, "/insecure/watermark_url:"+wm+srcTail, Hints{}); kindOf(err) != KindInvalidURL {
		t.Fatalf("watermark_url not in the allow-list: got %v; want KindInvalidURL", err)
	}
	if r, err := parseURL(p, "/insecure/pr:t"+srcTail, Hints{}); err != nil || r.Options.Watermark.Text != "x" {
		t.Fatalf("wmt from a preset: got %+v %v", r, err)
	}
	// Only-presets mode accepts presets with Pro options and nothing else.
	p = newParser(t, ParserConfig{OnlyPresets: true, Presets: map[string]string{"t": "wmt:" + b64("x") + "/ct:a"}})
	if r, err := parseURL(p, "/insecure/t"+srcTail, Hints{}); err != nil || r.Options.CacheTags != "a" {
		t.Fatalf("only presets: got %+v %v", r, err)
	}
}

// encryptURL encrypts u as imgproxy Pro's documentation describes: PKCS #7
// padding, AES-CBC, IV in front, URL-safe base64.
func encryptURL(t testing.TB, key, iv []byte, u string) string {
	t.Helper()
	block, err := aes.NewCipher(key)
	if err != nil {
		t.Fatal(err)
	}
	n := aes.BlockSize - len(u)%aes.BlockSize
	pt := []byte(u + strings.Repeat(string(rune(n)), n))
	ct := make([]byte, len(pt))
	cipher.NewCBCEncrypter(block, iv).CryptBlocks(ct, pt)
	return base64.RawURLEncoding.EncodeToString(append(append([]byte(nil), iv...), ct...))
}

func TestEncryptedSource(t *testing.T) {
	// The example of imgproxy Pro's documentation.
	key, _ := hex.DecodeString("1eb5b0e971ad7f45324c1bb15c947cb207c43152fa5c6c7f35c4f36e0c18e0f1")
	iv, _ := hex.DecodeString("a79563a2b35d86cee6451c3c800f535a")
	const docEnc = "p5VjorNdhs7mRRw8gA9TWoRlGci3l1kuzqN43UQlRaRIQ0qtBKW3qFABIsx-ZRz_cVc8iVTYbhsNsxNBL1BHaQ"
	if got := encryptURL(t, key, iv, "http://example.com/images/curiosity.jpg"); got != docEnc {
		t.Fatalf("test encryption: got %s; want the documented %s", got, docEnc)
	}
	p := newParser(t, ParserConfig{SourceURLEncryptionKey: key, BaseURL: "http://example.com/"})
	split := docEnc[:16] + "/" + docEnc[16:40] + "/" + docEnc[40:]
	for _, tc := range []struct {
		name, uri, want string
		f               Format
	}{
		{"doc example", "/insecure/rs:fit:300:300/enc/" + docEnc, "http://example.com/images/curiosity.jpg", 0},
		{"split with extension", "/insecure/enc/" + split + ".png", "http://example.com/images/curiosity.jpg", FormatPNG},
		{"base url applies", "/insecure/enc/" + encryptURL(t, key, iv, "a.jpg"), "http://example.com/a.jpg", 0},
		{"16-byte url", "/insecure/enc/" + encryptURL(t, key, iv, "images/abcd.jpeg"), "http://example.com/images/abcd.jpeg", 0},
	} {
		r, err := parseURL(p, tc.uri, Hints{})
		if err != nil || r.SourceURL != tc.want || r.Options.Format != tc.f {
			t.Errorf("%s: got %+v %v; want %q format %v", tc.name, r, err, tc.want, tc.f)
		}
	}
	raw, _ := base64.RawURLEncoding.DecodeString(docEnc)
	tamper := func(i int) string {
		b := append([]byte(nil), raw...)
		b[i] ^= 0x5a
		return base64.RawURLEncoding.EncodeToString(b)
	}
	for name, enc := range map[string]string{
		"last byte":       tamper(len(raw) - 1),
		"truncated":       docEnc[:len(docEnc)-22],
		"iv only":         base64.RawURLEncoding.EncodeToString(iv),
		"not base64":      "!!!!",
		"not block sized": docEnc[:len(docEnc)-2],
		"control chars":   encryptURL(t, key, iv, "http://x/\r\n"),
		"empty":           encryptURL(t, key, iv, ""),
	} {
		if r, err := parseURL(p, "/insecure/enc/"+enc, Hints{}); kindOf(err) != KindInvalidURL {
			t.Errorf("%s: got %+v %v; want KindInvalidURL", name, r, err)
		}
	}
	// With the filename switch, the last segment is a name.
	p = newParser(t, ParserConfig{SourceURLEncryptionKey: key, Base64URLIncludesFilename: true})
	if r, err := parseURL(p, "/insecure/enc/"+split+"/curiosity.jpg", Hints{}); err != nil || r.SourceURL != "http://example.com/images/curiosity.jpg" {
		t.Fatalf("filename: got %+v %v", r, err)
	}
	// A wrong key decrypts to garbage: refused.
	other := append([]byte(nil), key...)
	other[0] ^= 1
	p = newParser(t, ParserConfig{SourceURLEncryptionKey: other})
	if _, err := parseURL(p, "/insecure/enc/"+docEnc, Hints{}); kindOf(err) != KindInvalidURL {
		t.Fatalf("wrong key: got %v; want KindInvalidURL", err)
	}
	if _, err := NewParser(ParserConfig{SourceURLEncryptionKey: []byte("short")}); err == nil {
		t.Fatal("a 5-byte key was accepted")
	}
}

func TestHashsumCheck(t *testing.T) {
	data := []byte("source bytes")
	for _, typ := range []string{"md5", "sha1", "sha256", "sha512"} {
		var o Options
		st := &parseState{o: &o}
		h := HashsumType(0)
		for i, n := range hashsumNames {
			if n == typ {
				h = HashsumType(i)
			}
		}
		d := h.new()
		d.Write(data)
		if err := parseHashsum(st, []byte("hs"), [][]byte{[]byte(typ), []byte(hex.EncodeToString(d.Sum(nil)))}); err != nil {
			t.Fatal(err)
		}
		if err := o.Hashsum.Check(data); err != nil {
			t.Errorf("%s match: got %v; want nil", typ, err)
		}
		if err := o.Hashsum.Check(append(data, '!')); KindOf(err) != KindHashsumMismatch {
			t.Errorf("%s mismatch: got %v; want KindHashsumMismatch", typ, err)
		}
	}
	if err := (Hashsum{}).Check(nil); err != nil {
		t.Fatalf("none: got %v", err)
	}
}

// FuzzCheckMarkup: the watermark_text check never panics, and markup it
// accepts keeps every size within the cap (re-checked on a few
// attributes by parsing the accepted text again).
func FuzzCheckMarkup(f *testing.F) {
	for _, s := range []string{
		`<b>Hi</b>`, `<span size="20pt" foreground="#f00">x</span>`, `<span font="Sans Bold 30">x</span>`,
		`<big><big>x</big></big>`, `<span size="150%"><span size="larger">x</span></span>`,
		`</markup><markup>`, `<span letter_spacing="2048" rise="-1024" line_height="1.5">x</span>`, `a &amp; b`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if err := checkMarkup([]byte(s)); err != nil {
			return
		}
		if strings.Contains(s, "<markup") || strings.Contains(s, "<?") || strings.Contains(s, "<!DOCTYPE") {
			t.Fatalf("accepted %q", s)
		}
	})
}

// Options that need object detection or video decoding stay refused with
// 404 and a message naming them (docs/options.md, "Not provided").
func TestNotProvidedOptionsNamed(t *testing.T) {
	p := newParser(t, ParserConfig{})
	for _, seg := range []string{
		"objects_position:ce", "obj_pos:ce", "op:ce", "blur_detections:5", "bd:5", "draw_detections:1", "dd:1",
		"crop_objects:1", "c_obj:1", "video_thumbnail_second:1", "vts:1", "video_thumbnail_keyframes:1", "vtk:1",
		"video_thumbnail_tile:1:2:2:10:10", "vtt:1", "video_thumbnail_animation:1", "vta:1", "g:obj:face", "g:objw:face:2",
		"c:10:10:obj", "f:mp4",
	} {
		_, err := parseURL(p, "/insecure/"+seg+srcTail, Hints{})
		name, _, _ := strings.Cut(seg, ":")
		if strings.HasPrefix(seg, "g:") || strings.HasPrefix(seg, "c:") {
			name = "obj"
		}
		if strings.HasPrefix(seg, "f:") {
			name = "mp4"
		}
		if kindOf(err) != KindInvalidURL || !strings.Contains(err.Error(), `"`+name) {
			t.Errorf("%s: got %v; want KindInvalidURL naming %q", seg, err, name)
		}
	}
}
