package monitoring

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"reflect"
	"testing"
)

// recorder is a Tracer that logs the calls it gets.
type recorder struct {
	name string
	log  *[]string
}

type ctxKey string

func (r recorder) StartRequest(ctx context.Context, method, uri string, header func(string) string) (context.Context, func(int, string, error)) {
	*r.log = append(*r.log, r.name+" start "+method+" "+uri+" "+header("X-Id"))
	ctx = context.WithValue(ctx, ctxKey(r.name), true)
	return ctx, func(status int, errType string, err error) {
		*r.log = append(*r.log, r.name+" end "+http.StatusText(status)+" "+ErrorClass(errType, err))
	}
}

func (r recorder) Annotate(ctx context.Context, kv ...string) {
	*r.log = append(*r.log, r.name+" annotate "+kv[0])
}

func (r recorder) StartSpan(ctx context.Context, name string, kv ...string) (context.Context, func()) {
	_, a := ctx.Value(ctxKey("a")).(bool)
	_, b := ctx.Value(ctxKey("b")).(bool)
	if !a || !b {
		*r.log = append(*r.log, r.name+" span without both request contexts")
	}
	*r.log = append(*r.log, r.name+" span "+SegmentName(name))
	return ctx, func() { *r.log = append(*r.log, r.name+" span end") }
}

func TestTracersFanOut(t *testing.T) {
	if Join() != nil || Join(nil, nil) != nil {
		t.Fatal("Join of nothing is not nil")
	}
	var log []string
	one := recorder{"a", &log}
	if got := Join(nil, one); got != Tracer(one) {
		t.Fatalf("Join of one tracer = %v; want the tracer itself", got)
	}
	tr := Join(one, recorder{"b", &log})
	ctx, end := tr.StartRequest(context.Background(), "GET", "/x", func(k string) string { return k + "=1" })
	tr.Annotate(ctx, AttrSourceURL, "u")
	_, endSpan := tr.StartSpan(ctx, StageDownload)
	endSpan()
	end(500, "processing", errors.New("boom"))
	want := []string{
		"a start GET /x X-Id=1", "b start GET /x X-Id=1",
		"a annotate " + AttrSourceURL, "b annotate " + AttrSourceURL,
		"a span downloading_source_image", "b span downloading_source_image",
		"b span end", "a span end",
		"b end Internal Server Error processing_error (*errors.errorString)",
		"a end Internal Server Error processing_error (*errors.errorString)",
	}
	if !reflect.DeepEqual(log, want) {
		t.Fatalf("got calls\n%q\nwant\n%q", log, want)
	}
}

type headerProp string

func (p headerProp) Inject(ctx context.Context, h http.Header) { h.Set(string(p), "1") }

func TestTransport(t *testing.T) {
	if got := Transport(http.DefaultTransport); got != http.DefaultTransport {
		t.Fatal("Transport without propagators wraps")
	}
	var got http.Header
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { got = r.Header.Clone() }))
	defer srv.Close()
	req, _ := http.NewRequest(http.MethodGet, srv.URL, nil)
	resp, err := Transport(http.DefaultTransport, headerProp("X-A"), nil, headerProp("X-B")).RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if got.Get("X-A") != "1" || got.Get("X-B") != "1" {
		t.Fatalf("origin headers %v; want both propagators' headers", got)
	}
	if len(req.Header) != 0 {
		t.Fatalf("the caller's request was modified: %v", req.Header)
	}
}

func TestNames(t *testing.T) {
	for stage, want := range map[string]string{StageQueue: "queue", StageDownload: "downloading_source_image",
		StageProcessing: "processing_image", StageStreaming: "streaming_image"} {
		if got := SegmentName(stage); got != want {
			t.Errorf("SegmentName(%q) = %q; want %q", stage, got, want)
		}
	}
	if got := Origin("https://img.example.com:8443/a/b.png?x"); got != "https://img.example.com:8443" {
		t.Errorf("Origin = %q", got)
	}
	if s := (Snapshot{Workers: 4, RequestsInProgress: 6}).WorkersUtilization(); s != 150 {
		t.Errorf("WorkersUtilization = %v; want 150", s)
	}
}
