package main

// End-to-end tests: the real binary (built by TestMain) on a loopback port,
// spoken to over HTTP.

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"image"
	_ "image/gif"
	_ "image/jpeg"
	_ "image/png"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	_ "golang.org/x/image/webp"

	"github.com/imgedge/imgedge/sign"
)

func TestE2EHealth(t *testing.T) {
	t.Parallel()
	s := launch(t, map[string]string{"IMGPROXY_HEALTH_CHECK_PATH": "/healthz"})
	for _, path := range []string{"/health", "/healthz"} {
		resp, _ := get(t, s.URL+path)
		if resp.StatusCode != http.StatusOK {
			t.Errorf("GET %s: got %d; want 200", path, resp.StatusCode)
		}
		if resp.Header.Get("X-Request-Id") == "" {
			t.Errorf("GET %s: no X-Request-ID header", path)
		}
	}
	resp, _ := get(t, s.URL+"/no/such/route")
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("GET /no/such/route: got %d; want 404", resp.StatusCode)
	}

	// `imgedge health` against the running server, then against a closed port.
	code, out := runImgedge(t, map[string]string{"IMGPROXY_BIND": s.Addr}, "health")
	if code != 0 {
		t.Errorf("imgedge health on %s: exit %d (%s); want 0", s.Addr, code, out)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := ln.Addr().String()
	ln.Close()
	code, out = runImgedge(t, map[string]string{"IMGPROXY_BIND": closed}, "health", "-timeout", "2s")
	if code != 1 || !strings.Contains(out, "imgedge health:") {
		t.Errorf("imgedge health on closed %s: exit %d (%q); want 1 with a message", closed, code, out)
	}
}

func TestE2EUnixSocketAndPathPrefix(t *testing.T) {
	t.Parallel()
	sock := filepath.Join(t.TempDir(), "imgedge.sock")
	env := map[string]string{
		"IMGPROXY_NETWORK":               "unix",
		"IMGPROXY_BIND":                  sock,
		"IMGPROXY_PATH_PREFIX":           "/img",
		"IMGPROXY_LOCAL_FILESYSTEM_ROOT": samplesRoot(t),
	}
	s := launch(t, env) // waits for /img/health over the socket
	for _, tc := range []struct {
		path   string
		status int
	}{
		{"/img/health", 200},
		{"/health", 404},
		{"/img/insecure/rs:fit:40:40/plain/local:///photo.jpg", 200},
		{"/insecure/rs:fit:40:40/plain/local:///photo.jpg", 404},
	} {
		resp, err := s.Client.Get(s.URL + tc.path)
		if err != nil {
			t.Errorf("GET %s over %s: %v", tc.path, sock, err)
			continue
		}
		resp.Body.Close()
		if resp.StatusCode != tc.status {
			t.Errorf("GET %s over the unix socket: got %d; want %d", tc.path, resp.StatusCode, tc.status)
		}
	}
	if code, out := runImgedge(t, env, "health"); code != 0 {
		t.Errorf("imgedge health over the unix socket: exit %d (%s); want 0", code, out)
	}
}

func TestE2EResize(t *testing.T) {
	t.Parallel()
	s := launch(t, map[string]string{"IMGPROXY_LOCAL_FILESYSTEM_ROOT": samplesRoot(t)})
	for _, tc := range []struct {
		path          string
		format        string
		mime          string
		width, height int
	}{
		{"/insecure/rs:fit:300:200/plain/local:///photo.jpg", "jpeg", "image/jpeg", 300, 200},
		{"/_/rs:fit:300:300/plain/local:///photo.jpg", "jpeg", "image/jpeg", 300, 200},
		{"/insecure/rs:fill:150:150/plain/local:///photo.jpg@png", "png", "image/png", 150, 150},
		{"/insecure/w:100/plain/local:///photo.jpg@webp", "webp", "image/webp", 100, 67},
		{"/_/rs:fit:200:0/plain/local:///alpha.png", "png", "image/png", 200, 200},
		{"/insecure/rs:fit:80:80/" + base64.RawURLEncoding.EncodeToString([]byte("local:///photo.webp")) + ".jpg", "jpeg", "image/jpeg", 80, 53},
	} {
		resp, body := get(t, s.URL+tc.path)
		if resp.StatusCode != http.StatusOK {
			t.Errorf("GET %s: got %d (%q); want 200", tc.path, resp.StatusCode, truncate(body))
			continue
		}
		if ct := resp.Header.Get("Content-Type"); ct != tc.mime {
			t.Errorf("GET %s: Content-Type got %q; want %q", tc.path, ct, tc.mime)
		}
		cfg, format, err := image.DecodeConfig(bytes.NewReader(body))
		if err != nil {
			t.Errorf("GET %s: decoding the result: %v", tc.path, err)
			continue
		}
		if format != tc.format || cfg.Width != tc.width || cfg.Height != tc.height {
			t.Errorf("GET %s: got %s %dx%d; want %s %dx%d", tc.path, format, cfg.Width, cfg.Height, tc.format, tc.width, tc.height)
		}
	}
}

func TestE2ESigned(t *testing.T) {
	t.Parallel()
	key, salt := "736563726574", "68656c6c6f"
	s := launch(t, map[string]string{
		"IMGPROXY_LOCAL_FILESYSTEM_ROOT": samplesRoot(t),
		"IMGPROXY_KEY":                   key,
		"IMGPROXY_SALT":                  salt,
	})
	path := "/rs:fit:120:120/plain/local:///photo.jpg"
	k, _ := hex.DecodeString(key)
	sa, _ := hex.DecodeString(salt)
	sig := sign.Sign(k, sa, []byte(path), 32)
	resp, body := get(t, s.URL+"/"+sig+path)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("signed URL: got %d (%q); want 200", resp.StatusCode, truncate(body))
	}
	if cfg, _, err := image.DecodeConfig(bytes.NewReader(body)); err != nil || cfg.Width != 120 || cfg.Height != 80 {
		t.Errorf("signed URL: got %dx%d (%v); want 120x80", cfg.Width, cfg.Height, err)
	}
	for _, bad := range []string{"/insecure" + path, "/_" + path, "/" + sig[:len(sig)-2] + "AA" + path} {
		resp, _ := get(t, s.URL+bad)
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("GET %s with signing on: got %d; want 403", bad, resp.StatusCode)
		}
	}
}

// The local source never serves a file outside its root.
func TestE2ELocalPathEscape(t *testing.T) {
	t.Parallel()
	base := t.TempDir()
	root := filepath.Join(base, "root")
	outside := filepath.Join(base, "outside")
	for _, d := range []string{root, outside, filepath.Join(root, "sub")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	photo, err := os.ReadFile(filepath.Join(samplesRoot(t), "photo.jpg"))
	if err != nil {
		t.Fatal(err)
	}
	// The same valid image inside and outside: if an escape worked, the
	// outside one would be served with 200.
	for _, p := range []string{filepath.Join(root, "photo.jpg"), filepath.Join(root, "sub", "in.jpg"), filepath.Join(outside, "secret.jpg"), filepath.Join(base, "secret.jpg")} {
		if err := os.WriteFile(p, photo, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	mustSymlink(t, filepath.Join(outside, "secret.jpg"), filepath.Join(root, "link.jpg"))
	mustSymlink(t, "../../secret.jpg", filepath.Join(root, "sub", "rel.jpg"))
	mustSymlink(t, outside, filepath.Join(root, "dirlink"))
	mustSymlink(t, "photo.jpg", filepath.Join(root, "inside-link.jpg"))

	s := launch(t, map[string]string{"IMGPROXY_LOCAL_FILESYSTEM_ROOT": root})

	// Controls: files inside the root are served (so the refusals below are
	// not just a broken source).
	for _, ok := range []string{"photo.jpg", "sub/in.jpg", "inside-link.jpg", "sub/../photo.jpg"} {
		resp, body := get(t, s.URL+"/insecure/rs:fit:50:50/plain/local:///"+ok)
		if resp.StatusCode != http.StatusOK {
			t.Errorf("inside the root, %s: got %d (%q); want 200", ok, resp.StatusCode, truncate(body))
		}
	}

	enc := func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
	for _, path := range []string{
		"/insecure/plain/local:///../secret.jpg",
		"/insecure/plain/local:///../outside/secret.jpg",
		"/insecure/plain/local:///sub/../../secret.jpg",
		"/insecure/plain/local:///%2e%2e/secret.jpg",
		"/insecure/plain/local:///%2E%2E%2Fsecret.jpg",
		"/insecure/plain/local:///..%2fsecret.jpg",
		"/insecure/plain/local:///%252e%252e%252fsecret.jpg",
		"/insecure/plain/local:///..%5csecret.jpg",
		"/insecure/plain/local://" + filepath.Join(outside, "secret.jpg"),
		"/insecure/plain/local:///" + filepath.Join(outside, "secret.jpg"),
		"/insecure/plain/local:///link.jpg",
		"/insecure/plain/local:///sub/rel.jpg",
		"/insecure/plain/local:///dirlink/secret.jpg",
		"/insecure/plain/local:///sub/%2e%2e/%2e%2e/secret.jpg",
		"/insecure/" + enc("local:///../secret.jpg"),
		"/insecure/" + enc("local:///"+filepath.Join(outside, "secret.jpg")),
		"/insecure/plain/local:///../../../../../../etc/passwd",
	} {
		resp, body := get(t, s.URL+path)
		if resp.StatusCode != http.StatusNotFound && resp.StatusCode != http.StatusForbidden {
			t.Errorf("GET %s: got %d; want 404 or 403", path, resp.StatusCode)
		}
		if strings.HasPrefix(resp.Header.Get("Content-Type"), "image/") || bytes.HasPrefix(body, []byte("\xff\xd8")) {
			t.Errorf("GET %s: answered with an image; the file outside the root leaked", path)
		}
	}
}

func mustSymlink(t *testing.T, target, link string) {
	t.Helper()
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
}

// A request in flight when SIGTERM arrives still completes with 200, and
// the process then exits 0.
func TestE2EGracefulShutdown(t *testing.T) {
	t.Parallel()
	photo, err := os.ReadFile(filepath.Join(samplesRoot(t), "photo.jpg"))
	if err != nil {
		t.Fatal(err)
	}
	started := make(chan struct{}, 1)
	release := make(chan struct{})
	origin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case started <- struct{}{}:
		default:
		}
		select {
		case <-release:
		case <-time.After(20 * time.Second):
		}
		w.Header().Set("Content-Type", "image/jpeg")
		w.Write(photo)
	}))
	defer origin.Close()
	defer close(release)

	s := launch(t, map[string]string{
		"IMGPROXY_ALLOW_LOOPBACK_SOURCE_ADDRESSES": "true",
		"IMGPROXY_GRACEFUL_STOP_TIMEOUT":           "15",
	})
	type result struct {
		status int
		body   []byte
		err    error
	}
	done := make(chan result, 1)
	go func() {
		resp, err := http.Get(s.URL + "/insecure/rs:fit:64:64/plain/" + origin.URL + "/slow.jpg")
		if err != nil {
			done <- result{err: err}
			return
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		done <- result{status: resp.StatusCode, body: b, err: err}
	}()
	select {
	case <-started:
	case <-time.After(20 * time.Second):
		t.Fatal("the request did not reach the origin within 20 s")
	}
	if err := s.Proc.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	// Give the server time to begin draining before the origin answers.
	time.Sleep(300 * time.Millisecond)
	release <- struct{}{}

	select {
	case r := <-done:
		if r.err != nil || r.status != http.StatusOK {
			t.Errorf("in-flight request: got status %d, error %v; want 200", r.status, r.err)
		} else if cfg, _, err := image.DecodeConfig(bytes.NewReader(r.body)); err != nil || cfg.Width != 64 {
			t.Errorf("in-flight request: got %dx%d (%v); want width 64", cfg.Width, cfg.Height, err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the in-flight request did not complete within 20 s of SIGTERM")
	}
	exited := make(chan struct{})
	go func() { s.Wait(); close(exited) }()
	select {
	case <-exited:
	case <-time.After(20 * time.Second):
		t.Fatal("imgedge did not exit within 20 s of SIGTERM")
	}
	st, _ := s.Wait()
	if st == nil || st.ExitCode() != 0 {
		t.Errorf("exit status after SIGTERM: got %v; want 0", st)
	}
	// New connections are refused once the server has stopped.
	if _, err := net.DialTimeout("tcp", s.Addr, time.Second); err == nil {
		t.Errorf("%s still accepts connections after exit", s.Addr)
	}
}

// Bad configuration: exit code 1 and one line naming the variable.
func TestE2EConfigErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		env     map[string]string
		varName string
	}{
		{map[string]string{"IMGPROXY_CONCURRENCY": "lots"}, "IMGPROXY_CONCURRENCY"},
		{map[string]string{"IMGPROXY_WORKERS": "-2"}, "IMGPROXY_WORKERS"},
		{map[string]string{"IMGPROXY_KEY": "abc", "IMGPROXY_SALT": "00"}, "IMGPROXY_KEY"},
		{map[string]string{"IMGPROXY_KEY": "0011"}, "IMGPROXY_SALT"},
		{map[string]string{"IMGPROXY_TIMEOUT": "-5"}, "IMGPROXY_TIMEOUT"},
		{map[string]string{"IMGPROXY_LOCAL_FILESYSTEM_ROOT": "/nonexistent/imgedge-root"}, "IMGPROXY_LOCAL_FILESYSTEM_ROOT"},
		{map[string]string{"IMGPROXY_USE_ETAG": "sometimes"}, "IMGPROXY_USE_ETAG"},
		{map[string]string{"IMGPROXY_BIND": "127.0.0.1:99999"}, "IMGPROXY_BIND"},
	} {
		code, out := runImgedge(t, tc.env)
		out = strings.TrimRight(out, "\n")
		if code != 1 {
			t.Errorf("%v: exit code %d; want 1 (output %q)", tc.env, code, out)
		}
		if strings.Count(out, "\n") != 0 || !strings.Contains(out, tc.varName) {
			t.Errorf("%v: output %q; want one line naming %s", tc.env, out, tc.varName)
		}
	}
}

func TestE2EVersionAndHelp(t *testing.T) {
	t.Parallel()
	code, out := runImgedge(t, nil, "-version")
	if code != 0 || !strings.HasPrefix(out, "imgedge "+testVersion) {
		t.Errorf("-version: exit %d, output %q; want 0 and %q", code, out, "imgedge "+testVersion)
	}
	code, out = runImgedge(t, nil, "-h")
	if code != 0 {
		t.Errorf("-h: exit %d; want 0", code)
	}
	for _, r := range table(newConfig()) {
		if !strings.Contains(out, r.name+" (default ") {
			t.Errorf("-h does not list %s with its default", r.name)
		}
	}
	if code, _ := runImgedge(t, nil, "-no-such-flag"); code != 2 {
		t.Errorf("unknown flag: exit %d; want 2", code)
	}
}

// IMGPROXY_PROMETHEUS_BIND opens a second listener where every path serves
// the metrics.
func TestE2EPrometheusListener(t *testing.T) {
	t.Parallel()
	s := launch(t, map[string]string{
		"IMGPROXY_PROMETHEUS_BIND":       "127.0.0.1:0",
		"IMGPROXY_PROMETHEUS_NAMESPACE":  "imgedge_e2e",
		"IMGPROXY_LOCAL_FILESYSTEM_ROOT": samplesRoot(t),
	})
	var addr string
	for _, line := range strings.Split(s.Logs(), "\n") {
		var rec struct{ Msg, Addr string }
		if json.Unmarshal([]byte(line), &rec) == nil && rec.Msg == "metrics listening" {
			addr = rec.Addr
		}
	}
	if addr == "" {
		t.Fatalf("no \"metrics listening\" log line:\n%s", s.Logs())
	}
	if resp, _ := get(t, s.URL+"/insecure/rs:fit:32:32/plain/local:///photo.jpg"); resp.StatusCode != 200 {
		t.Fatalf("image request: got %d; want 200", resp.StatusCode)
	}
	for _, path := range []string{"/metrics", "/any/path"} {
		resp, body := get(t, "http://"+addr+path)
		if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain") {
			t.Errorf("GET %s on the metrics listener: got %d %q; want 200 text/plain", path, resp.StatusCode, resp.Header.Get("Content-Type"))
		}
		if !bytes.Contains(body, []byte("imgedge_e2e_requests_total")) {
			t.Errorf("GET %s on the metrics listener: no imgedge_e2e_requests_total in %q", path, truncate(body))
		}
	}
	// The metrics are not on the main listener's image routes.
	if resp, _ := get(t, s.URL+"/metrics"); resp.StatusCode == http.StatusOK {
		t.Errorf("GET /metrics on the main listener: got 200; want metrics only on IMGPROXY_PROMETHEUS_BIND")
	}
}

// IMGPROXY_SO_REUSEPORT lets a second process bind the same address (for
// zero-downtime restarts); without it the second start fails with exit 1.
func TestE2EReusePort(t *testing.T) {
	t.Parallel()
	env := map[string]string{"IMGPROXY_SO_REUSEPORT": "true"}
	first := launch(t, env)
	env["IMGPROXY_BIND"] = first.Addr
	second := launch(t, env)
	if second.Addr != first.Addr {
		t.Errorf("second instance: got address %s; want %s", second.Addr, first.Addr)
	}
	code, out := runImgedge(t, map[string]string{"IMGPROXY_BIND": first.Addr})
	if code != 1 || !strings.Contains(out, "IMGPROXY_BIND") {
		t.Errorf("third instance without SO_REUSEPORT: exit %d (%q); want 1 naming IMGPROXY_BIND", code, out)
	}
}
