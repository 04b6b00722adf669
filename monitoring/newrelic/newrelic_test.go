package newrelic

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/imgedge/imgedge/monitoring"
)

// collector is a loopback stand-in for New Relic's collector endpoint
// (agent_listener/invoke_raw_method over HTTPS): it answers preconnect and
// connect and keeps the decompressed payload of every other call by method.
type collector struct {
	host string
	mu   sync.Mutex
	data map[string][]string
}

func (c *collector) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	method := r.URL.Query().Get("method")
	var body io.Reader = r.Body
	if r.Header.Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(r.Body)
		if err != nil {
			http.Error(w, err.Error(), 400)
			return
		}
		body = zr
	}
	payload, _ := io.ReadAll(body)
	c.mu.Lock()
	c.data[method] = append(c.data[method], string(payload))
	c.mu.Unlock()
	switch method {
	case "preconnect":
		io.WriteString(w, `{"return_value":{"redirect_host":"`+c.host+`"}}`)
	case "connect":
		io.WriteString(w, `{"return_value":{"agent_run_id":"run-1","entity_guid":"guid-1","account_id":"123",`+
			`"trusted_account_key":"123","primary_application_id":"456","sampling_target":10,"collect_span_events":true}}`)
	default:
		io.WriteString(w, `{"return_value":null}`)
	}
}

func (c *collector) payloads(method string) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return strings.Join(c.data[method], "\n")
}

// TestNewRelicAgent points the real Go agent at a loopback TLS collector
// (its Host and Transport settings) and checks the harvest it sends on
// shutdown: the transaction and segment metrics, the noticed error, the
// custom gauges, and distributed-trace headers on a source request.
func TestNewRelicAgent(t *testing.T) {
	col := &collector{data: map[string][]string{}}
	srv := httptest.NewTLSServer(col)
	defer srv.Close()
	col.host = strings.TrimPrefix(srv.URL, "https://")
	var gotHeaders http.Header
	origin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { gotHeaders = r.Header.Clone() }))
	defer origin.Close()

	cfg := DefaultConfig()
	cfg.Key = strings.Repeat("0123456789", 4)
	cfg.AppName, cfg.Labels = "imgedge-test", map[string]string{"env": "test"}
	cfg.Host, cfg.Transport = col.host, srv.Client().Transport
	cfg.PropagateExternal, cfg.MetricsInterval = true, time.Hour
	a, err := New(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.WaitForConnection(10 * time.Second); err != nil {
		t.Fatalf("the agent did not connect to the loopback collector: %v", err)
	}
	a.RecordStats(func() monitoring.Snapshot { return monitoring.Snapshot{Workers: 4, RequestsInProgress: 2} })

	in := http.Header{}
	in.Set("Traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
	in.Set("Host", "img.example.com")
	ctx, end := a.StartRequest(context.Background(), "GET", "/sig/rs:fit:10:10/plain/src", in.Get)
	a.Annotate(ctx, monitoring.AttrSourceURL, origin.URL)
	_, endQ := a.StartSpan(ctx, monitoring.StageQueue)
	endQ()
	dctx, endD := a.StartSpan(ctx, monitoring.StageDownload)
	req, _ := http.NewRequestWithContext(dctx, http.MethodGet, origin.URL, nil)
	resp, err := monitoring.Transport(http.DefaultTransport, a.Propagator()).RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	endD()
	_, endP := a.StartSpan(ctx, monitoring.StageProcessing)
	endP()
	end(500, "processing", errors.New("vips failed"))
	a.Stop(10 * time.Second)

	connect := col.payloads("connect")
	for _, want := range []string{`"imgedge-test"`, `"env"`} {
		if !strings.Contains(connect, want) {
			t.Errorf("connect payload lacks %s: %.300s", want, connect)
		}
	}
	metrics := col.payloads("metric_data")
	for _, want := range []string{"WebTransaction/Go/request", "Custom/Queue", "Custom/Downloading source image",
		"Custom/Processing image", "Custom/imgproxy/workers", "Custom/imgproxy/workers_utilization"} {
		if !strings.Contains(metrics, want) {
			t.Errorf("metric_data lacks %q", want)
		}
	}
	if errs := col.payloads("error_data"); !strings.Contains(errs, "vips failed") || !strings.Contains(errs, "processing_error") {
		t.Errorf("error_data lacks the noticed error: %.300s", errs)
	}
	if tp := gotHeaders.Get("Traceparent"); !strings.HasPrefix(tp, "00-4bf92f3577b34da6a3ce929d0e0e4736-") {
		t.Errorf("source request traceparent %q; want the caller's trace continued", tp)
	}
	if gotHeaders.Get("Newrelic") == "" {
		t.Error("source request lacks the newrelic header")
	}
	if bytes.Contains([]byte(col.payloads("analytic_event_data")+metrics), []byte(cfg.Key)) {
		t.Error("the license key appears in a payload")
	}
}

func TestNewRelicConfig(t *testing.T) {
	if a, err := New(DefaultConfig(), nil); a != nil || err != nil {
		t.Fatalf("off: got %v, %v; want nil, nil", a, err)
	}
	cfg := DefaultConfig()
	cfg.Key = "short-key"
	if _, err := New(cfg, nil); err == nil || !strings.Contains(err.Error(), "IMGPROXY_NEW_RELIC_KEY") || strings.Contains(err.Error(), "short-key") {
		t.Fatalf("got %v; want an error naming IMGPROXY_NEW_RELIC_KEY without the key", err)
	}
	got, err := ParseLabels("env=prod; team = images ;;")
	if err != nil || len(got) != 2 || got["env"] != "prod" || got["team"] != "images" {
		t.Fatalf("ParseLabels: got %v, %v", got, err)
	}
	if _, err := ParseLabels("novalue"); err == nil {
		t.Fatal("ParseLabels(novalue): got nil error")
	}
}
