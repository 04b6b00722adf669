package main

// End-to-end checks of the integrations (docs/monitoring.md,
// docs/sources.md, docs/secrets.md) against the real binary and local
// counterparts: an OTLP receiver, an error tracker's ingestion endpoint, a
// cookie-recording origin, a syslog receiver, an in-process Swift server
// and a Secrets Manager stand-in.

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ncw/swift/v2"
	"github.com/ncw/swift/v2/swifttest"
	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"
)

// photoOrigin serves a small JPEG at every path; seen records each
// request's headers (in arrival order), delay slows the answers.
type photoOrigin struct {
	*httptest.Server
	mu    sync.Mutex
	seen  []http.Header
	hits  atomic.Int32
	delay time.Duration
	body  []byte
}

func newPhotoOrigin(t *testing.T, delay time.Duration) *photoOrigin {
	o := &photoOrigin{delay: delay, body: rcPhoto(t, 64, 48)}
	o.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		o.hits.Add(1)
		o.mu.Lock()
		o.seen = append(o.seen, r.Header.Clone())
		o.mu.Unlock()
		time.Sleep(o.delay)
		switch r.URL.Path {
		case "/500.jpg":
			http.Error(w, "origin failure", http.StatusInternalServerError)
		case "/404.jpg":
			http.NotFound(w, r)
		default:
			w.Header().Set("Content-Type", "image/jpeg")
			w.Write(o.body)
		}
	}))
	t.Cleanup(o.Close)
	return o
}

func (o *photoOrigin) headers() []http.Header {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]http.Header(nil), o.seen...)
}

// TestE2EOpenTelemetry: the OTLP receiver sees one request's spans with
// imgproxy's names, all in the caller's trace, and the source request
// carries the download span as its parent.
func TestE2EOpenTelemetry(t *testing.T) {
	var mu sync.Mutex
	var spans []*tracepb.Span
	otlp := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		var req coltracepb.ExportTraceServiceRequest
		if r.URL.Path != "/v1/traces" || proto.Unmarshal(b, &req) != nil {
			http.Error(w, "not an OTLP trace export", http.StatusBadRequest)
			return
		}
		mu.Lock()
		for _, rs := range req.GetResourceSpans() {
			for _, ss := range rs.GetScopeSpans() {
				spans = append(spans, ss.GetSpans()...)
			}
		}
		mu.Unlock()
		out, _ := proto.Marshal(&coltracepb.ExportTraceServiceResponse{})
		w.Header().Set("Content-Type", "application/x-protobuf")
		w.Write(out)
	}))
	defer otlp.Close()
	origin := newPhotoOrigin(t, 0)
	s := launch(t, map[string]string{
		"IMGPROXY_OPEN_TELEMETRY_ENABLE":             "true",
		"IMGPROXY_OPEN_TELEMETRY_PROPAGATE_EXTERNAL": "true",
		"OTEL_EXPORTER_OTLP_PROTOCOL":                "http/protobuf",
		"OTEL_EXPORTER_OTLP_ENDPOINT":                otlp.URL,
		"OTEL_BSP_SCHEDULE_DELAY":                    "50",
		"IMGPROXY_ALLOW_LOOPBACK_SOURCE_ADDRESSES":   "true",
	})
	const trace, parent = "0af7651916cd43dd8448eb211c80319c", "b7ad6b7169203331"
	resp, _ := s.get(t, "/insecure/rs:fit:20:20/plain/"+origin.URL+"/a.jpg",
		"Traceparent", "00-"+trace+"-"+parent+"-01")
	if resp.StatusCode != 200 {
		t.Fatalf("got status %d; want 200", resp.StatusCode)
	}
	byName := map[string]*tracepb.Span{}
	for deadline := time.Now().Add(15 * time.Second); len(byName) < 4 && time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		mu.Lock()
		for _, sp := range spans {
			byName[sp.GetName()] = sp
		}
		mu.Unlock()
	}
	root := byName["/request"]
	if root == nil {
		t.Fatalf("the receiver got spans %v; want /request and its stages", byName)
	}
	if hex.EncodeToString(root.GetTraceId()) != trace || hex.EncodeToString(root.GetParentSpanId()) != parent {
		t.Fatalf("/request: trace %x parent %x; want the caller's %s / %s", root.GetTraceId(), root.GetParentSpanId(), trace, parent)
	}
	for _, name := range []string{"queue", "downloading_source_image", "processing_image"} {
		sp := byName[name]
		if sp == nil || !bytes.Equal(sp.GetParentSpanId(), root.GetSpanId()) || hex.EncodeToString(sp.GetTraceId()) != trace {
			t.Errorf("span %s = %v; want a child of /request in trace %s", name, sp, trace)
		}
	}
	if dl := byName["downloading_source_image"]; dl != nil {
		want := "00-" + trace + "-" + hex.EncodeToString(dl.GetSpanId()) + "-01"
		if got := origin.headers()[0].Get("Traceparent"); got != want {
			t.Errorf("source request traceparent %q; want %q", got, want)
		}
	}
}

// TestE2EErrorReporting: with a Sentry DSN on loopback, an origin failure
// answered 502 is reported with the request id; a 404 is not; and with
// IMGPROXY_REPORT_DOWNLOADING_ERRORS=false the 502 is not either.
func TestE2EErrorReporting(t *testing.T) {
	var mu sync.Mutex
	var events []string
	sentry := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		events = append(events, string(b))
		mu.Unlock()
		w.Write([]byte(`{"id":"1"}`))
	}))
	defer sentry.Close()
	reported := func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), events...)
	}
	origin := newPhotoOrigin(t, 0)
	env := map[string]string{
		"IMGPROXY_SENTRY_DSN":                      "http://public@" + strings.TrimPrefix(sentry.URL, "http://") + "/1",
		"IMGPROXY_SENTRY_ENVIRONMENT":              "e2e",
		"IMGPROXY_ALLOW_LOOPBACK_SOURCE_ADDRESSES": "true",
	}
	s := launch(t, env)
	resp, _ := s.get(t, "/insecure/plain/"+origin.URL+"/404.jpg")
	if resp.StatusCode != 404 {
		t.Fatalf("missing source: got %d; want 404", resp.StatusCode)
	}
	resp, _ = s.get(t, "/insecure/plain/"+origin.URL+"/500.jpg", "X-Request-ID", "e2e-report-1")
	if resp.StatusCode != 502 {
		t.Fatalf("failing origin: got %d; want 502", resp.StatusCode)
	}
	deadline := time.Now().Add(10 * time.Second)
	for len(reported()) == 0 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	got := reported()
	if len(got) != 1 || !strings.Contains(got[0], "e2e-report-1") || !strings.Contains(got[0], `"environment":"e2e"`) ||
		!strings.Contains(got[0], "500.jpg") {
		t.Fatalf("Sentry got %d events; want exactly the 502 (request id e2e-report-1, environment e2e):\n%.2000s", len(got), strings.Join(got, "\n---\n"))
	}

	env["IMGPROXY_REPORT_DOWNLOADING_ERRORS"] = "false"
	quiet := launch(t, env)
	resp, _ = quiet.get(t, "/insecure/plain/"+origin.URL+"/500.jpg")
	if resp.StatusCode != 502 {
		t.Fatalf("failing origin: got %d; want 502", resp.StatusCode)
	}
	time.Sleep(500 * time.Millisecond) // a report would be on its way by now
	if n := len(reported()); n != 1 {
		t.Fatalf("with IMGPROXY_REPORT_DOWNLOADING_ERRORS=false Sentry got %d events; want still 1", n)
	}
}

// TestE2ECookiePassthrough: cookies go to an origin on the host the client
// addressed, not elsewhere, and concurrent identical requests with
// different cookies are not coalesced (while identical cookies are).
func TestE2ECookiePassthrough(t *testing.T) {
	origin := newPhotoOrigin(t, 400*time.Millisecond)
	s := launch(t, map[string]string{
		"IMGPROXY_COOKIE_PASSTHROUGH":              "true",
		"IMGPROXY_ALLOW_LOOPBACK_SOURCE_ADDRESSES": "true",
	})
	src := "/insecure/rs:fit:16:16/plain/" + origin.URL
	// The client addressed 127.0.0.1 (imgedge's port): the origin on
	// 127.0.0.1 is the same host, so the cookie goes along.
	s.get(t, src+"/in-scope.jpg", "Cookie", "session=alice")
	// Behind a proxy for another host the cookies belong elsewhere.
	s.get(t, src+"/out-of-scope.jpg", "Cookie", "session=alice", "X-Forwarded-Host", "cdn.example.com")
	hs := origin.headers()
	if len(hs) != 2 || hs[0].Get("Cookie") != "session=alice" || hs[1].Get("Cookie") != "" {
		t.Fatalf("origin got cookies %q, %q; want session=alice, then none", hs[0].Get("Cookie"), hs[1].Get("Cookie"))
	}

	concurrent := func(path string, cookies ...string) int32 {
		before := origin.hits.Load()
		var wg sync.WaitGroup
		for _, c := range cookies {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if resp, _ := s.get(t, src+path, "Cookie", c); resp.StatusCode != 200 {
					t.Errorf("cookie %s: got status %d", c, resp.StatusCode)
				}
			}()
		}
		wg.Wait()
		return origin.hits.Load() - before
	}
	if n := concurrent("/same.jpg", "session=alice", "session=alice"); n != 1 {
		t.Errorf("identical requests with the same cookie: %d origin requests; want 1 (coalesced)", n)
	}
	if n := concurrent("/different.jpg", "session=alice", "session=bob"); n != 2 {
		t.Errorf("identical requests with different cookies: %d origin requests; want 2 (never shared)", n)
	}
	cookies := map[string]bool{}
	for _, h := range origin.headers() {
		cookies[h.Get("Cookie")] = true
	}
	if !cookies["session=bob"] {
		t.Errorf("origin never saw bob's cookie: %v", cookies)
	}
}

// TestE2ESyslog: request log lines also reach a UDP syslog receiver.
func TestE2ESyslog(t *testing.T) {
	conn, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	s := launch(t, map[string]string{
		"IMGPROXY_SYSLOG_ENABLE":  "true",
		"IMGPROXY_SYSLOG_NETWORK": "udp",
		"IMGPROXY_SYSLOG_ADDRESS": conn.LocalAddr().String(),
		"IMGPROXY_SYSLOG_TAG":     "imgedge-e2e",
		"IMGPROXY_SYSLOG_LEVEL":   "warn",
	})
	s.get(t, "/insecure/plain/local:///missing.jpg", "X-Request-ID", "e2e-syslog-1")
	buf := make([]byte, 64<<10)
	for deadline := time.Now().Add(10 * time.Second); ; {
		conn.SetReadDeadline(deadline)
		n, _, err := conn.ReadFrom(buf)
		if err != nil {
			t.Fatalf("no syslog line for the request: %v", err)
		}
		line := string(buf[:n])
		if !strings.Contains(line, "e2e-syslog-1") {
			continue
		}
		// <12> = facility user, severity warning (a 404 logs at warn).
		if !strings.HasPrefix(line, "<12>") || !strings.Contains(line, "imgedge-e2e[") || !strings.Contains(line, `"status":404`) {
			t.Fatalf("syslog line %q; want priority <12>, tag imgedge-e2e and the JSON request line", line)
		}
		return
	}
}

// TestE2ESwiftAndSecrets: a Swift source through swifttest, configured
// from an AWS Secrets Manager secret (a loopback stand-in) that also sets
// IMGPROXY_TTL.
func TestE2ESwiftAndSecrets(t *testing.T) {
	sw, err := swifttest.NewSwiftServer("127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	defer sw.Close()
	client := &swift.Connection{UserName: swifttest.TEST_ACCOUNT, ApiKey: swifttest.TEST_ACCOUNT, AuthUrl: sw.AuthURL}
	ctx := context.Background()
	if err := client.Authenticate(ctx); err != nil {
		t.Fatal(err)
	}
	if err := client.ContainerCreate(ctx, "images", nil); err != nil {
		t.Fatal(err)
	}
	if _, err := client.ObjectPut(ctx, "images", "cat.jpg", bytes.NewReader(rcPhoto(t, 80, 60)), false, "", "image/jpeg", nil); err != nil {
		t.Fatal(err)
	}
	secret := strings.Join([]string{
		"IMGPROXY_USE_SWIFT=true",
		"IMGPROXY_SWIFT_AUTH_URL=" + sw.AuthURL,
		"IMGPROXY_SWIFT_USERNAME=" + swifttest.TEST_ACCOUNT,
		"IMGPROXY_SWIFT_API_KEY=" + swifttest.TEST_ACCOUNT,
		"IMGPROXY_TTL=77",
	}, "\n")
	sm := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var in struct{ SecretId string }
		json.NewDecoder(r.Body).Decode(&in)
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		if r.Header.Get("X-Amz-Target") != "secretsmanager.GetSecretValue" || in.SecretId != "imgedge/e2e" {
			w.WriteHeader(400)
			io.WriteString(w, `{"__type":"ResourceNotFoundException"}`)
			return
		}
		json.NewEncoder(w).Encode(map[string]string{"Name": in.SecretId, "SecretString": secret})
	}))
	defer sm.Close()
	s := launch(t, map[string]string{
		"IMGPROXY_ENV_AWS_SECRET_ID":       "imgedge/e2e",
		"AWS_ENDPOINT_URL_SECRETS_MANAGER": sm.URL,
		"AWS_ACCESS_KEY_ID":                "k",
		"AWS_SECRET_ACCESS_KEY":            "s",
		"AWS_REGION":                       "eu-central-1",
		"AWS_EC2_METADATA_DISABLED":        "true",
		"IMGPROXY_TTL":                     "5", // the store wins over the environment
	})
	resp, body := s.get(t, "/insecure/rs:fit:40:40/plain/swift://images/cat.jpg@png")
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "image/png" || len(body) == 0 {
		t.Fatalf("swift source: got %d %s (%d bytes); want a PNG", resp.StatusCode, resp.Header.Get("Content-Type"), len(body))
	}
	if cc := resp.Header.Get("Cache-Control"); !strings.Contains(cc, "max-age=77") {
		t.Fatalf("Cache-Control %q; want max-age=77 from the secret", cc)
	}
	if resp, _ := s.get(t, "/insecure/plain/swift://images/missing.jpg"); resp.StatusCode != 404 {
		t.Fatalf("missing Swift object: got %d; want 404", resp.StatusCode)
	}
}
