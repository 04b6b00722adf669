package datadog

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tinylib/msgp/msgp"

	"github.com/imgedge/imgedge/monitoring"
)

// agent is a loopback stand-in for the Datadog Agent's trace intake: it
// decodes the msgpack trace payloads (v0.4 API) into spans.
type agent struct {
	mu    sync.Mutex
	spans []map[string]any
}

func (a *agent) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/v0.4/traces" {
		http.NotFound(w, r) // no /info: the tracer falls back to v0.4
		return
	}
	var js bytes.Buffer
	if _, err := msgp.CopyToJSON(&js, r.Body); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	var traces [][]map[string]any
	dec := json.NewDecoder(&js)
	dec.UseNumber()
	if err := dec.Decode(&traces); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	a.mu.Lock()
	for _, t := range traces {
		a.spans = append(a.spans, t...)
	}
	a.mu.Unlock()
	w.Write([]byte(`{"rate_by_service":{}}`))
}

func (a *agent) byName() map[string]map[string]any {
	a.mu.Lock()
	defer a.mu.Unlock()
	out := map[string]map[string]any{}
	for _, s := range a.spans {
		out[s["name"].(string)] = s
	}
	return out
}

func num(v any) string {
	if n, ok := v.(json.Number); ok {
		return n.String()
	}
	return ""
}

// TestDatadogTracesAndGauges runs the real tracer against a loopback agent
// and a UDP DogStatsD receiver: span names and parentage from incoming
// Datadog headers, propagation to a source request, error tags, gauges.
func TestDatadogTracesAndGauges(t *testing.T) {
	for _, k := range []string{"DD_TRACE_AGENT_URL", "DD_AGENT_HOST", "DD_TRACE_AGENT_PORT", "DD_DOGSTATSD_URL", "DD_ENV", "DD_SERVICE"} {
		t.Setenv(k, "")
	}
	t.Setenv("DD_INSTRUMENTATION_TELEMETRY_ENABLED", "false")
	t.Setenv("DD_REMOTE_CONFIGURATION_ENABLED", "false")
	ag := &agent{}
	agentSrv := httptest.NewServer(ag)
	defer agentSrv.Close()
	statsdConn, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer statsdConn.Close()
	var gotHeaders http.Header
	origin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { gotHeaders = r.Header.Clone() }))
	defer origin.Close()

	host, port, _ := net.SplitHostPort(strings.TrimPrefix(agentSrv.URL, "http://"))
	_, sport, _ := net.SplitHostPort(statsdConn.LocalAddr().String())
	cfg := DefaultConfig()
	cfg.Enable, cfg.EnableMetrics, cfg.PropagateExternal = true, true, true
	cfg.AgentHost, cfg.Version, cfg.MetricsInterval = host, "1.2.3", 20*time.Millisecond
	cfg.TracePort, _ = strconv.Atoi(port)
	cfg.StatsDPort, _ = strconv.Atoi(sport)
	c, err := New(cfg, func() monitoring.Snapshot { return monitoring.Snapshot{Workers: 4, RequestsInProgress: 1} })
	if err != nil {
		t.Fatal(err)
	}
	if _, err := New(cfg, nil); err == nil {
		t.Fatal("a second Client started while one runs")
	}

	in := http.Header{}
	in.Set("X-Datadog-Trace-Id", "1234567890")
	in.Set("X-Datadog-Parent-Id", "987654321")
	in.Set("X-Datadog-Sampling-Priority", "1")
	ctx, end := c.StartRequest(context.Background(), "GET", "/sig/plain/src", in.Get)
	c.Annotate(ctx, monitoring.AttrSourceURL, origin.URL)
	_, endQ := c.StartSpan(ctx, monitoring.StageQueue)
	endQ()
	dctx, endD := c.StartSpan(ctx, monitoring.StageDownload)
	req, _ := http.NewRequestWithContext(dctx, http.MethodGet, origin.URL, nil)
	resp, err := monitoring.Transport(http.DefaultTransport, c.Propagator()).RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	endD()
	_, endP := c.StartSpan(ctx, monitoring.StageProcessing)
	endP()
	end(500, "processing", errors.New("vips failed"))

	// Gauges arrive while the client runs (one packet per flush).
	var packets strings.Builder
	buf := make([]byte, 8192)
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline) &&
		!(strings.Contains(packets.String(), "imgproxy.workers:") && strings.Contains(packets.String(), "imgproxy.workers_utilization:")); {
		statsdConn.SetReadDeadline(deadline)
		n, _, err := statsdConn.ReadFrom(buf)
		if err != nil {
			break
		}
		packets.Write(buf[:n])
	}
	packet := packets.String()
	c.Stop()

	for _, want := range []string{"imgproxy.workers:4|g|#service:imgproxy,version:1.2.3", "imgproxy.workers_utilization:25|g"} {
		if !strings.Contains(packet, want) {
			t.Errorf("DogStatsD packet %q lacks %q", packet, want)
		}
	}
	spans := ag.byName()
	root := spans["request"]
	if root == nil {
		t.Fatalf("no request span; got %v", spans)
	}
	if num(root["trace_id"]) != "1234567890" || num(root["parent_id"]) != "987654321" {
		t.Errorf("request span trace %s parent %s; want the caller's 1234567890 / 987654321", num(root["trace_id"]), num(root["parent_id"]))
	}
	meta, _ := root["meta"].(map[string]any)
	if meta["http.status_code"] != "500" || meta["error.message"] != "vips failed" || num(root["error"]) != "1" {
		t.Errorf("request span meta %v error %v; want status 500 and the error", meta, root["error"])
	}
	if meta[monitoring.AttrSourceURL] != origin.URL {
		t.Errorf("request span %s = %v; want %s", monitoring.AttrSourceURL, meta[monitoring.AttrSourceURL], origin.URL)
	}
	for _, name := range []string{"queue", "downloading_source_image", "processing_image"} {
		s := spans[name]
		if s == nil || num(s["parent_id"]) != num(root["span_id"]) || num(s["trace_id"]) != "1234567890" {
			t.Errorf("span %s = %v; want a child of the request span", name, s)
		}
	}
	if dl := spans["downloading_source_image"]; dl != nil {
		if got := gotHeaders.Get("X-Datadog-Parent-Id"); got != num(dl["span_id"]) || gotHeaders.Get("X-Datadog-Trace-Id") != "1234567890" {
			t.Errorf("source request headers trace %q parent %q; want 1234567890 / %s",
				gotHeaders.Get("X-Datadog-Trace-Id"), got, num(dl["span_id"]))
		}
	}
}

func TestDatadogConfig(t *testing.T) {
	if c, err := New(DefaultConfig(), nil); c != nil || err != nil {
		t.Fatalf("off: got %v, %v; want nil, nil", c, err)
	}
	for _, c := range []struct {
		mutate func(*Config)
		want   string
	}{
		{func(c *Config) { c.Service = "" }, "DD_SERVICE"},
		{func(c *Config) { c.TracePort = 0 }, "DD_TRACE_AGENT_PORT"},
		{func(c *Config) { c.StatsDPort = 70000 }, "DD_DOGSTATSD_PORT"},
	} {
		cfg := DefaultConfig()
		cfg.Enable = true
		c.mutate(&cfg)
		if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("got %v; want an error naming %s", err, c.want)
		}
	}
	if g := Gauges(monitoring.Snapshot{Workers: 2, RequestsInProgress: 3}); g[3].Name != "imgproxy.workers_utilization" || g[3].Value != 150 {
		t.Errorf("utilization gauge %+v; want 150 (requests over workers, as imgproxy)", g[3])
	}
}
