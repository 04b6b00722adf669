package main

// Real-component test: headless Chromium from Debian loads a page whose
// <img> elements are served by real imgedge processes, with the browser's
// own Accept and client-hint headers. It covers each negotiated format on
// its own (WebP only, AVIF only, JPEG XL), WebP and AVIF both enabled (AVIF
// wins, docs/options.md "Output format"), an explicit format in the URL
// winning over negotiation, and the DPR/Width client hints a real browser
// sends (docs/config.md, IMGPROXY_ENABLE_CLIENT_HINTS).
//
// The page and the images share one origin: a Go server on 127.0.0.1
// serves the page and proxies /<instance>/... to the imgedge instance of
// that name, recording what the browser sent and what imgedge answered.
// Same origin keeps the client hints flowing without delegation.

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// rcExchange is what the recording proxy saw for one image request.
type rcExchange struct {
	Accept, DPR, Width string // browser request headers (Sec-CH-DPR, Sec-CH-Width)
	Status             int
	ContentType, Vary  string
	Body               []byte
}

// rcRecorder is a same-origin front for several imgedge instances.
type rcRecorder struct {
	mu   sync.Mutex
	seen map[string]rcExchange // by request path (with the instance prefix)
}

func (rec *rcRecorder) get(path string) (rcExchange, bool) {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	x, ok := rec.seen[path]
	return x, ok
}

// rcFront returns a handler serving page at / and proxying /<name>/rest to
// backends[name] + /rest, recording every proxied exchange.
func rcFront(t *testing.T, page string, backends map[string]*server) (http.Handler, *rcRecorder) {
	rec := &rcRecorder{seen: map[string]rcExchange{}}
	proxies := map[string]*httputil.ReverseProxy{}
	for name, s := range backends {
		target, err := url.Parse(s.URL)
		if err != nil {
			t.Fatal(err)
		}
		prefix := "/" + name
		proxies[name] = &httputil.ReverseProxy{
			Rewrite: func(pr *httputil.ProxyRequest) {
				pr.SetURL(target)
				// Keep the raw path: imgedge parses it byte for byte.
				pr.Out.URL.RawPath = strings.TrimPrefix(pr.In.URL.EscapedPath(), prefix)
				pr.Out.URL.Path = strings.TrimPrefix(pr.In.URL.Path, prefix)
			},
			ModifyResponse: func(resp *http.Response) error {
				body, err := io.ReadAll(resp.Body)
				resp.Body.Close()
				if err != nil {
					return err
				}
				resp.Body = io.NopCloser(bytes.NewReader(body))
				in := resp.Request.Header
				rec.mu.Lock()
				rec.seen[prefix+resp.Request.URL.Path] = rcExchange{
					Accept: in.Get("Accept"), DPR: in.Get("Sec-CH-DPR"), Width: in.Get("Sec-CH-Width"),
					Status: resp.StatusCode, ContentType: resp.Header.Get("Content-Type"),
					Vary: resp.Header.Get("Vary"), Body: body,
				}
				rec.mu.Unlock()
				return nil
			},
		}
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/" {
			// Ask for the hints on this origin's subresources.
			w.Header().Set("Accept-CH", "Sec-CH-DPR, Sec-CH-Width, DPR, Width")
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			io.WriteString(w, page)
			return
		}
		name, _, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
		if p, ok := proxies[name]; ok {
			p.ServeHTTP(w, r)
			return
		}
		http.NotFound(w, r)
	}), rec
}

// rcChromium loads pageURL in headless Chromium and returns the DOM after
// the page settled. scale is the device scale factor (the DPR hint).
func rcChromium(t *testing.T, pageURL string, scale int) string {
	t.Helper()
	cmd := exec.Command(rcChromiumBin, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
		"--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--disable-extensions", "--user-data-dir="+t.TempDir(), "--force-device-scale-factor="+strconv.Itoa(scale),
		"--virtual-time-budget=5000", "--dump-dom", pageURL)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.Env = []string{"PATH=/usr/bin:/bin", "HOME=" + t.TempDir()}
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting chromium: %v", err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("chromium: %v\n%s", err, stderr.String())
		}
	case <-time.After(90 * time.Second):
		cmd.Process.Kill()
		<-done
		t.Fatalf("chromium did not finish within 90 s:\n%s", stderr.String())
	}
	return stdout.String()
}

// rcSniff names the format of encoded image bytes by their signature.
func rcSniff(b []byte) string {
	switch {
	case len(b) >= 12 && string(b[:4]) == "RIFF" && string(b[8:12]) == "WEBP":
		return "webp"
	case len(b) >= 12 && string(b[4:8]) == "ftyp" && (string(b[8:12]) == "avif" || string(b[8:12]) == "avis"):
		return "avif"
	case bytes.HasPrefix(b, []byte{0xff, 0x0a}), bytes.HasPrefix(b, []byte("\x00\x00\x00\x0cJXL \r\n\x87\n")):
		return "jxl"
	case bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")):
		return "png"
	case bytes.HasPrefix(b, []byte{0xff, 0xd8, 0xff}):
		return "jpeg"
	}
	return "unknown"
}

func TestE2EBrowser(t *testing.T) {
	needTool(t, rcChromiumBin)
	t.Parallel()
	root := rcImageDir(t) // photo.jpg, 640×400
	base := map[string]string{"IMGPROXY_LOCAL_FILESYSTEM_ROOT": root}
	with := func(kv ...string) map[string]string {
		env := map[string]string{}
		for k, v := range base {
			env[k] = v
		}
		for i := 0; i+1 < len(kv); i += 2 {
			env[kv[i]] = kv[i+1]
		}
		return env
	}
	backends := map[string]*server{
		"webp":  launch(t, with("IMGPROXY_AUTO_WEBP", "true")),
		"avif":  launch(t, with("IMGPROXY_AUTO_AVIF", "true")),
		"both":  launch(t, with("IMGPROXY_AUTO_WEBP", "true", "IMGPROXY_AUTO_AVIF", "true")),
		"jxl":   launch(t, with("IMGPROXY_AUTO_JXL", "true")),
		"hints": launch(t, with("IMGPROXY_AUTO_WEBP", "true", "IMGPROXY_ENABLE_CLIENT_HINTS", "true")),
	}
	const dpr = 2
	type imgCase struct {
		id, path, attrs string
		format          string // served format; "jxl" falls back to "jpeg" if the browser does not accept it
		width           int    // expected naturalWidth
		hintWidth       string // expected Sec-CH-Width from the browser ("" = none)
	}
	cases := []imgCase{
		// AUTO_WEBP only: WebP although the browser also accepts AVIF.
		{"webp", "/webp/insecure/w:150/plain/local:///photo.jpg", "", "webp", 150, ""},
		{"avif", "/avif/insecure/w:170/plain/local:///photo.jpg", "", "avif", 170, ""},
		{"jxl", "/jxl/insecure/w:190/plain/local:///photo.jpg", "", "jxl", 190, ""},
		// AUTO_WEBP and AUTO_AVIF: AVIF, the better of the two.
		{"both", "/both/insecure/w:123/plain/local:///photo.jpg", "", "avif", 123, ""},
		// An explicit extension wins over negotiation.
		{"explicit", "/webp/insecure/w:130/plain/local:///photo.jpg@png", "", "png", 130, ""},
		// Client hints: the URL width times the DPR hint ...
		{"dpr", "/hints/insecure/w:100/plain/local:///photo.jpg", "", "webp", 100 * dpr, ""},
		// ... and, without a width in the URL, the Width hint (sizes × DPR).
		{"hintwidth", "/hints/insecure/rs:fit/plain/local:///photo.jpg", `sizes="160px"`, "webp", 160 * dpr, strconv.Itoa(160 * dpr)},
	}
	var page strings.Builder
	page.WriteString("<!doctype html><html><head><title>imgedge e2e</title></head><body>\n")
	for _, c := range cases {
		fmt.Fprintf(&page, "<img id=%q src=%q %s>\n", c.id, c.path, c.attrs)
	}
	// Report "id=naturalWidth;" per image once each has loaded or failed
	// (-1 = failed to load or decode).
	page.WriteString(`<pre id="out"></pre>
<script>
var res = {};
function report() {
  var s = "";
  for (var k in res) s += k + "=" + res[k] + ";";
  document.getElementById("out").textContent = s;
}
Array.prototype.forEach.call(document.images, function (img) {
  function done() { res[img.id] = img.naturalWidth > 0 ? img.naturalWidth : -1; report(); }
  if (img.complete) done(); else { img.addEventListener("load", done); img.addEventListener("error", done); }
});
</script></body></html>`)

	front, rec := rcFront(t, page.String(), backends)
	site := httptest.NewServer(front)
	t.Cleanup(site.Close)

	dom := rcChromium(t, site.URL+"/", dpr)
	m := regexp.MustCompile(`<pre id="out">([^<]*)</pre>`).FindStringSubmatch(dom)
	if m == nil {
		t.Fatalf("the page reported nothing; DOM:\n%s", dom)
	}
	got := map[string]string{}
	for _, kv := range strings.Split(m[1], ";") {
		if k, v, ok := strings.Cut(kv, "="); ok {
			got[k] = v
		}
	}
	for _, c := range cases {
		x, ok := rec.get(c.path)
		if !ok {
			t.Errorf("%s: the browser never requested %s", c.id, c.path)
			continue
		}
		if !strings.Contains(x.Accept, "image/webp") || !strings.Contains(x.Accept, "image/avif") {
			t.Errorf("%s: the browser's Accept %q lacks image/webp or image/avif", c.id, x.Accept)
		}
		want := c.format
		if want == "jxl" && !strings.Contains(x.Accept, "image/jxl") {
			want = "jpeg" // this Chromium does not take JPEG XL: the source format
		}
		if x.Status != http.StatusOK || x.ContentType != "image/"+want || rcSniff(x.Body) != want {
			t.Errorf("%s: imgedge answered %d %q with %s bytes; want 200 image/%s (browser Accept %q)",
				c.id, x.Status, x.ContentType, rcSniff(x.Body), want, x.Accept)
		}
		if g := got[c.id]; g != strconv.Itoa(c.width) {
			t.Errorf("%s: naturalWidth in the browser = %q; want %d (image/%s decoded by Chromium)", c.id, g, c.width, want)
		}
		if !strings.HasPrefix(x.Vary, "Accept") {
			t.Errorf("%s: Vary %q; want it to start with Accept", c.id, x.Vary)
		}
		if strings.HasPrefix(c.path, "/hints/") {
			if x.DPR != strconv.Itoa(dpr) || x.Width != c.hintWidth {
				t.Errorf("%s: browser sent Sec-CH-DPR %q, Sec-CH-Width %q; want %d, %q", c.id, x.DPR, x.Width, dpr, c.hintWidth)
			}
			for _, h := range []string{"Sec-CH-DPR", "Sec-CH-Width"} {
				if !strings.Contains(x.Vary, h) {
					t.Errorf("%s: Vary %q lacks %s with client hints on", c.id, x.Vary, h)
				}
			}
		}
	}
	if t.Failed() {
		t.Logf("page report: %q", m[1])
	}
}
