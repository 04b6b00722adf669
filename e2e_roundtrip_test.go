package main

// Server-level round trip of URLs built by the official imgproxy client
// library: options/testclient turns option objects into paths with
// @imgproxy/imgproxy-node (options/testdata/jsclient); the running binary must
// answer them with the expected format and size, signed and unsigned, and
// refuse a tampered signature. Also: security headers on
// every answer and no key, salt or secret in logs or error bodies.

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"image"
	"net/http"
	"strings"
	"testing"

	"github.com/imgedge/imgedge/options/testclient"
	"github.com/imgedge/imgedge/sign"
)

// rtCase is one option object for gen.cjs (protocol in
// options/testdata/jsclient/README.md) and the expected answer.
type rtCase struct {
	Name      string         `json:"name"`
	URL       string         `json:"url"`
	DisplayAs string         `json:"displayAs,omitempty"`
	Options   map[string]any `json:"options"`

	format string // Go image format name of the result
	mime   string
	w, h   int
	check  func(t *testing.T, resp *http.Response)
	body   func(t *testing.T, body []byte) // optional checks of the result's bytes
}

// rtGenerate builds the request paths of cases with the official client
// library; keyHex/saltHex "" = unsigned. It returns name -> request path.
func rtGenerate(t *testing.T, keyHex, saltHex string, cases []rtCase) map[string]string {
	t.Helper()
	return testclient.Paths(t, keyHex, saltHex, cases)
}

// rtCases are option combinations over the samples (photo.jpg 1200×800,
// alpha.png 400×400, anim.gif 160×120), with the result size worked out
// from the size rules of docs/options.md.
func rtCases() []rtCase {
	const photo, alpha, anim = "local:///photo.jpg", "local:///alpha.png", "local:///anim.gif"
	return append([]rtCase{
		{Name: "fit-webp", URL: photo, Options: map[string]any{
			"resize": map[string]any{"resizing_type": "fit", "width": 300, "height": 300}, "format": "webp",
		}, format: "webp", mime: "image/webp", w: 300, h: 200},
		{Name: "fill-smart-png-plain", URL: photo, DisplayAs: "plain", Options: map[string]any{
			"resize": map[string]any{"resizing_type": "fill", "width": 150, "height": 150}, "gravity": map[string]any{"type": "sm"}, "format": "png",
		}, format: "png", mime: "image/png", w: 150, h: 150},
		{Name: "width-dpr", URL: photo, Options: map[string]any{"width": 100, "dpr": 2, "quality": 70},
			format: "jpeg", mime: "image/jpeg", w: 200, h: 133},
		{Name: "crop-then-width-plain", URL: photo, DisplayAs: "plain", Options: map[string]any{
			"crop": map[string]any{"width": 600, "height": 400, "gravity": map[string]any{"type": "ce"}}, "width": 120,
		}, format: "jpeg", mime: "image/jpeg", w: 120, h: 80},
		{Name: "fill-down-no-enlarge", URL: alpha, Options: map[string]any{
			"resize": map[string]any{"resizing_type": "fill-down", "width": 500, "height": 250}, "format": "png",
		}, format: "png", mime: "image/png", w: 400, h: 200},
		{Name: "fit-extend", URL: photo, Options: map[string]any{
			"resize":     map[string]any{"resizing_type": "fit", "width": 200, "height": 200, "extend": map[string]any{"extend": 1}},
			"background": map[string]any{"r": 10, "g": 20, "b": 30}, "format": "png",
		}, format: "png", mime: "image/png", w: 200, h: 200},
		{Name: "padding", URL: photo, Options: map[string]any{"width": 100, "padding": 10, "format": "png"},
			format: "png", mime: "image/png", w: 120, h: 87},
		{Name: "zoom-gif", URL: photo, Options: map[string]any{"zoom": 0.25, "format": "gif"},
			format: "gif", mime: "image/gif", w: 300, h: 200},
		{Name: "size-force-enlarge", URL: alpha, Options: map[string]any{
			"size": map[string]any{"width": 500, "height": 50, "enlarge": 1}, "resizing_type": "force", "format": "webp",
		}, format: "webp", mime: "image/webp", w: 500, h: 50},
		{Name: "anim-width", URL: anim, Options: map[string]any{"width": 80},
			format: "gif", mime: "image/gif", w: 80, h: 60},
		{Name: "attachment-filename-expires", URL: photo, Options: map[string]any{
			"width": 64, "return_attachment": 1, "filename": map[string]any{"name": "nice"}, "expires": 4000000000, "cachebuster": "v2",
		}, format: "jpeg", mime: "image/jpeg", w: 64, h: 43, check: func(t *testing.T, resp *http.Response) {
			if cd := resp.Header.Get("Content-Disposition"); cd != `attachment; filename="nice.jpg"` {
				t.Errorf("Content-Disposition %q; want attachment; filename=\"nice.jpg\"", cd)
			}
			if cc := resp.Header.Get("Cache-Control"); !strings.HasPrefix(cc, "max-age=") || !strings.HasSuffix(cc, ", public") {
				t.Errorf("Cache-Control %q; want max-age=N, public", cc)
			}
		}},
		{Name: "flip-rotate-blur-sharpen", URL: photo, Options: map[string]any{
			"width": 90, "rotate": 90, "flip": map[string]any{"horizontal": 1}, "blur": 0.5, "sharpen": 0.3, "strip_metadata": 1,
		}, format: "jpeg", mime: "image/jpeg", w: 90, h: 135}, // rotation swaps the source to 800×1200 first
	}, rtProImageCases()...)
}

// rtSecrets are distinctive enough to find in any output.
const (
	rtKeyHex  = "c0ffee11d00dfeedface0badbeef5eed1234567890abcdef0fedcba987654321"
	rtSaltHex = "5a175a17deadc0de0123456789abcdef00112233445566778899aabbccddeeff"
	rtSecret  = "bearer-secret-Zq9xW3"
)

func rtCheckCase(t *testing.T, s *server, path string, c rtCase, hdr ...string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, s.URL, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.URL.Opaque = path
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := s.Client.Do(req)
	if err != nil {
		t.Fatalf("%s: GET %s: %v", c.Name, path, err)
	}
	defer resp.Body.Close()
	var body bytes.Buffer
	body.ReadFrom(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Errorf("%s: GET %s: got %d (%q); want 200", c.Name, path, resp.StatusCode, truncate(body.Bytes()))
		return
	}
	if ct := resp.Header.Get("Content-Type"); ct != c.mime {
		t.Errorf("%s: Content-Type %q; want %q", c.Name, ct, c.mime)
	}
	cfg, format, err := image.DecodeConfig(bytes.NewReader(body.Bytes()))
	if err != nil || format != c.format || cfg.Width != c.w || cfg.Height != c.h {
		t.Errorf("%s: GET %s: got %s %dx%d (%v); want %s %dx%d", c.Name, path, format, cfg.Width, cfg.Height, err, c.format, c.w, c.h)
	}
	if got := resp.Header.Get("X-Content-Type-Options"); got != "nosniff" {
		t.Errorf("%s: X-Content-Type-Options %q; want nosniff", c.Name, got)
	}
	if c.check != nil {
		c.check(t, resp)
	}
	if c.body != nil {
		c.body(t, body.Bytes())
	}
}

func TestE2EClientLibraryRoundTripUnsigned(t *testing.T) {
	t.Parallel()
	cases := rtCases()
	paths := rtGenerate(t, "", "", cases)
	s := launch(t, map[string]string{"IMGPROXY_LOCAL_FILESYSTEM_ROOT": samplesRoot(t)})
	for _, c := range cases {
		p := paths[c.Name]
		if !strings.HasPrefix(p, "/insecure/") {
			t.Errorf("%s: unsigned path %q; want it to start with /insecure/", c.Name, p)
		}
		rtCheckCase(t, s, p, c)
	}
}

func TestE2EClientLibraryRoundTripSigned(t *testing.T) {
	t.Parallel()
	cases := rtCases()
	paths := rtGenerate(t, rtKeyHex, rtSaltHex, cases)
	s := launch(t, map[string]string{
		"IMGPROXY_LOCAL_FILESYSTEM_ROOT": samplesRoot(t),
		"IMGPROXY_KEY":                   rtKeyHex,
		"IMGPROXY_SALT":                  rtSaltHex,
		"IMGPROXY_SECRET":                rtSecret,
		"IMGPROXY_LOG_LEVEL":             "debug",
	})
	auth := []string{"Authorization", "Bearer " + rtSecret}
	for _, c := range cases {
		rtCheckCase(t, s, paths[c.Name], c, auth...)
	}

	// Tampering: a changed signature character, a signature of another
	// path, an unsigned form, a dropped signature and a changed option all
	// get 403 Forbidden.
	p := paths["fit-webp"]
	sig, rest, _ := strings.Cut(strings.TrimPrefix(p, "/"), "/")
	flip := "A"
	if sig[0] == 'A' {
		flip = "B"
	}
	other := paths["width-dpr"]
	otherSig, _, _ := strings.Cut(strings.TrimPrefix(other, "/"), "/")
	for _, bad := range []string{
		"/" + flip + sig[1:] + "/" + rest,
		"/" + otherSig + "/" + rest,
		"/" + sig[:len(sig)-4] + "/" + rest,
		"/insecure/" + rest,
		"/_/" + rest,
		"/" + sig + "/" + strings.Replace(rest, "300", "301", 1),
	} {
		resp, body := s.get(t, bad, auth...)
		if resp.StatusCode != http.StatusForbidden || string(body) != "Forbidden" {
			t.Errorf("tampered %s: got %d %q; want 403 \"Forbidden\"", bad, resp.StatusCode, truncate(body))
		}
		rtCheckSecurityHeaders(t, resp, "tampered URL")
	}
	// Right signature, wrong or missing bearer secret.
	for _, hdr := range [][]string{nil, {"Authorization", "Bearer wrong"}, {"Authorization", rtSecret}} {
		resp, body := s.get(t, p, hdr...)
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("Authorization %q: got %d %q; want 403", hdr, resp.StatusCode, truncate(body))
		}
	}
	rtCheckNoSecrets(t, s, auth)
}

// rtCheckSecurityHeaders: nosniff and the sandboxing CSP on every answer.
func rtCheckSecurityHeaders(t *testing.T, resp *http.Response, what string) {
	t.Helper()
	if got := resp.Header.Get("X-Content-Type-Options"); got != "nosniff" {
		t.Errorf("%s (%d): X-Content-Type-Options %q; want nosniff", what, resp.StatusCode, got)
	}
	csp := resp.Header.Get("Content-Security-Policy")
	for _, want := range []string{"default-src 'none'", "sandbox"} {
		if !strings.Contains(csp, want) {
			t.Errorf("%s (%d): Content-Security-Policy %q; want it to contain %q", what, resp.StatusCode, csp, want)
		}
	}
}

// rtSecretForms are the spellings of the key, salt and secret that must
// not leak: hex as configured (any case), raw bytes, base64 of the raw
// bytes, and the bearer secret.
func rtSecretForms() []string {
	forms := []string{rtSecret}
	for _, h := range []string{rtKeyHex, rtSaltHex} {
		raw, _ := hex.DecodeString(h)
		forms = append(forms, h, strings.ToUpper(h), h[:16], string(raw),
			base64.StdEncoding.EncodeToString(raw), base64.RawURLEncoding.EncodeToString(raw))
	}
	return forms
}

// rtCheckNoSecrets provokes errors of every stage (with the secret header
// and without, signed garbage, bad options, a failing source) and checks
// neither the error bodies nor the whole log of the run (level debug) hold
// a form of the key, salt or secret.
func rtCheckNoSecrets(t *testing.T, s *server, auth []string) {
	t.Helper()
	key, _ := hex.DecodeString(rtKeyHex)
	salt, _ := hex.DecodeString(rtSaltHex)
	signed := func(path string) string { return "/" + sign.Sign(key, salt, []byte(path), 32) + path }
	var bodies [][]byte
	for _, tc := range []struct {
		path string
		hdr  []string
	}{
		{"/insecure/w:10/plain/local:///photo.jpg", auth},
		{"/" + rtKeyHex + "/w:10/plain/local:///photo.jpg", auth},
		{"/" + rtSaltHex + "/w:10/plain/local:///photo.jpg", auth},
		{signed("/w:10/plain/local:///photo.jpg"), nil},
		{signed("/w:10/plain/local:///photo.jpg"), []string{"Authorization", "Bearer " + rtKeyHex}},
		{signed("/w:99999/plain/local:///photo.jpg"), auth},
		{signed("/bogus:1/plain/local:///photo.jpg"), auth},
		{signed("/w:10/plain/local:///missing.jpg"), auth},
		{signed("/w:10/plain/local:///make.sh"), auth},
		{signed("/w:10/plain/http://127.0.0.1:1/x.jpg"), auth},
		{signed("/w:10/plain/local:///logo.svg"), auth},
		{"/health", nil},
	} {
		resp, body := s.get(t, tc.path, tc.hdr...)
		rtCheckSecurityHeaders(t, resp, tc.path)
		if strings.HasSuffix(tc.path, "logo.svg") && resp.StatusCode == 200 {
			if ct := resp.Header.Get("Content-Type"); ct != "image/svg+xml" {
				t.Errorf("SVG passthrough: Content-Type %q; want image/svg+xml", ct)
			}
		}
		if resp.StatusCode >= 400 {
			bodies = append(bodies, body)
		}
		for _, h := range resp.Header {
			for _, v := range h {
				bodies = append(bodies, []byte(v))
			}
		}
	}
	if len(bodies) < 8 {
		t.Errorf("only %d error answers/headers collected; the probes did not fail as planned", len(bodies))
	}
	for _, form := range rtSecretForms() {
		for _, b := range bodies {
			if bytes.Contains(b, []byte(form)) {
				t.Errorf("an error body or header contains a secret form %q: %q", form, truncate(b))
			}
		}
		if strings.Contains(s.Logs(), form) {
			t.Errorf("the server log contains a secret form %q", form)
		}
	}
	if n := strings.Count(s.Logs(), "\n"); n < 10 {
		t.Errorf("only %d log lines captured; want the request log", n)
	}
}

// TestE2ESecurityHeadersDevErrors: with IMGPROXY_DEVELOPMENT_ERRORS_MODE
// the error bodies are detailed, and still hold no secret.
func TestE2ESecurityHeadersDevErrors(t *testing.T) {
	t.Parallel()
	s := launch(t, map[string]string{
		"IMGPROXY_LOCAL_FILESYSTEM_ROOT":   samplesRoot(t),
		"IMGPROXY_KEY":                     rtKeyHex,
		"IMGPROXY_SALT":                    rtSaltHex,
		"IMGPROXY_SECRET":                  rtSecret,
		"IMGPROXY_DEVELOPMENT_ERRORS_MODE": "true",
		"IMGPROXY_LOG_LEVEL":               "debug",
		"IMGPROXY_LOG_FORMAT":              "json",
	})
	rtCheckNoSecrets(t, s, []string{"Authorization", "Bearer " + rtSecret})
	// HEAD and OPTIONS answers carry the headers too.
	for _, m := range []string{http.MethodHead, http.MethodOptions} {
		req, _ := http.NewRequest(m, s.URL+"/insecure/w:10/plain/local:///photo.jpg", nil)
		resp, err := s.Client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		rtCheckSecurityHeaders(t, resp, m)
	}
}
