package errorreport

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/imgedge/imgedge/options"
)

// trackers is one loopback HTTP server standing in for the four error
// trackers' ingestion APIs; it keeps each decoded JSON report by tracker.
type trackers struct {
	mu      sync.Mutex
	reports map[string][]map[string]any
	paths   []string
	block   chan struct{} // when set, requests wait for it
}

func (tr *trackers) add(name string, v map[string]any, path string) {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	tr.reports[name] = append(tr.reports[name], v)
	tr.paths = append(tr.paths, path)
}

func (tr *trackers) get(name string) []map[string]any {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	return tr.reports[name]
}

func (tr *trackers) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if tr.block != nil {
		<-tr.block
	}
	var body io.Reader = r.Body
	if r.Header.Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(r.Body)
		if err != nil {
			http.Error(w, err.Error(), 400)
			return
		}
		body = zr
	}
	data, _ := io.ReadAll(body)
	switch {
	case strings.HasPrefix(r.URL.Path, "/api/1/envelope"): // Sentry
		// An envelope: a header line, then item header and payload lines.
		sc := bufio.NewScanner(bytes.NewReader(data))
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		var lines []string
		for sc.Scan() {
			lines = append(lines, sc.Text())
		}
		for i := 1; i+1 < len(lines); i += 2 {
			var item struct{ Type string }
			json.Unmarshal([]byte(lines[i]), &item)
			if item.Type == "event" {
				var ev map[string]any
				json.Unmarshal([]byte(lines[i+1]), &ev)
				tr.add("sentry", ev, r.URL.Path)
			}
		}
		w.Write([]byte(`{"id":"1"}`))
	case r.URL.Path == "/bugsnag":
		var v map[string]any
		json.Unmarshal(data, &v)
		tr.add("bugsnag", v, r.URL.Path)
		w.Write([]byte(`{}`))
	case r.URL.Path == "/v1/notices": // Honeybadger
		var v map[string]any
		json.Unmarshal(data, &v)
		tr.add("honeybadger", v, r.URL.Path)
		w.WriteHeader(201)
		w.Write([]byte(`{"id":"1"}`))
	case strings.HasPrefix(r.URL.Path, "/api/v3/projects/"): // Airbrake
		var v map[string]any
		json.Unmarshal(data, &v)
		tr.add("airbrake", v, r.URL.Path+"?"+r.URL.RawQuery+" "+r.Header.Get("Authorization"))
		w.WriteHeader(201)
		w.Write([]byte(`{"id":"1","url":"http://x/1"}`))
	default:
		http.NotFound(w, r)
	}
}

func startTrackers(t *testing.T) (*trackers, *httptest.Server) {
	tr := &trackers{reports: map[string][]map[string]any{}}
	srv := httptest.NewServer(tr)
	t.Cleanup(srv.Close)
	return tr, srv
}

func allTrackers(srvURL string) Config {
	cfg := DefaultConfig()
	host := strings.TrimPrefix(srvURL, "http://")
	cfg.SentryDSN = "http://publickey@" + host + "/1"
	cfg.SentryRelease, cfg.SentryEnvironment = "imgedge@1.0.0", "staging"
	cfg.BugsnagKey, cfg.BugsnagStage, cfg.BugsnagEndpoint = "0123456789abcdef0123456789abcdef", "staging", srvURL+"/bugsnag"
	cfg.HoneybadgerKey, cfg.HoneybadgerEnv, cfg.HoneybadgerEndpoint = "hb-key", "staging", srvURL
	cfg.AirbrakeProjectID, cfg.AirbrakeProjectKey, cfg.AirbrakeEnv, cfg.AirbrakeHost = 42, "ab-key", "staging", srvURL
	return cfg
}

// dig walks nested JSON objects and arrays ("exceptions.0.errorClass").
func dig(v any, path string) any {
	for _, p := range strings.Split(path, ".") {
		switch x := v.(type) {
		case map[string]any:
			v = x[p]
		case []any:
			i := 0
			for _, c := range p {
				i = i*10 + int(c-'0')
			}
			if i >= len(x) {
				return nil
			}
			v = x[i]
		default:
			return nil
		}
	}
	return v
}

// TestReportAllTrackers reports one internal error with its request to all
// four trackers, each pointed at the loopback server, and checks what each
// received: class, message, environment, metadata, the stack of the
// caller, and no credentials from the request headers.
func TestReportAllTrackers(t *testing.T) {
	tr, srv := startTrackers(t)
	var fails []string
	r, err := New(allTrackers(srv.URL), func(name string, err error) { fails = append(fails, name+": "+err.Error()) })
	if err != nil {
		t.Fatal(err)
	}
	req := httptest.NewRequest("GET", "http://img.example.com/sig/rs:fit:10:10/plain/http://origin/a.png", nil)
	req.Header.Set("Authorization", "Bearer top-secret")
	req.Header.Set("Cookie", "session=top-secret")
	req.Header.Set("User-Agent", "reporter-test")
	ierr := &options.Error{Kind: options.KindUnexpected, Msg: "libvips exploded"}
	r.Report(ierr, req, "Request ID", "req-1", "Source Image URL", "http://origin/a.png")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	r.Close(ctx)
	if len(fails) > 0 {
		t.Fatalf("deliveries failed: %q", fails)
	}

	checks := []struct {
		tracker             string
		class, msg, env, id string // JSON paths
	}{
		{"sentry", "exception.0.type", "exception.0.value", "environment", "contexts.imgedge.Request ID"},
		{"bugsnag", "events.0.exceptions.0.errorClass", "events.0.exceptions.0.message", "events.0.app.releaseStage", "events.0.metaData.imgedge.Request ID"},
		{"honeybadger", "error.class", "error.message", "server.environment_name", "request.context.Request ID"},
		{"airbrake", "errors.0.type", "errors.0.message", "context.environment", "context.request-id"},
	}
	for _, c := range checks {
		got := tr.get(c.tracker)
		if len(got) != 1 {
			t.Errorf("%s: got %d reports; want 1", c.tracker, len(got))
			continue
		}
		rep := got[0]
		if c.tracker == "sentry" {
			// Sentry lists the chain innermost first; the class names the outer one.
			if ex, _ := rep["exception"].([]any); len(ex) > 0 {
				c.class = "exception." + string(rune('0'+len(ex)-1)) + ".type"
			}
		}
		if v, _ := dig(rep, c.class).(string); v != "imgedge.unexpected" {
			t.Errorf("%s: class %q; want imgedge.unexpected", c.tracker, v)
		}
		if v, _ := dig(rep, c.msg).(string); !strings.Contains(v, "libvips exploded") {
			t.Errorf("%s: message %q; want the error", c.tracker, v)
		}
		if v, _ := dig(rep, c.env).(string); v != "staging" {
			t.Errorf("%s: environment %q; want staging", c.tracker, v)
		}
		if v, _ := dig(rep, c.id).(string); v != "req-1" {
			t.Errorf("%s: request id %q; want req-1", c.tracker, v)
		}
		raw, _ := json.Marshal(rep)
		if bytes.Contains(raw, []byte("top-secret")) {
			t.Errorf("%s: the report carries the Authorization or Cookie header: %s", c.tracker, raw)
		}
		if !bytes.Contains(raw, []byte("TestReportAllTrackers")) {
			t.Errorf("%s: the report's stack does not include the reporting function", c.tracker)
		}
	}
	if s := tr.get("sentry"); len(s) == 1 && dig(s[0], "release") != "imgedge@1.0.0" {
		t.Errorf("sentry release %v; want imgedge@1.0.0", dig(s[0], "release"))
	}
	for _, p := range tr.paths {
		if strings.HasPrefix(p, "/api/v3/projects/") && !strings.HasPrefix(p, "/api/v3/projects/42/notices") {
			t.Errorf("airbrake posted to %q; want project 42", p)
		}
	}
}

// TestReportNeverBlocks: with the trackers stalled and a queue of one,
// Report returns at once and counts what it dropped.
func TestReportNeverBlocks(t *testing.T) {
	tr, srv := startTrackers(t)
	tr.block = make(chan struct{})
	cfg := DefaultConfig()
	cfg.BugsnagKey, cfg.BugsnagEndpoint = "0123456789abcdef0123456789abcdef", srv.URL+"/bugsnag"
	cfg.QueueSize = 1
	r, err := New(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	for i := 0; i < 20; i++ {
		r.Report(&options.Error{Kind: options.KindUnexpected, Msg: "boom"}, nil)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("20 reports took %s with the tracker stalled", d)
	}
	if r.Dropped() < 18 {
		t.Fatalf("dropped %d of 20 reports with a queue of 1 and a stalled sender; want at least 18", r.Dropped())
	}
	close(tr.block)
	r.Close(context.Background())
	r.Report(&options.Error{Kind: options.KindUnexpected, Msg: "after close"}, nil) // a late request: no panic
	if n := len(tr.get("bugsnag")); n < 1 || n > 2 {
		t.Fatalf("delivered %d reports; want the 1 or 2 that were queued or in flight", n)
	}
}

func TestConfig(t *testing.T) {
	if r, err := New(DefaultConfig(), nil); r != nil || err != nil {
		t.Fatalf("nothing configured: got %v, %v; want nil, nil", r, err)
	}
	cfg := DefaultConfig()
	cfg.AirbrakeProjectKey = "k"
	if _, err := New(cfg, nil); err == nil || !strings.Contains(err.Error(), "IMGPROXY_AIRBRAKE_PROJECT_ID") {
		t.Fatalf("got %v; want an error naming IMGPROXY_AIRBRAKE_PROJECT_ID", err)
	}
	cfg = DefaultConfig()
	cfg.SentryDSN = "https://secretkey@" // no project
	_, err := New(cfg, nil)
	if err == nil || !strings.Contains(err.Error(), "IMGPROXY_SENTRY_DSN") || strings.Contains(err.Error(), "secretkey") {
		t.Fatalf("got %v; want an error naming IMGPROXY_SENTRY_DSN without the key", err)
	}
}
