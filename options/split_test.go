package options

import (
	"regexp"
	"strings"
	"testing"
)

func TestSplit(t *testing.T) {
	p := newParser(t, ParserConfig{})
	pp := newParser(t, ParserConfig{PathPrefix: "/img"})
	cases := []struct {
		name      string
		p         *Parser
		uri       string
		sig, path string
		kind      ErrorKind
	}{
		{"plain", p, "/sig/w:1/plain/http://x/a.jpg", "sig", "/w:1/plain/http://x/a.jpg", 0},
		{"query dropped", p, "/sig/w:1/plain/http://x/a.jpg@png?v=2&x=/y", "sig", "/w:1/plain/http://x/a.jpg@png", 0},
		{"prefix", pp, "/img/sig/plain/http://x/a.jpg", "sig", "/plain/http://x/a.jpg", 0},
		{"prefix missing", pp, "/sig/plain/http://x/a.jpg", "", "", KindInvalidURL},
		{"no leading slash", p, "sig/plain/x", "sig", "/plain/x", 0},
		{"colon repair", p, "/sig/rs%3Afill%3A300%3A400%3A0/g%3Asm/plain/http://x/a%3Ab.jpg",
			"sig", "/rs:fill:300:400:0/g:sm/plain/http://x/a%3Ab.jpg", 0},
		{"lower %3a untouched", p, "/sig/w%3a1/plain/http://x/a.jpg", "sig", "/w%3a1/plain/http://x/a.jpg", 0},
		{"colon repair base64", p, "/sig/w%3A1/aHR0cDovL3gvYS5qcGc", "sig", "/w:1/aHR0cDovL3gvYS5qcGc", 0},
		{"scheme repair", p, "/sig/w:1/plain/http:/example.com/images/curiosity.jpg@png",
			"sig", "/w:1/plain/http://example.com/images/curiosity.jpg@png", 0},
		{"scheme repair no options", p, "/sig/plain/https:/x/a.jpg", "sig", "/plain/https://x/a.jpg", 0},
		{"local repair", p, "/sig/plain/local:/a/b.png", "sig", "/plain/local:///a/b.png", 0},
		{"s3 repair", p, "/sig/plain/s3:/bucket/key", "sig", "/plain/s3://bucket/key", 0},
		{"both repairs", p, "/sig/rs%3Afit%3A10/plain/http:/x/a.jpg", "sig", "/rs:fit:10/plain/http://x/a.jpg", 0},
		{"greedy like imgproxy", p, "/sig/plain/http://x/a:/b", "sig", "/plain/http://x/a://b", 0},
		{"intact scheme", p, "/sig/plain/http://x/a.jpg", "sig", "/plain/http://x/a.jpg", 0},
		{"double slash", p, "//rs:fit:10:10/plain/http://x/a.jpg", "rs:fit:10:10", "/plain/http://x/a.jpg", 0},
		{"double slash prefix", pp, "/img//sig/plain/http://x/a.jpg", "sig", "/plain/http://x/a.jpg", 0},
		{"empty signature", p, "///plain/http://x/a.jpg", "", "", KindInvalidURL},
		{"signature only", p, "/sig", "", "", KindInvalidURL},
		{"signature slash", p, "/sig/", "", "", KindInvalidURL},
		{"empty", p, "", "", "", KindInvalidURL},
		{"root", p, "/", "", "", KindInvalidURL},
		{"too long", p, "/sig/plain/http://x/" + strings.Repeat("a", DefaultMaxURLLength), "", "", KindInvalidURL},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			sig, path, err := tc.p.Split([]byte(tc.uri))
			if tc.kind != 0 {
				if kindOf(err) != tc.kind {
					t.Fatalf("got %v; want kind %s", err, tc.kind)
				}
				return
			}
			if err != nil {
				t.Fatalf("got %v; want nil", err)
			}
			if string(sig) != tc.sig || string(path) != tc.path {
				t.Fatalf("got %q %q; want %q %q", sig, path, tc.sig, tc.path)
			}
		})
	}
}

func TestSplitDoesNotModifyInput(t *testing.T) {
	p := newParser(t, ParserConfig{})
	in := []byte("/sig/rs%3Afit%3A10/plain/http:/x/a.jpg")
	orig := string(in)
	_, _, _ = p.Split(in)
	if string(in) != orig {
		t.Fatalf("got input %q after Split; want %q", in, orig)
	}
}

func TestSources(t *testing.T) {
	p := newParser(t, ParserConfig{})
	cases := []struct {
		name string
		uri  string
		src  string
		f    Format
		kind ErrorKind
	}{
		{"plain", "/s/plain/http://example.com/a.jpg", "http://example.com/a.jpg", 0, 0},
		{"plain ext", "/s/plain/http://example.com/a.jpg@webp", "http://example.com/a.jpg", FormatWebP, 0},
		{"plain empty ext", "/s/plain/http://example.com/a.jpg@", "http://example.com/a.jpg", 0, 0},
		{"plain escaped", "/s/plain/http%3A%2F%2Fexample.com%2Fimages%2Fcuriosity.jpg@webp", "http://example.com/images/curiosity.jpg", FormatWebP, 0},
		{"plain escaped query and at", "/s/plain/http://x/a.jpg%3Fv%3D1%26s%3D%40me%25", "http://x/a.jpg?v=1&s=@me%", 0, 0},
		{"plus stays", "/s/plain/http://x/a+b.jpg", "http://x/a+b.jpg", 0, 0},
		{"utf8", "/s/plain/http://x/%D1%84.jpg", "http://x/ф.jpg", 0, 0},
		{"multiple at", "/s/plain/http://x/a.jpg@png@webp", "", 0, KindInvalidURL},
		{"bad escape", "/s/plain/http://x/a%zz.jpg", "", 0, KindInvalidURL},
		{"truncated escape", "/s/plain/http://x/a%2", "", 0, KindInvalidURL},
		{"nul", "/s/plain/http://x/a%00.jpg", "", 0, KindInvalidURL},
		{"crlf", "/s/plain/http://x/a%0D%0AHost:evil", "", 0, KindInvalidURL},
		{"empty plain", "/s/plain/@png", "", 0, KindInvalidURL},
		{"unknown ext", "/s/plain/http://x/a.jpg@tif", "", 0, KindInvalidURL},
		{"ext beats format", "/s/f:png/plain/http://x/a.jpg@jpg", "http://x/a.jpg", FormatJPEG, 0},
		{"raw ignores ext", "/s/raw:1/plain/http://x/a.jpg@whatever", "http://x/a.jpg", 0, 0},
		{"missing source", "/s/w:1", "", 0, KindInvalidURL},
		{"plain alone is base64", "/s/plain", "", 0, KindInvalidURL},
		{"base64", "/s/aHR0cDovL2V4YW1wbGUuY29tL2ltYWdlcy9jdXJpb3NpdHkuanBn", "http://example.com/images/curiosity.jpg", 0, 0},
		{"base64 split ext", "/s/rs:fill:300:400:0/g:sm/aHR0cDovL2V4YW1w/bGUuY29tL2ltYWdl/cy9jdXJpb3NpdHku/anBn.png",
			"http://example.com/images/curiosity.jpg", FormatPNG, 0},
		{"base64 padded", "/s/aHR0cDovL3gvYS5qcGc=.webp", "http://x/a.jpg", FormatWebP, 0},
		{"base64 padded 2", "/s/aHR0cDovL3gvYWIuanBn", "http://x/ab.jpg", 0, 0},
		{"base64 url-safe chars", "/s/aHR0cDovL3gvPz8_Pz4-", "http://x/????>>", 0, 0},
		{"base64 multiple dots", "/s/aHR0cDovL3gvYS5qcGc.png.webp", "", 0, KindInvalidURL},
		{"base64 invalid", "/s/!!!!", "", 0, KindInvalidURL},
		{"base64 std alphabet", "/s/aHR0cDovL3gvPz8+Pz4-", "", 0, KindInvalidURL},
		{"base64 empty", "/s/.png", "", 0, KindInvalidURL},
		{"legacy basic fit", "/s/fit/300/300/no/0/aHR0cDovL3gvYS5qcGc", "", 0, KindInvalidURL},
		{"legacy basic fill", "/s/fill/300/300/no/0/aHR0cDovL3gvYS5qcGc.png", "", 0, KindInvalidURL},
		{"legacy basic force", "/s/force/1/1/ce/0/aHR0cDovL3gvYS5qcGc", "", 0, KindInvalidURL},
		{"enc without a key", "/s/enc/aHR0cDovL3gvYS5qcGc", "", 0, KindInvalidURL},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r, err := parseURL(p, tc.uri, Hints{})
			if tc.kind != 0 {
				if kindOf(err) != tc.kind {
					t.Fatalf("got %v (%+v); want kind %s", err, r, tc.kind)
				}
				return
			}
			if err != nil {
				t.Fatalf("got %v; want nil", err)
			}
			if r.SourceURL != tc.src || r.Options.Format != tc.f {
				t.Fatalf("got %q %s; want %q %s", r.SourceURL, r.Options.Format, tc.src, tc.f)
			}
		})
	}
}

func TestBase64Filename(t *testing.T) {
	p := newParser(t, ParserConfig{Base64URLIncludesFilename: true})
	for uri, want := range map[string]string{
		"/s/aHR0cDovL3gvYS5qcGc/puppy.jpg":      "http://x/a.jpg",
		"/s/aHR0cDovL3gv/YS5qcGc.png/puppy.jpg": "http://x/a.jpg",
		"/s/aHR0cDovL3gvYS5qcGc":                "http://x/a.jpg",
	} {
		r, err := parseURL(p, uri, Hints{})
		if err != nil || r.SourceURL != want {
			t.Errorf("%s: got %v %+v; want %q", uri, err, r, want)
		}
	}
}

func TestBaseURLAndReplacements(t *testing.T) {
	repl, err := ParseURLReplacements("mys3://=s3://my-bucket/;https://*.cdn.example.com/*/=https://${2}.example.org/${1}/")
	if err != nil {
		t.Fatal(err)
	}
	p := newParser(t, ParserConfig{BaseURL: "http://base.example.com/", URLReplacements: repl})
	cases := map[string]string{
		"/s/plain/images/a.jpg":                        "http://base.example.com/images/a.jpg",
		"/s/plain/http://base.example.com/a.jpg":       "http://base.example.com/a.jpg",
		"/s/plain/mys3://key/a.jpg":                    "http://base.example.com/s3://my-bucket/key/a.jpg",
		"/s/plain/https://eu.cdn.example.com/v1/a.jpg": "http://base.example.com/https://v1.example.org/eu/a.jpg",
		"/s/plain/https://eu.cdn.example.com/v1":       "http://base.example.com/https://eu.cdn.example.com/v1",
	}
	for uri, want := range cases {
		r, err := parseURL(p, uri, Hints{})
		if err != nil || r.SourceURL != want {
			t.Errorf("%s: got %v %+v; want %q", uri, err, r, want)
		}
	}
	p2 := newParser(t, ParserConfig{URLReplacements: repl})
	r, err := parseURL(p2, "/s/plain/mys3://key/a.jpg", Hints{})
	if err != nil || r.SourceURL != "s3://my-bucket/key/a.jpg" {
		t.Errorf("got %v %+v; want s3://my-bucket/key/a.jpg", err, r)
	}
}

func TestAllowedSources(t *testing.T) {
	p := newParser(t, ParserConfig{AllowedSources: []string{
		"http://example.com", "https://*.cdn.example.org/", "s3://bucket/", "local:///img/",
	}})
	cases := map[string]bool{
		"http://example.com":                      true,
		"http://example.com/a.jpg":                true,
		"http://example.com?x":                    true,
		"http://example.com.evil.com/a.jpg":       false,
		"http://example.com@evil.com/a.jpg":       false,
		"http://example.com:evil@evil.com/":       false,
		"http://example.com\\@evil.com/":          false,
		"http://example.community/":               false,
		"https://eu.cdn.example.org/a.jpg":        true,
		"https://a.b.cdn.example.org/a.jpg":       true,
		"https://evil.com/.cdn.example.org/a.jpg": false,
		"https://evil.com?.cdn.example.org/a.jpg": false,
		"https://evil.com#.cdn.example.org/a.jpg": false,
		"https://evil.com@x.cdn.example.org/":     false,
		"https://cdn.example.org/a.jpg":           false,
		"s3://bucket/key":                         true,
		"s3://bucket-evil/key":                    false,
		"local:///img/a.png":                      true,
		"local:///etc/passwd":                     false,
		"HTTP://example.com/":                     false,
	}
	for src, ok := range cases {
		uri := "/s/plain/" + strings.NewReplacer("%", "%25", "?", "%3F", "@", "%40", "#", "%23").Replace(src)
		_, err := parseURL(p, uri, Hints{})
		switch {
		case ok && err != nil:
			t.Errorf("%s: got %v; want allowed", src, err)
		case !ok && kindOf(err) != KindSourceNotAllowed:
			t.Errorf("%s: got %v; want KindSourceNotAllowed", src, err)
		}
	}
}

// refRepair is imgproxy's documented scheme repair as a regexp, used as
// the reference for repairPath (path without the %3A part).
var refRepairRe = regexp.MustCompile(`/plain/(\S+):/([^/])`)

func refRepair(path string) string {
	m := refRepairRe.FindStringSubmatchIndex(path)
	if m == nil {
		return path
	}
	scheme := path[m[2]:m[3]]
	repl := "/plain/" + scheme + "://"
	if scheme == "local" {
		repl += "/"
	}
	return path[:m[0]] + repl + path[m[4]:m[5]] + path[m[1]:]
}

func TestRepairMatchesRegexp(t *testing.T) {
	inputs := []string{
		"/plain/http:/x/a.jpg", "/plain/http://x/a.jpg", "/plain/local:/a", "/plain/local://a",
		"/w:1/plain/s3:/b/k@png", "/plain/http://x/a:/b", "/plain/a:/b:/c", "/plain/:/x", "/plain/x:/",
		"/plain/x:/ /y", "/plain/ http:/x", "/plain/http:/", "/plain/http:/x/plain/https:/y",
		"/plain/abc", "/aHR0cDovL3gvYS5qcGc", "/plain/h:/:/:/a", "/plain/http:///x",
	}
	for _, in := range inputs {
		if got, want := string(repairPath([]byte(in))), refRepair(in); got != want {
			t.Errorf("repairPath(%q) = %q; want %q (regexp reference)", in, got, want)
		}
	}
}

func FuzzRepairPath(f *testing.F) {
	f.Add("/plain/http:/x/a.jpg")
	f.Add("/plain/local:/a:/b")
	f.Fuzz(func(t *testing.T, in string) {
		if strings.Contains(in, "%3A") || strings.ContainsAny(in, " \t\n\r\f\v") {
			return // %3A repair and whitespace are covered elsewhere
		}
		if got, want := string(repairPath([]byte(in))), refRepair(in); got != want {
			t.Fatalf("repairPath(%q) = %q; want %q", in, got, want)
		}
	})
}
