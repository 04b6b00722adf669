package main

// Server-level round trip of URLs built by the official imgproxy client
// library (issue 3 item 5): options/testdata/jsclient/gen.cjs turns option
// objects into paths with @imgproxy/imgproxy-node; the running binary must
// answer them with the expected format and size, signed and unsigned, and
// refuse a tampered signature. Also issue 9 item 6: security headers on
// every answer and no key, salt or secret in logs or error bodies.

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"image"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

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
}

// rtJSClientDir returns a directory holding gen.cjs with node_modules
// installed: options/testdata/jsclient itself when installed there, else a
// cache directory keyed by the lockfile and filled with `npm ci`. The test
// is skipped only when node or npm is missing.
func rtJSClientDir(t *testing.T) string {
	t.Helper()
	for _, bin := range []string{"node", "npm"} {
		if _, err := exec.LookPath(bin); err != nil {
			t.Skipf("%s not installed: %v", bin, err)
		}
	}
	src, err := filepath.Abs(filepath.Join("options", "testdata", "jsclient"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(src, "node_modules", "@imgproxy", "imgproxy-node")); err == nil {
		return src
	}
	lock, err := os.ReadFile(filepath.Join(src, "package-lock.json"))
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(lock)
	base, err := os.UserCacheDir()
	if err != nil {
		base = os.TempDir()
	}
	dir := filepath.Join(base, "imgedge-jsclient-"+hex.EncodeToString(sum[:8]))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"package.json", "package-lock.json", "gen.cjs"} {
		b, err := os.ReadFile(filepath.Join(src, f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, f), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "@imgproxy", "imgproxy-node")); err == nil {
		return dir
	}
	cmd := exec.Command("npm", "ci", "--no-audit", "--no-fund", "--ignore-scripts")
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("npm ci in %s: %v\n%s", dir, err, out)
	}
	return dir
}

// rtGenerate runs gen.cjs for cases; keyHex/saltHex "" = unsigned. It
// returns name -> request path.
func rtGenerate(t *testing.T, keyHex, saltHex string, cases []rtCase) map[string]string {
	t.Helper()
	dir := rtJSClientDir(t)
	in, err := json.Marshal(map[string]any{"key": keyHex, "salt": saltHex, "cases": cases})
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("node", filepath.Join(dir, "gen.cjs"))
	cmd.Dir = dir
	cmd.Stdin = bytes.NewReader(in)
	cmd.Env = append(os.Environ(), "IMGPROXY_KEY=", "IMGPROXY_SALT=")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("node gen.cjs: %v\n%s", err, stderr.Bytes())
	}
	var res []struct{ Name, Path string }
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatalf("decoding gen.cjs output %q: %v", out, err)
	}
	paths := map[string]string{}
	for _, r := range res {
		paths[r.Name] = r.Path
	}
	if len(paths) != len(cases) {
		t.Fatalf("gen.cjs returned %d paths for %d cases", len(paths), len(cases))
	}
	return paths
}

// rtCases are option combinations over the samples (photo.jpg 1200×800,
// alpha.png 400×400, anim.gif 160×120), with the result size worked out
// from url-api.md §5.
func rtCases() []rtCase {
	const photo, alpha, anim = "local:///photo.jpg", "local:///alpha.png", "local:///anim.gif"
	return []rtCase{
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
	}
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
		resp, body := rtGet(t, s, bad, auth...)
		if resp.StatusCode != http.StatusForbidden || string(body) != "Forbidden" {
			t.Errorf("tampered %s: got %d %q; want 403 \"Forbidden\"", bad, resp.StatusCode, truncate(body))
		}
		rtCheckSecurityHeaders(t, resp, "tampered URL")
	}
	// Right signature, wrong or missing bearer secret.
	for _, hdr := range [][]string{nil, {"Authorization", "Bearer wrong"}, {"Authorization", rtSecret}} {
		resp, body := rtGet(t, s, p, hdr...)
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("Authorization %q: got %d %q; want 403", hdr, resp.StatusCode, truncate(body))
		}
	}
	rtCheckNoSecrets(t, s, auth)
}

func rtGet(t *testing.T, s *server, path string, hdr ...string) (*http.Response, []byte) {
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
		t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	var b bytes.Buffer
	b.ReadFrom(resp.Body)
	return resp, b.Bytes()
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
		resp, body := rtGet(t, s, tc.path, tc.hdr...)
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
