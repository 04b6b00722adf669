package otel

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	colmetricpb "go.opentelemetry.io/proto/otlp/collector/metrics/v1"
	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	metricpb "go.opentelemetry.io/proto/otlp/metrics/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/protobuf/proto"

	"github.com/imgedge/imgedge/monitoring"
)

// receiver collects what an OTLP exporter sends, decoded with the OTLP
// protobuf definitions, whichever transport brought it.
type receiver struct {
	mu      sync.Mutex
	spans   []*tracepb.Span
	service []string // service.name of each resource
	metrics map[string]*metricpb.Metric
}

func (r *receiver) addTraces(req *coltracepb.ExportTraceServiceRequest) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, rs := range req.GetResourceSpans() {
		r.service = append(r.service, attrValue(rs.GetResource().GetAttributes(), "service.name"))
		for _, ss := range rs.GetScopeSpans() {
			r.spans = append(r.spans, ss.GetSpans()...)
		}
	}
}

func (r *receiver) addMetrics(req *colmetricpb.ExportMetricsServiceRequest) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.metrics == nil {
		r.metrics = map[string]*metricpb.Metric{}
	}
	for _, rm := range req.GetResourceMetrics() {
		for _, sm := range rm.GetScopeMetrics() {
			for _, m := range sm.GetMetrics() {
				r.metrics[m.GetName()] = m
			}
		}
	}
}

func (r *receiver) span(t *testing.T, name string) *tracepb.Span {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, s := range r.spans {
		if s.GetName() == name {
			return s
		}
	}
	names := make([]string, len(r.spans))
	for i, s := range r.spans {
		names[i] = s.GetName()
	}
	t.Fatalf("no span %q received; got %q", name, names)
	return nil
}

func attrValue(kvs []*commonpb.KeyValue, key string) string {
	for _, kv := range kvs {
		if kv.GetKey() == key {
			v := kv.GetValue()
			if s, ok := v.GetValue().(*commonpb.AnyValue_IntValue); ok {
				return strconv.FormatInt(s.IntValue, 10)
			}
			return v.GetStringValue()
		}
	}
	return ""
}

// startHTTPReceiver serves OTLP/HTTP (protobuf) on 127.0.0.1.
func startHTTPReceiver(t *testing.T, rec *receiver) string {
	t.Helper()
	read := func(r *http.Request, m proto.Message) error {
		var body io.Reader = r.Body
		if r.Header.Get("Content-Encoding") == "gzip" {
			zr, err := gzip.NewReader(r.Body)
			if err != nil {
				return err
			}
			body = zr
		}
		b, err := io.ReadAll(body)
		if err != nil {
			return err
		}
		return proto.Unmarshal(b, m)
	}
	reply := func(w http.ResponseWriter, m proto.Message) {
		b, _ := proto.Marshal(m)
		w.Header().Set("Content-Type", "application/x-protobuf")
		w.Write(b)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/v1/traces", func(w http.ResponseWriter, r *http.Request) {
		var req coltracepb.ExportTraceServiceRequest
		if err := read(r, &req); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		rec.addTraces(&req)
		reply(w, &coltracepb.ExportTraceServiceResponse{})
	})
	mux.HandleFunc("/v1/metrics", func(w http.ResponseWriter, r *http.Request) {
		var req colmetricpb.ExportMetricsServiceRequest
		if err := read(r, &req); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		rec.addMetrics(&req)
		reply(w, &colmetricpb.ExportMetricsServiceResponse{})
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv.URL
}

// grpcReceiver implements the collector's TraceService and MetricsService.
type grpcReceiver struct {
	coltracepb.UnimplementedTraceServiceServer
	rec *receiver
}

func (g *grpcReceiver) Export(_ context.Context, req *coltracepb.ExportTraceServiceRequest) (*coltracepb.ExportTraceServiceResponse, error) {
	g.rec.addTraces(req)
	return &coltracepb.ExportTraceServiceResponse{}, nil
}

type grpcMetricsReceiver struct {
	colmetricpb.UnimplementedMetricsServiceServer
	rec *receiver
}

func (g *grpcMetricsReceiver) Export(_ context.Context, req *colmetricpb.ExportMetricsServiceRequest) (*colmetricpb.ExportMetricsServiceResponse, error) {
	g.rec.addMetrics(req)
	return &colmetricpb.ExportMetricsServiceResponse{}, nil
}

// startGRPCReceiver serves OTLP/gRPC on 127.0.0.1, with TLS when tc is set.
func startGRPCReceiver(t *testing.T, rec *receiver, tc *tls.Config) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var opts []grpc.ServerOption
	if tc != nil {
		opts = append(opts, grpc.Creds(credentials.NewTLS(tc)))
	}
	srv := grpc.NewServer(opts...)
	coltracepb.RegisterTraceServiceServer(srv, &grpcReceiver{rec: rec})
	colmetricpb.RegisterMetricsServiceServer(srv, &grpcMetricsReceiver{rec: rec})
	go srv.Serve(ln)
	t.Cleanup(srv.Stop)
	return ln.Addr().String()
}

// otelEnv clears the OTEL_* variables a developer machine may have and
// points the exporters at endpoint.
func otelEnv(t *testing.T, endpoint string) {
	for _, k := range []string{"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT", "OTEL_EXPORTER_OTLP_HEADERS",
		"OTEL_EXPORTER_OTLP_CERTIFICATE", "OTEL_EXPORTER_OTLP_INSECURE", "OTEL_SERVICE_NAME", "OTEL_RESOURCE_ATTRIBUTES", "OTEL_PROPAGATORS"} {
		t.Setenv(k, "")
	}
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint)
}

const (
	callerTrace = "4bf92f3577b34da6a3ce929d0e0e4736"
	callerSpan  = "00f067aa0ba902b7"
)

// request drives one request through the Tracer interface as edge does:
// the caller's traceparent, the queue, download (with a source request
// through the propagating transport) and processing spans, then the end.
func request(t *testing.T, tr monitoring.Tracer, transport http.RoundTripper, sourceURL string, status int, errType string, err error) {
	t.Helper()
	h := http.Header{}
	h.Set("Traceparent", "00-"+callerTrace+"-"+callerSpan+"-01")
	h.Set("Host", "img.example.com")
	h.Set("User-Agent", "test-agent")
	ctx, end := tr.StartRequest(context.Background(), "GET", "/sig/rs:fit:10:10/plain/src", h.Get)
	tr.Annotate(ctx, monitoring.AttrSourceURL, sourceURL, monitoring.AttrSourceOrigin, monitoring.Origin(sourceURL))
	_, endQueue := tr.StartSpan(ctx, monitoring.StageQueue)
	endQueue()
	dctx, endDownload := tr.StartSpan(ctx, monitoring.StageDownload, monitoring.AttrSourceURL, sourceURL)
	if transport != nil {
		req, _ := http.NewRequestWithContext(dctx, http.MethodGet, sourceURL, nil)
		resp, err := transport.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	endDownload()
	_, endProcessing := tr.StartSpan(ctx, monitoring.StageProcessing, monitoring.AttrOptions, "rs:fit:10:10")
	endProcessing()
	// Outside a request nothing is recorded.
	_, endStray := tr.StartSpan(context.Background(), "stray")
	endStray()
	end(status, errType, err)
}

func hexID(b []byte) string { return hex.EncodeToString(b) }

// TestTracesHTTP exports over OTLP/HTTP to a loopback receiver: the span
// names, the parent chain from the caller's traceparent, the error status,
// and W3C trace context on the source request when propagation is on.
func TestTracesHTTP(t *testing.T) {
	rec := &receiver{}
	otelEnv(t, startHTTPReceiver(t, rec))
	var gotParent string
	origin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotParent = r.Header.Get("Traceparent")
	}))
	defer origin.Close()

	cfg := DefaultConfig()
	cfg.Enable, cfg.Protocol, cfg.PropagateExternal, cfg.ServiceVersion = true, ProtocolHTTP, true, "1.2.3"
	p, err := New(context.Background(), cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	request(t, p, monitoring.Transport(http.DefaultTransport, p.Propagator()), origin.URL+"/img.png", 500, "processing", errors.New("processing failed"))
	if err := p.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}

	root := rec.span(t, "/request")
	if got := hexID(root.GetTraceId()); got != callerTrace {
		t.Fatalf("request span trace id %s; want the caller's %s", got, callerTrace)
	}
	if got := hexID(root.GetParentSpanId()); got != callerSpan {
		t.Fatalf("request span parent %s; want the caller's span %s", got, callerSpan)
	}
	if root.GetKind() != tracepb.Span_SPAN_KIND_SERVER || root.GetStatus().GetCode() != tracepb.Status_STATUS_CODE_ERROR {
		t.Fatalf("request span kind %v status %v; want server, error", root.GetKind(), root.GetStatus())
	}
	for k, want := range map[string]string{"http.status_code": "500", "http.method": "GET", "net.host.name": "img.example.com",
		monitoring.AttrSourceOrigin: origin.URL} {
		if got := attrValue(root.GetAttributes(), k); got != want {
			t.Errorf("request span %s = %q; want %q", k, got, want)
		}
	}
	if ev := root.GetEvents(); len(ev) == 0 || ev[0].GetName() != "exception" ||
		attrValue(ev[0].GetAttributes(), "exception.type") != "processing_error (*errors.errorString)" {
		t.Errorf("request span events %v; want the exception typed processing_error", ev)
	}
	for _, name := range []string{"queue", "downloading_source_image", "processing_image"} {
		s := rec.span(t, name)
		if hexID(s.GetTraceId()) != callerTrace || !bytes.Equal(s.GetParentSpanId(), root.GetSpanId()) {
			t.Errorf("span %s: trace %s parent %s; want trace %s parent %s", name, hexID(s.GetTraceId()),
				hexID(s.GetParentSpanId()), callerTrace, hexID(root.GetSpanId()))
		}
	}
	if n := len(rec.spans); n != 4 {
		t.Errorf("got %d spans; want 4 (no span outside a request)", n)
	}
	dl := rec.span(t, "downloading_source_image")
	if want := "00-" + callerTrace + "-" + hexID(dl.GetSpanId()) + "-01"; gotParent != want {
		t.Errorf("source request traceparent %q; want %q (child of the download span)", gotParent, want)
	}
	if rec.service[0] != "imgproxy" {
		t.Errorf("service.name %q; want imgproxy", rec.service[0])
	}
}

// TestTracesNoPropagation: without IMGPROXY_OPEN_TELEMETRY_PROPAGATE_EXTERNAL
// source requests carry no trace headers; OTEL_SERVICE_NAME names the service.
func TestTracesNoPropagation(t *testing.T) {
	rec := &receiver{}
	otelEnv(t, startHTTPReceiver(t, rec))
	t.Setenv("OTEL_SERVICE_NAME", "images-eu")
	var got []string
	origin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = append(got, r.Header.Get("Traceparent"))
	}))
	defer origin.Close()
	cfg := DefaultConfig()
	cfg.Enable, cfg.Protocol = true, ProtocolHTTP
	p, err := New(context.Background(), cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	if p.Propagator() != nil {
		t.Fatal("Propagator() is set without PropagateExternal")
	}
	request(t, p, monitoring.Transport(http.DefaultTransport, p.Propagator()), origin.URL, 200, "", nil)
	p.Shutdown(context.Background())
	if len(got) != 1 || got[0] != "" {
		t.Fatalf("source request traceparent %q; want none", got)
	}
	if rec.span(t, "/request").GetStatus().GetCode() == tracepb.Status_STATUS_CODE_ERROR {
		t.Fatal("a 200 request span has status error")
	}
	if rec.service[0] != "images-eu" {
		t.Fatalf("service.name %q; want OTEL_SERVICE_NAME's images-eu", rec.service[0])
	}
}

// TestGRPCTLSMetrics exports traces and metrics over OTLP/gRPC to a
// loopback receiver that requires mutual TLS, with the certificates given
// as PEM with "\n" escapes like the environment variables carry them.
func TestGRPCTLSMetrics(t *testing.T) {
	ca, serverCert, clientCert, clientKey := testPKI(t)
	rec := &receiver{}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(ca)
	addr := startGRPCReceiver(t, rec, &tls.Config{Certificates: []tls.Certificate{serverCert},
		ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: pool, MinVersion: tls.VersionTLS12})
	otelEnv(t, "https://"+addr)
	escape := func(b []byte) string { return strings.ReplaceAll(string(b), "\n", `\n`) }

	cfg := DefaultConfig()
	cfg.Enable, cfg.EnableMetrics = true, true
	cfg.ServerCert, cfg.ClientCert, cfg.ClientKey = escape(ca), escape(clientCert), escape(clientKey)
	stats := func() monitoring.Snapshot {
		return monitoring.Snapshot{Workers: 4, RequestsInProgress: 2, ImagesInProgress: 1, VipsMemory: 1 << 20}
	}
	p, err := New(context.Background(), cfg, stats)
	if err != nil {
		t.Fatal(err)
	}
	request(t, p, nil, "http://origin.test/a.png", 200, "", nil)
	request(t, p, nil, "http://origin.test/b.png", 404, "download", errors.New("not found"))
	if err := p.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	rec.span(t, "/request")
	rec.span(t, "processing_image")

	rec.mu.Lock()
	defer rec.mu.Unlock()
	sum := func(name string) (total int64, byAttr map[string]int64) {
		m := rec.metrics[name]
		if m == nil {
			t.Fatalf("metric %s not received", name)
		}
		byAttr = map[string]int64{}
		for _, dp := range m.GetSum().GetDataPoints() {
			total += dp.GetAsInt()
			byAttr[attrValue(dp.GetAttributes(), "status")+attrValue(dp.GetAttributes(), "type")] += dp.GetAsInt()
		}
		return total, byAttr
	}
	if n, _ := sum("requests_total"); n != 2 {
		t.Errorf("requests_total = %d; want 2", n)
	}
	if _, by := sum("status_codes_total"); by["200"] != 1 || by["404"] != 1 {
		t.Errorf("status_codes_total by status %v; want 200:1 404:1", by)
	}
	if n, by := sum("errors_total"); n != 1 || by["download"] != 1 {
		t.Errorf("errors_total = %d by type %v; want 1 download", n, by)
	}
	gauge := func(name string) float64 {
		m := rec.metrics[name]
		if m == nil || len(m.GetGauge().GetDataPoints()) == 0 {
			t.Fatalf("gauge %s not received", name)
		}
		return m.GetGauge().GetDataPoints()[0].GetAsDouble()
	}
	for name, want := range map[string]float64{"workers": 4, "requests_in_progress": 2, "images_in_progress": 1,
		"workers_utilization": 50, "vips_memory_bytes": 1 << 20} {
		if got := gauge(name); got != want {
			t.Errorf("%s = %v; want %v", name, got, want)
		}
	}
	if gauge("go_goroutines") <= 0 || gauge("process_resident_memory_bytes") <= 0 {
		t.Error("runtime gauges are empty")
	}
	spans := rec.metrics["request_span_duration_seconds"]
	if spans == nil || len(spans.GetHistogram().GetDataPoints()) != 3 {
		t.Errorf("request_span_duration_seconds: got %v; want one series per stage", spans)
	}
}

// TestXRayTraceIDs: a request without a caller's trace gets an AWS X-Ray
// style trace id (the first 4 bytes are the Unix time) by default.
func TestXRayTraceIDs(t *testing.T) {
	rec := &receiver{}
	otelEnv(t, startHTTPReceiver(t, rec))
	cfg := DefaultConfig()
	cfg.Enable, cfg.Protocol = true, ProtocolHTTP
	p, err := New(context.Background(), cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, end := p.StartRequest(context.Background(), "GET", "/", func(string) string { return "" })
	end(200, "", nil)
	p.Shutdown(context.Background())
	id := rec.span(t, "/request").GetTraceId()
	secs := int64(id[0])<<24 | int64(id[1])<<16 | int64(id[2])<<8 | int64(id[3])
	if d := time.Since(time.Unix(secs, 0)); d < -time.Minute || d > time.Minute {
		t.Fatalf("trace id %x does not start with the current time", id)
	}
}

func TestConfigValidate(t *testing.T) {
	ok := DefaultConfig()
	if err := ok.Validate(); err != nil {
		t.Fatalf("default (off): %v", err)
	}
	if p, err := New(context.Background(), ok, nil); p != nil || err != nil {
		t.Fatalf("New when off: got %v, %v; want nil, nil", p, err)
	}
	ca, _, clientCert, _ := testPKI(t)
	for _, c := range []struct {
		mutate func(*Config)
		want   string
	}{
		{func(c *Config) { c.Protocol = "http/json" }, "OTEL_EXPORTER_OTLP_PROTOCOL"},
		{func(c *Config) { c.TracesProtocol = "udp" }, "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL"},
		{func(c *Config) { c.TraceIDGenerator = "snowflake" }, "IMGPROXY_OPEN_TELEMETRY_TRACE_ID_GENERATOR"},
		{func(c *Config) { c.ServerCert = "not a pem" }, "IMGPROXY_OPEN_TELEMETRY_SERVER_CERT"},
		{func(c *Config) { c.ClientCert = string(clientCert) }, "IMGPROXY_OPEN_TELEMETRY_SERVER_CERT"},
		{func(c *Config) { c.ServerCert, c.ClientCert, c.ClientKey = string(ca), string(clientCert), "bad" }, "IMGPROXY_OPEN_TELEMETRY_CLIENT_KEY"},
	} {
		cfg := DefaultConfig()
		cfg.Enable = true
		c.mutate(&cfg)
		if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("got %v; want an error naming %s", err, c.want)
		}
	}
	for in, want := range map[string]string{"grpc": ProtocolGRPC, "HTTP": ProtocolHTTP, "https": ProtocolHTTP, "http/protobuf": ProtocolHTTP} {
		if got, err := ParseProtocol(in); got != want || err != nil {
			t.Errorf("ParseProtocol(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := ParseProtocol("http/json"); err == nil {
		t.Error("ParseProtocol(http/json): got nil error")
	}
}

// testPKI makes a CA, a server certificate for 127.0.0.1 and a client
// certificate, all signed by the CA. It returns the CA PEM, the server
// key pair and the client certificate and key PEMs.
func testPKI(t *testing.T) (caPEM []byte, server tls.Certificate, clientCert, clientKey []byte) {
	t.Helper()
	newKey := func() *ecdsa.PrivateKey {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	caKey := newKey()
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	caCert, _ := x509.ParseCertificate(caDER)
	issue := func(serial int64, usage x509.ExtKeyUsage) ([]byte, []byte) {
		k := newKey()
		tmpl := &x509.Certificate{SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: "127.0.0.1"},
			NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
			IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, ExtKeyUsage: []x509.ExtKeyUsage{usage},
			KeyUsage: x509.KeyUsageDigitalSignature}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, caCert, &k.PublicKey, caKey)
		if err != nil {
			t.Fatal(err)
		}
		kb, _ := x509.MarshalECPrivateKey(k)
		return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb})
	}
	sc, sk := issue(2, x509.ExtKeyUsageServerAuth)
	server, err = tls.X509KeyPair(sc, sk)
	if err != nil {
		t.Fatal(err)
	}
	clientCert, clientKey = issue(3, x509.ExtKeyUsageClientAuth)
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}), server, clientCert, clientKey
}
