package edge

import (
	"context"
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/imgedge/imgedge/options"
)

// recordingTracer is a Tracer that logs its calls. Each request span gets
// a number carried in the context, so that a stage span shows which
// request's context it was started from.
type recordingTracer struct {
	mu   sync.Mutex
	log  []string
	next atomic.Int32
}

type reqNoKey struct{}
type stageKey struct{}

func (r *recordingTracer) add(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.log = append(r.log, fmt.Sprintf(format, args...))
}

func (r *recordingTracer) calls() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.log...)
}

func (r *recordingTracer) StartRequest(ctx context.Context, method, uri string, header func(string) string) (context.Context, func(int, string, error)) {
	n := r.next.Add(1)
	r.add("r%d start %s %s traceparent=%s", n, method, uri, header("traceparent"))
	return context.WithValue(ctx, reqNoKey{}, n), func(status int, errType string, err error) {
		r.add("r%d end %d %s %v", n, status, errType, err != nil)
	}
}

func (r *recordingTracer) Annotate(ctx context.Context, kv ...string) {
	r.add("r%v annotate %s", ctx.Value(reqNoKey{}), strings.Join(kv, " "))
}

func (r *recordingTracer) StartSpan(ctx context.Context, stage string, kv ...string) (context.Context, func()) {
	n := ctx.Value(reqNoKey{})
	r.add("r%v %s", n, stage)
	return context.WithValue(ctx, stageKey{}, stage), func() { r.add("r%v %s end", n, stage) }
}

// stageOrigin records the stage span in the context each fetch gets.
type stageOrigin struct {
	*testOrigin
	mu     sync.Mutex
	stages []any
}

func (o *stageOrigin) Fetch(ctx context.Context, url string, cond *options.Conditional, maxSize int64) (options.Source, error) {
	o.mu.Lock()
	o.stages = append(o.stages, ctx.Value(stageKey{}))
	o.mu.Unlock()
	return o.testOrigin.Fetch(ctx, url, cond, maxSize)
}

func TestTracing(t *testing.T) {
	tr := &recordingTracer{}
	var origin *stageOrigin
	env := startEnv(t, testConfig(), envOpts{tracer: tr, wrapFetcher: func(o *testOrigin) Fetcher {
		origin = &stageOrigin{testOrigin: o}
		return origin
	}})
	if r := env.get(catPath, "Traceparent", "00-abc-def-01"); r.status != 200 {
		t.Fatalf("got %d %q", r.status, r.body)
	}
	want := []string{
		"r1 start GET " + catPath + " traceparent=00-abc-def-01",
		"r1 annotate imgproxy.source_image_url http://origin.test/photos/cat.jpg imgproxy.source_image_origin http://origin.test",
		"r1 Queue", "r1 Queue end",
		"r1 Downloading source image", "r1 Downloading source image end",
		"r1 Processing image", "r1 Processing image end",
		"r1 end 200  false",
	}
	waitCalls(t, tr, len(want))
	if got := tr.calls(); !reflect.DeepEqual(got, want) {
		t.Fatalf("got calls\n%q\nwant\n%q", got, want)
	}
	if len(origin.stages) != 1 || origin.stages[0] != stageDownload {
		t.Fatalf("the fetch got stage %v in its context; want the download span's", origin.stages)
	}

	// A failed request ends its span with the error type.
	env.get("/insecure/plain/http://origin.test/status404")
	waitCalls(t, tr, len(want)+7)
	if got := tr.calls(); got[len(got)-1] != "r2 end 404 download true" {
		t.Fatalf("last call %q; want the 404 with type download", got[len(got)-1])
	}
	env.waitReleased()
}

// TestTracingCoalesced: every coalesced request has its own request span;
// the job's stages run once, under the request that started it.
func TestTracingCoalesced(t *testing.T) {
	tr := &recordingTracer{}
	env := startEnv(t, testConfig(), envOpts{tracer: tr, workers: 2})
	env.origin.block = make(chan struct{})
	env.origin.started = make(chan struct{}, 4)
	path := "/insecure/rs:fit:30:30/plain/http://origin.test/block.jpg"
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); env.get(path) }()
	<-env.origin.started
	go func() { defer wg.Done(); env.get(path) }()
	for deadline := time.Now().Add(5 * time.Second); env.srv.group.Coalesced() < 1 && time.Now().Before(deadline); {
		time.Sleep(2 * time.Millisecond)
	}
	close(env.origin.block)
	wg.Wait()
	waitCalls(t, tr, 12)
	count := map[string]int{}
	for _, c := range tr.calls() {
		count[c]++
	}
	for c, n := range map[string]int{"r1 Queue": 1, "r1 Queue end": 1, "r1 Downloading source image": 1,
		"r1 Downloading source image end": 1, "r1 Processing image": 1, "r1 Processing image end": 1,
		"r1 end 200  false": 1, "r2 end 200  false": 1} {
		if count[c] != n {
			t.Errorf("%q: %d times; want %d", c, count[c], n)
		}
	}
	if len(tr.calls()) != 12 {
		t.Errorf("calls %q; want 2 request spans (start, annotate, end) and one job's stages", tr.calls())
	}
	env.waitReleased()
}

func waitCalls(t *testing.T, tr *recordingTracer, n int) {
	t.Helper()
	for deadline := time.Now().Add(3 * time.Second); len(tr.calls()) < n && time.Now().Before(deadline); {
		time.Sleep(2 * time.Millisecond)
	}
}

// recordingReporter keeps what edge reports.
type recordingReporter struct {
	mu   sync.Mutex
	errs []string
}

func (r *recordingReporter) Report(err error, req *http.Request, kv ...string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	path := "<no request>"
	if req != nil {
		path = req.URL.RequestURI() + " auth=" + req.Header.Get("Authorization")
	}
	r.errs = append(r.errs, fmt.Sprintf("%s %s %s", options.KindOf(err), path, strings.Join(kv, "=")))
}

func (r *recordingReporter) reports() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.errs...)
}

// TestErrorReporting: internal errors (a panicking processor) and source
// failures answered 502/504 are reported with their request; client
// errors and 422 are not; without ReportDownloadingErrors only the
// internal errors are.
func TestErrorReporting(t *testing.T) {
	for _, downloads := range []bool{true, false} {
		rep := &recordingReporter{}
		cfg := testConfig()
		cfg.ReportDownloadingErrors = downloads
		env := startEnv(t, cfg, envOpts{reporter: rep})
		for _, c := range []struct {
			path   string
			status int
		}{
			{"/insecure/rs:fit:66:10/plain/http://origin.test/panic.jpg", 500},
			{"/insecure/plain/http://origin.test/status503", 502},
			{"/insecure/plain/http://origin.test/dltimeout", 504},
			{"/insecure/plain/http://origin.test/status404", 404},
			{"/insecure/plain/http://origin.test/toobig", 422},
			{"/insecure/rs:fit:13:10/plain/http://origin.test/broken.jpg", 422},
			{"/insecure/rs:bogus/plain/http://origin.test/a.png", 404},
		} {
			if r := env.get(c.path, "X-Request-ID", fmt.Sprintf("req-%d", c.status), "Authorization", "Bearer x"); r.status != c.status {
				t.Fatalf("%s: got %d; want %d", c.path, r.status, c.status)
			}
		}
		want := []string{"unexpected /insecure/rs:fit:66:10/plain/http://origin.test/panic.jpg auth=Bearer x Request ID=req-500=Source Image URL=http://origin.test/panic.jpg"}
		if downloads {
			want = append(want,
				"upstream_status /insecure/plain/http://origin.test/status503 auth=Bearer x Request ID=req-502=Source Image URL=http://origin.test/status503",
				"download_timeout /insecure/plain/http://origin.test/dltimeout auth=Bearer x Request ID=req-504=Source Image URL=http://origin.test/dltimeout")
		}
		if got := rep.reports(); !reflect.DeepEqual(got, want) {
			t.Errorf("ReportDownloadingErrors=%v: got reports\n%q\nwant\n%q", downloads, got, want)
		}
		env.waitReleased()
	}
}

// cookieOrigin is a fetcher that forwards client cookies: it records the
// cookies each fetch gets.
type cookieOrigin struct {
	*testOrigin
	mu      sync.Mutex
	cookies []string
}

func (o *cookieOrigin) ForwardsCookies() bool { return true }

func (o *cookieOrigin) Fetch(ctx context.Context, url string, cond *options.Conditional, maxSize int64) (options.Source, error) {
	c := options.ClientCookiesFrom(ctx)
	o.mu.Lock()
	if c == nil {
		o.cookies = append(o.cookies, "<none>")
	} else {
		o.cookies = append(o.cookies, c.Cookie+"@"+c.Host+"/"+c.ForwardedHost)
	}
	o.mu.Unlock()
	return o.testOrigin.Fetch(ctx, url, cond, maxSize)
}

// TestCookiesReachFetchAndKey: with a cookie-forwarding fetcher, each
// request's cookies and host reach the fetch, and concurrent identical
// requests share a job only when their cookies are the same.
func TestCookiesReachFetchAndKey(t *testing.T) {
	var origin *cookieOrigin
	env := startEnv(t, testConfig(), envOpts{workers: 4, wrapFetcher: func(o *testOrigin) Fetcher {
		origin = &cookieOrigin{testOrigin: o}
		return origin
	}})
	env.get(catPath, "Cookie", "a=1", "X-Forwarded-Host", "img.example.com")
	if got := origin.cookies; len(got) != 1 || !strings.HasPrefix(got[0], "a=1@127.0.0.1:") || !strings.HasSuffix(got[0], "/img.example.com") {
		t.Fatalf("fetch got cookies %q; want a=1 with the request's Host and X-Forwarded-Host", got)
	}
	env.origin.block = make(chan struct{})
	env.origin.started = make(chan struct{}, 8)
	path := "/insecure/rs:fit:30:30/plain/http://origin.test/block.jpg"
	// Two concurrent identical requests: wait until both are in (one job
	// joined, or two fetches started), then let the fetches finish.
	run := func(c1, c2 string, wantFetches int) {
		before, joined := env.origin.fetches.Load(), env.srv.group.Coalesced()
		var wg sync.WaitGroup
		wg.Add(2)
		go func() { defer wg.Done(); env.get(path, "Cookie", c1) }()
		<-env.origin.started
		go func() { defer wg.Done(); env.get(path, "Cookie", c2) }()
		deadline := time.After(5 * time.Second)
		if wantFetches == 2 {
			select {
			case <-env.origin.started:
			case <-deadline:
				t.Fatalf("cookies %s and %s: the second request did not start its own fetch", c1, c2)
			}
		} else {
			for env.srv.group.Coalesced() == joined {
				select {
				case <-deadline:
					t.Fatalf("cookies %s and %s: the second request did not join the first", c1, c2)
				default:
					time.Sleep(2 * time.Millisecond)
				}
			}
		}
		for range wantFetches {
			env.origin.block <- struct{}{}
		}
		wg.Wait()
		if n := env.origin.fetches.Load() - before; n != int64(wantFetches) {
			t.Errorf("cookies %s and %s: %d fetches; want %d", c1, c2, n, wantFetches)
		}
	}
	run("a=1", "a=1", 1)
	run("a=1", "a=2", 2)
	env.waitReleased()
}
