package main

// The helpers shared by the end-to-end tests (e2e_*_test.go): TestMain
// builds the real binary once, launch runs it on a free loopback port and
// waits until /health answers; GET helpers, the request log, metrics
// scraping and the external programs the tests drive (Varnish, Chromium,
// promtool) are here too, so that each test file holds only its tests.
//
// How the port is found: the child gets IMGPROXY_BIND=127.0.0.1:0 (unless
// the test sets another) and IMGPROXY_LOG_FORMAT=json; the kernel picks a
// free port, and imgedge logs {"msg":"listening","addr":"127.0.0.1:NNNNN"}
// on stderr, which the helper parses. No port is reserved-then-released, so
// parallel tests cannot race for it.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"io"
	"math"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// imgedgeBin is the binary built by TestMain.
var imgedgeBin string

// testVersion is embedded into the test binary with -ldflags.
const testVersion = "v0.0.0-e2e"

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "imgedge-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "TestMain:", err)
		os.Exit(1)
	}
	imgedgeBin = filepath.Join(dir, "imgedge")
	// A plain build (no -race) keeps start-up fast; the race detector
	// covers the packages' own tests.
	build := exec.Command("go", "build", "-o", imgedgeBin, "-ldflags", "-X main.version="+testVersion, ".")
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "TestMain: go build failed: %v\n%s", err, out)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// server is a running imgedge process.
type server struct {
	URL    string // http://127.0.0.1:port (for a unix socket: http://unix)
	Addr   string // 127.0.0.1:port or the socket path
	Proc   *os.Process
	Client *http.Client // dials Addr (also for a unix socket)

	mu      sync.Mutex
	logs    bytes.Buffer
	logDone chan struct{} // closed when stderr reaches EOF (process exited)

	waitOnce  sync.Once
	waitState *os.ProcessState
	waitErr   error
}

// Logs returns everything the process wrote to stderr so far.
func (s *server) Logs() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.logs.String()
}

// Wait waits for the process to exit (once; later calls return the same).
func (s *server) Wait() (*os.ProcessState, error) {
	s.waitOnce.Do(func() { s.waitState, s.waitErr = s.Proc.Wait() })
	return s.waitState, s.waitErr
}

// baseEnv is the environment every child starts from: no IMGPROXY_*
// variable of the developer's shell leaks in.
func baseEnv(env map[string]string) []string {
	out := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.TempDir()}
	defaults := map[string]string{
		"IMGPROXY_BIND":        "127.0.0.1:0",
		"IMGPROXY_LOG_FORMAT":  "json",
		"IMGPROXY_CONCURRENCY": "2",
	}
	if _, ok := env["IMGPROXY_WORKERS"]; ok {
		delete(defaults, "IMGPROXY_CONCURRENCY")
	}
	for k, v := range defaults {
		if _, ok := env[k]; !ok {
			out = append(out, k+"="+v)
		}
	}
	for k, v := range env {
		out = append(out, k+"="+v)
	}
	return out
}

// launch starts imgedge with env (on top of baseEnv) and waits until it
// logs its address and /health answers 200. The process is killed at the
// end of the test if it is still running.
func launch(t *testing.T, env map[string]string) *server {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(imgedgeBin)
	cmd.Env = baseEnv(env)
	cmd.Stdout = w
	cmd.Stderr = w
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	w.Close()
	s := &server{Proc: cmd.Process, logDone: make(chan struct{})}
	type listening struct{ addr, network string }
	addrCh := make(chan listening, 1)
	go func() {
		defer close(s.logDone)
		defer r.Close()
		sc := bufio.NewScanner(r)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			line := sc.Bytes()
			s.mu.Lock()
			s.logs.Write(line)
			s.logs.WriteByte('\n')
			s.mu.Unlock()
			var rec struct {
				Msg     string `json:"msg"`
				Addr    string `json:"addr"`
				Network string `json:"network"`
			}
			if json.Unmarshal(line, &rec) == nil && rec.Msg == "listening" && rec.Addr != "" {
				select {
				case addrCh <- listening{rec.Addr, rec.Network}:
				default:
				}
			}
		}
	}()
	t.Cleanup(func() {
		s.Proc.Signal(syscall.SIGKILL)
		s.Wait()
		<-s.logDone
		if t.Failed() {
			t.Logf("imgedge output:\n%s", s.Logs())
		}
	})

	var ln listening
	select {
	case ln = <-addrCh:
	case <-s.logDone:
		t.Fatalf("imgedge exited before listening:\n%s", s.Logs())
	case <-time.After(60 * time.Second):
		t.Fatalf("imgedge did not log its address within 60 s:\n%s", s.Logs())
	}
	s.Addr = ln.addr
	s.URL = "http://" + s.Addr
	s.Client = &http.Client{Timeout: 60 * time.Second}
	if ln.network == "unix" {
		s.URL = "http://unix"
		s.Client.Transport = &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", ln.addr)
		}}
	}
	health := env["IMGPROXY_PATH_PREFIX"] + "/health"
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := s.Client.Get(s.URL + health)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("GET %s did not answer 200 within 30 s (last error %v):\n%s", health, err, s.Logs())
		}
		time.Sleep(50 * time.Millisecond)
	}
	return s
}

// startImgedge runs imgedge with env and returns its base URL and process.
// See launch.
func startImgedge(t *testing.T, env map[string]string) (baseURL string, p *os.Process) {
	t.Helper()
	s := launch(t, env)
	return s.URL, s.Proc
}

// runImgedge runs the binary to completion with args and env (on top of
// baseEnv) and returns its exit code and combined output.
func runImgedge(t *testing.T, env map[string]string, args ...string) (code int, out string) {
	t.Helper()
	cmd := exec.Command(imgedgeBin, args...)
	cmd.Env = baseEnv(env)
	var buf bytes.Buffer
	cmd.Stdout = &buf
	cmd.Stderr = &buf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		<-done
		t.Fatalf("imgedge %v did not exit within 30 s; output:\n%s", args, buf.String())
	}
	return cmd.ProcessState.ExitCode(), buf.String()
}

// needTool returns the path of an external program the test drives, and
// skips the test when it is not installed (`make deps` installs them all).
func needTool(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		t.Skipf("%s not installed (make deps installs it)", name)
	}
	return p
}

func samplesRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs("testdata/samples")
	if err != nil {
		t.Fatal(err)
	}
	return root
}

func truncate(b []byte) string {
	if len(b) > 200 {
		b = b[:200]
	}
	return string(b)
}

// rcPhoto encodes a w×h JPEG with smooth gradients and a few shapes, so
// that every codec has real work and the result is not trivially small.
func rcPhoto(t *testing.T, w, h int) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			c := color.RGBA{uint8(255 * x / w), uint8(255 * y / h), uint8((x*y/7 + x) % 256), 255}
			if (x/40+y/40)%5 == 0 {
				c = color.RGBA{30, 60, 200, 255}
			}
			img.Set(x, y, c)
		}
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 85}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// rcImageDir returns a temporary local-filesystem root holding photo.jpg
// (640×400).
func rcImageDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "photo.jpg"), rcPhoto(t, 640, 400), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// rcLogLine is one per-request log line of imgedge's JSON log.
type rcLogLine struct {
	Level     string  `json:"level"`
	Msg       string  `json:"msg"`
	RequestID string  `json:"request_id"`
	Method    string  `json:"method"`
	Path      string  `json:"path"`
	Status    int     `json:"status"`
	Bytes     int64   `json:"bytes"`
	QueueMS   float64 `json:"queue_ms"`
	DownMS    float64 `json:"download_ms"`
	ProcMS    float64 `json:"processing_ms"`
	TotalMS   float64 `json:"total_ms"`
	Source    string  `json:"source"`
}

// rcRequests returns the request log lines of s whose path contains substr.
func rcRequests(s *server, substr string) []rcLogLine {
	var out []rcLogLine
	for _, line := range strings.Split(s.Logs(), "\n") {
		var rec rcLogLine
		if json.Unmarshal([]byte(line), &rec) != nil || rec.Msg != "request" {
			continue
		}
		if strings.Contains(rec.Path, substr) {
			out = append(out, rec)
		}
	}
	return out
}

// rcWaitRequests waits (up to 5 s) until s has logged at least n requests
// whose path contains substr, lets stragglers arrive for a moment, and
// returns them all. The log reaches the test through a pipe, so a line can
// trail the response by a little.
func rcWaitRequests(t *testing.T, s *server, substr string, n int) []rcLogLine {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for len(rcRequests(s, substr)) < n && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(150 * time.Millisecond)
	return rcRequests(s, substr)
}

// rcStatuses lists the statuses of lines, in log order.
func rcStatuses(lines []rcLogLine) []int {
	out := make([]int, len(lines))
	for i, l := range lines {
		out[i] = l.Status
	}
	return out
}

// rcPort returns the port of a host:port address.
func rcPort(t *testing.T, addr string) string {
	t.Helper()
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatalf("address %q: %v", addr, err)
	}
	return port
}

// rcLines splits text into non-empty lines.
func rcLines(s string) []string {
	var out []string
	sc := bufio.NewScanner(strings.NewReader(s))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		if l := strings.TrimSpace(sc.Text()); l != "" {
			out = append(out, l)
		}
	}
	return out
}

// rcDecode returns the format and width of an encoded image.
func rcDecode(t *testing.T, what string, body []byte) (string, int) {
	t.Helper()
	cfg, format, err := image.DecodeConfig(bytes.NewReader(body))
	if err != nil {
		t.Fatalf("%s: decoding %d bytes: %v", what, len(body), err)
	}
	return format, cfg.Width
}

const rcVarnishdBin = "/usr/sbin/varnishd"

// rcMetrics is one parsed text exposition.
type rcMetrics struct {
	text   string
	types  map[string]string  // family → counter, gauge, histogram, ...
	series map[string]float64 // canonical series (name{k="v",...} with sorted labels) → value
}

// rcSeries returns the canonical form of a series: labels sorted by name.
func rcSeries(name string, labels map[string]string) string {
	if len(labels) == 0 {
		return name
	}
	keys := make([]string, 0, len(labels))
	for k := range labels {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	b.WriteString(name + "{")
	for i, k := range keys {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, "%s=%q", k, labels[k])
	}
	b.WriteByte('}')
	return b.String()
}

// rcParseMetrics parses the Prometheus text format strictly enough for the
// assertions (promtool does the full validation).
func rcParseMetrics(t *testing.T, text string) *rcMetrics {
	t.Helper()
	m := &rcMetrics{text: text, types: map[string]string{}, series: map[string]float64{}}
	for _, line := range rcLines(text) {
		if strings.HasPrefix(line, "# TYPE ") {
			f := strings.Fields(line)
			if len(f) == 4 {
				m.types[f[2]] = f[3]
			}
			continue
		}
		if strings.HasPrefix(line, "#") {
			continue
		}
		name, rest := line, ""
		labels := map[string]string{}
		if i := strings.IndexAny(line, "{ "); i >= 0 {
			name, rest = line[:i], line[i:]
		}
		if strings.HasPrefix(rest, "{") {
			end := strings.Index(rest, "}")
			if end < 0 {
				t.Fatalf("metrics: unterminated labels in %q", line)
			}
			for _, kv := range strings.Split(rest[1:end], ",") {
				k, v, ok := strings.Cut(kv, "=")
				if !ok || len(v) < 2 || v[0] != '"' || v[len(v)-1] != '"' {
					t.Fatalf("metrics: bad label %q in %q", kv, line)
				}
				labels[k] = v[1 : len(v)-1]
			}
			rest = rest[end+1:]
		}
		f := strings.Fields(rest)
		if len(f) == 0 {
			t.Fatalf("metrics: no value in %q", line)
		}
		var v float64
		switch f[0] {
		case "+Inf":
			v = math.Inf(1)
		case "-Inf":
			v = math.Inf(-1)
		case "NaN":
			v = math.NaN()
		default:
			if _, err := fmt.Sscanf(f[0], "%g", &v); err != nil {
				t.Fatalf("metrics: bad value in %q: %v", line, err)
			}
		}
		m.series[rcSeries(name, labels)] = v
	}
	return m
}

// has reports whether the series exists; val returns its value (NaN if absent).
func (m *rcMetrics) has(name string, kv ...string) bool {
	_, ok := m.series[rcSeries(name, rcLabels(kv))]
	return ok
}

func (m *rcMetrics) val(name string, kv ...string) float64 {
	v, ok := m.series[rcSeries(name, rcLabels(kv))]
	if !ok {
		return math.NaN()
	}
	return v
}

// labelValues lists the values of label over the series of name.
func (m *rcMetrics) labelValues(name, label string) []string {
	var out []string
	for s := range m.series {
		if !strings.HasPrefix(s, name+"{") {
			continue
		}
		key := label + `="`
		if i := strings.Index(s, key); i >= 0 {
			v := s[i+len(key):]
			v = v[:strings.IndexByte(v, '"')]
			if !slices.Contains(out, v) {
				out = append(out, v)
			}
		}
	}
	sort.Strings(out)
	return out
}

func rcLabels(kv []string) map[string]string {
	l := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		l[kv[i]] = kv[i+1]
	}
	return l
}

// rcPromtool runs `promtool check metrics` on text (stdin) and reports
// any problem it prints.
func rcPromtool(t *testing.T, what, text string) {
	t.Helper()
	cmd := exec.Command(rcPromtoolBin, "check", "metrics")
	cmd.Stdin = strings.NewReader(text)
	out, err := cmd.CombinedOutput()
	if err != nil || strings.TrimSpace(string(out)) != "" {
		t.Errorf("promtool check metrics (%s): %v\n%s", what, err, out)
	}
}

// rcMetricsAddr returns the address imgedge logged for its metrics listener.
func rcMetricsAddr(t *testing.T, s *server) string {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		for _, line := range rcLines(s.Logs()) {
			var rec struct{ Msg, Addr string }
			if json.Unmarshal([]byte(line), &rec) == nil && rec.Msg == "metrics listening" && rec.Addr != "" {
				return rec.Addr
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("imgedge did not log its metrics address:\n%s", s.Logs())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// rcScrape fetches the metrics at addr.
func rcScrape(t *testing.T, addr string) *rcMetrics {
	t.Helper()
	resp, body := getWith(t, nil, "http://"+addr+"/metrics")
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain") {
		t.Fatalf("GET /metrics: got %d %q; want 200 text/plain", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	return rcParseMetrics(t, string(body))
}

// rcWaitMetric polls the metrics at addr until name equals want (15 s at
// most) and returns the last scrape.
func rcWaitMetric(t *testing.T, addr, name string, want float64) *rcMetrics {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		m := rcScrape(t, addr)
		if m.val(name) == want {
			return m
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s stayed %v for 15 s; want %v", name, m.val(name), want)
		}
		time.Sleep(25 * time.Millisecond)
	}
}

const rcPromtoolBin = "/usr/bin/promtool"

const rcChromiumBin = "/usr/bin/chromium"

// get sends GET url with the header pairs hdr through http.DefaultClient
// and returns the response with its body read.
func get(t *testing.T, url string, hdr ...string) (*http.Response, []byte) {
	t.Helper()
	return getWith(t, nil, url, hdr...)
}

// getWith is get through c (nil = http.DefaultClient).
func getWith(t *testing.T, c *http.Client, url string, hdr ...string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	return do(t, c, req, hdr)
}

// get sends GET target to s exactly as written (no URL parsing or
// re-escaping on the client side), with the header pairs hdr.
func (s *server) get(t *testing.T, target string, hdr ...string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, s.URL, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.URL.Opaque = target
	return do(t, s.Client, req, hdr)
}

func do(t *testing.T, c *http.Client, req *http.Request, hdr []string) (*http.Response, []byte) {
	t.Helper()
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	if c == nil {
		c = http.DefaultClient
	}
	target := req.URL.String()
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("GET %.200s: %v", target, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %.200s: reading the body: %v", target, err)
	}
	return resp, body
}

// checkAlive fails the test unless s still answers /health and resizes
// the control image (a local:/// path) to a 60 px wide result.
func checkAlive(t *testing.T, s *server, control string) image.Config {
	t.Helper()
	if resp, _ := s.get(t, "/health"); resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /health got %d; want 200", resp.StatusCode)
	}
	resp, body := s.get(t, "/insecure/rs:fit:60:60/plain/local:///"+control)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("control resize of %s got %d (%q); want 200", control, resp.StatusCode, truncate(body))
	}
	cfg, _, err := image.DecodeConfig(bytes.NewReader(body))
	if err != nil || cfg.Width != 60 {
		t.Fatalf("control resize of %s got %dx%d (%v); want 60 px wide", control, cfg.Width, cfg.Height, err)
	}
	return cfg
}
