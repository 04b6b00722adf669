package main

// Real-component test: Debian's Varnish in front of the real imgedge
// binary, all on loopback (docs/cdn.md). It shows that imgedge's headers
// make a shared cache behave, from both sides: from the cache's (X-Cache,
// Age, X-Varnish) and from imgedge's request log (what reached it, with
// which status). A repeated request is a hit that never reaches imgedge,
// Accept variants are stored apart (Vary: Accept), each variant is
// revalidated with a 304 once its TTL ran out, a client's If-None-Match is
// answered 304 from the cache, and errors (404, 502, 504) are kept only for
// the cache's short error TTL. The VCL is testdata/e2e/varnish.vcl.

import (
	"bytes"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// rcVarnish is a varnishd started by rcStartVarnish.
type rcVarnish struct {
	URL string // http://127.0.0.1:port

	mu  sync.Mutex
	out bytes.Buffer
}

func (v *rcVarnish) output() string {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.out.String()
}

func (v *rcVarnish) Write(p []byte) (int, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.out.Write(p)
}

// rcStartVarnish runs varnishd in the foreground with the VCL text on a port
// the kernel picks on 127.0.0.1, learns the port through varnishadm, and
// stops varnishd when the test ends. `-j none` lets it run as root or as an
// unprivileged user without a jail; its state lives in a temporary dir.
func rcStartVarnish(t *testing.T, vcl string) *rcVarnish {
	t.Helper()
	needTool(t, rcVarnishdBin)
	dir := t.TempDir()
	vclPath := filepath.Join(dir, "imgedge.vcl")
	if err := os.WriteFile(vclPath, []byte(vcl), 0o644); err != nil {
		t.Fatal(err)
	}
	work := filepath.Join(dir, "varnish")
	v := &rcVarnish{}
	cmd := exec.Command(rcVarnishdBin, "-F", "-j", "none", "-n", work,
		"-a", "127.0.0.1:0", "-T", "127.0.0.1:0", "-f", vclPath, "-s", "malloc,32m",
		"-p", "thread_pools=1", "-p", "thread_pool_min=10", "-p", "thread_pool_max=100")
	cmd.Stdout = v
	cmd.Stderr = v
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + dir}
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting varnishd: %v", err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-exited
		}
		if t.Failed() {
			t.Logf("varnishd output:\n%s", v.output())
		}
	})

	adm := filepath.Join(filepath.Dir(rcVarnishdBin), "..", "bin", "varnishadm")
	if p, err := exec.LookPath("varnishadm"); err == nil {
		adm = p
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		select {
		case <-exited:
			t.Fatalf("varnishd exited at start-up:\n%s", v.output())
		default:
		}
		out, err := exec.Command(adm, "-n", work, "-t", "2", "debug.listen_address").Output()
		if err == nil {
			// "a0 127.0.0.1 40233"
			if f := strings.Fields(string(out)); len(f) >= 3 {
				v.URL = "http://" + net.JoinHostPort(f[1], f[2])
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("varnishd did not report its listen address within 30 s (varnishadm: %v, %q):\n%s", err, out, v.output())
		}
		time.Sleep(100 * time.Millisecond)
	}
	// The child may still be warming up: wait until it answers HTTP.
	for {
		resp, err := http.Get(v.URL + "/health")
		if err == nil {
			resp.Body.Close()
			return v
		}
		if time.Now().After(deadline) {
			t.Fatalf("varnishd at %s does not answer: %v\n%s", v.URL, err, v.output())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// rcVCL reads testdata/e2e/varnish.vcl and fills in its placeholders.
func rcVCL(t *testing.T, vars map[string]string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "e2e", "varnish.vcl"))
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	for k, v := range vars {
		s = strings.ReplaceAll(s, "{{"+k+"}}", v)
	}
	if i := strings.Index(s, "{{"); i >= 0 {
		t.Fatalf("varnish.vcl: placeholder left unfilled at %q", s[i:min(len(s), i+30)])
	}
	return s
}

// rcXVarnishIDs returns the transaction ids in an X-Varnish header: one on
// a miss, two (this request, the one that stored the object) on a hit.
func rcXVarnishIDs(resp *http.Response) int {
	return len(strings.Fields(resp.Header.Get("X-Varnish")))
}

func TestE2EVarnish(t *testing.T) {
	needTool(t, rcVarnishdBin)
	t.Parallel()
	root := rcImageDir(t)
	photo, err := os.ReadFile(filepath.Join(root, "photo.jpg"))
	if err != nil {
		t.Fatal(err)
	}

	// A loopback origin for the 5xx and timeout cases: /flaky.jpg answers
	// 500 and /slow.jpg stalls past IMGPROXY_DOWNLOAD_TIMEOUT until fixed.
	var flakyFixed, slowFixed atomic.Bool
	origin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/flaky.jpg" && !flakyFixed.Load():
			http.Error(w, "origin broken", http.StatusInternalServerError)
			return
		case r.URL.Path == "/slow.jpg" && !slowFixed.Load():
			select {
			case <-r.Context().Done():
			case <-time.After(5 * time.Second):
			}
			return
		}
		w.Header().Set("Content-Type", "image/jpeg")
		w.Write(photo)
	}))
	t.Cleanup(origin.Close) // not defer: the parallel subtests run after this function returns

	long := launch(t, map[string]string{
		"IMGPROXY_LOCAL_FILESYSTEM_ROOT":           root,
		"IMGPROXY_AUTO_WEBP":                       "true",
		"IMGPROXY_TTL":                             "3600",
		"IMGPROXY_ALLOW_LOOPBACK_SOURCE_ADDRESSES": "true",
		"IMGPROXY_DOWNLOAD_TIMEOUT":                "1",
	})
	const shortTTL = 2
	short := launch(t, map[string]string{
		"IMGPROXY_LOCAL_FILESYSTEM_ROOT": root,
		"IMGPROXY_AUTO_WEBP":             "true",
		"IMGPROXY_TTL":                   strconv.Itoa(shortTTL),
		"IMGPROXY_PATH_PREFIX":           "/short",
		// Revalidation then also goes through the buster's wrap/unwrap.
		"IMGPROXY_ETAG_BUSTER": "v2",
	})
	const errorTTL = time.Second
	v := rcStartVarnish(t, rcVCL(t, map[string]string{
		"LONG_PORT":  rcPort(t, long.Addr),
		"SHORT_PORT": rcPort(t, short.Addr),
		"ERROR_TTL":  strconv.Itoa(int(errorTTL / time.Second)),
	}))
	c := &http.Client{Timeout: 30 * time.Second}
	const jpegAccept = "image/jpeg"
	const webpAccept = "image/webp,image/*,*/*;q=0.8"

	t.Run("hits never reach imgedge", func(t *testing.T) {
		t.Parallel()
		const opts = "rs:fit:200:200"
		path := "/insecure/" + opts + "/plain/local:///photo.jpg"
		stored := map[string][]byte{}
		for _, accept := range []string{jpegAccept, webpAccept} {
			r, b := getWith(t, c, v.URL+path, "Accept", accept)
			if r.StatusCode != http.StatusOK || r.Header.Get("X-Cache") != "MISS" || rcXVarnishIDs(r) != 1 {
				t.Fatalf("first GET (Accept %q): got %d, X-Cache %q, X-Varnish %q; want 200 MISS with one id",
					accept, r.StatusCode, r.Header.Get("X-Cache"), r.Header.Get("X-Varnish"))
			}
			if r.Header.Get("Vary") != "Accept" || r.Header.Get("Cache-Control") != "max-age=3600, public" || r.Header.Get("ETag") == "" {
				t.Errorf("first GET (Accept %q): Vary %q, Cache-Control %q, ETag %q; want Accept, max-age=3600, public and an ETag",
					accept, r.Header.Get("Vary"), r.Header.Get("Cache-Control"), r.Header.Get("ETag"))
			}
			// A client revalidation is answered 304 by the cache itself.
			if r2, _ := getWith(t, c, v.URL+path, "Accept", accept, "If-None-Match", r.Header.Get("ETag")); r2.StatusCode != http.StatusNotModified {
				t.Errorf("If-None-Match (Accept %q): got %d; want 304 from the cache", accept, r2.StatusCode)
			}
			stored[accept] = b
		}
		// Age counts whole seconds: let it reach 1.
		time.Sleep(1100 * time.Millisecond)
		for i := 0; i < 3; i++ {
			for _, tc := range []struct{ accept, format string }{{jpegAccept, "jpeg"}, {webpAccept, "webp"}} {
				r, b := getWith(t, c, v.URL+path, "Accept", tc.accept)
				if r.Header.Get("X-Cache") != "HIT" || rcXVarnishIDs(r) != 2 {
					t.Errorf("repeat %d (Accept %q): X-Cache %q, X-Varnish %q; want HIT with two ids",
						i, tc.accept, r.Header.Get("X-Cache"), r.Header.Get("X-Varnish"))
				}
				if age, err := strconv.Atoi(r.Header.Get("Age")); err != nil || age < 1 {
					t.Errorf("repeat %d (Accept %q): Age %q; want >= 1", i, tc.accept, r.Header.Get("Age"))
				}
				if !bytes.Equal(b, stored[tc.accept]) {
					t.Errorf("repeat %d (Accept %q): %d bytes differ from the stored %d", i, tc.accept, len(b), len(stored[tc.accept]))
				}
				if f, w := rcDecode(t, "cached "+tc.format, b); f != tc.format || w != 200 {
					t.Errorf("cached variant for Accept %q: got %s %d px wide; want %s 200", tc.accept, f, w, tc.format)
				}
			}
		}
		// Eight requests through Varnish, two at imgedge: one per variant.
		if got := rcStatuses(rcWaitRequests(t, long, opts+"/", 2)); fmt.Sprint(got) != "[200 200]" {
			t.Errorf("imgedge saw statuses %v for %s; want [200 200] (one per Accept variant)", got, path)
		}
	})

	t.Run("each Accept variant revalidates with a 304", func(t *testing.T) {
		t.Parallel()
		const opts = "rs:fit:120:120"
		path := "/short/insecure/" + opts + "/plain/local:///photo.jpg"
		stored := map[string][]byte{}
		var etag string
		for _, accept := range []string{jpegAccept, webpAccept} {
			r, b := getWith(t, c, v.URL+path, "Accept", accept)
			if r.StatusCode != http.StatusOK || r.Header.Get("X-Cache") != "MISS" {
				t.Fatalf("GET %s (Accept %q): got %d, X-Cache %q; want 200 MISS", path, accept, r.StatusCode, r.Header.Get("X-Cache"))
			}
			if want := fmt.Sprintf("max-age=%d, public", shortTTL); r.Header.Get("Cache-Control") != want {
				t.Errorf("GET %s: Cache-Control %q; want %q", path, r.Header.Get("Cache-Control"), want)
			}
			if etag = r.Header.Get("ETag"); !strings.HasPrefix(etag, `"v2/`) {
				t.Fatalf("GET %s (Accept %q): ETag %q; want one wrapped by the buster (\"v2/...)", path, accept, etag)
			}
			stored[accept] = b
		}
		time.Sleep(shortTTL*time.Second + 700*time.Millisecond)
		for _, tc := range []struct{ accept, format string }{{jpegAccept, "jpeg"}, {webpAccept, "webp"}} {
			r, b := getWith(t, c, v.URL+path, "Accept", tc.accept)
			if r.StatusCode != http.StatusOK || r.Header.Get("X-Revalidated") != "1" {
				t.Errorf("GET %s after expiry (Accept %q): got %d, X-Revalidated %q; want 200 refreshed by a 304",
					path, tc.accept, r.StatusCode, r.Header.Get("X-Revalidated"))
			}
			// The stale object of this variant, not the other one, was renewed.
			if !bytes.Equal(b, stored[tc.accept]) {
				t.Errorf("GET %s after revalidation (Accept %q): %d bytes differ from the stored %d", path, tc.accept, len(b), len(stored[tc.accept]))
			}
			if f, w := rcDecode(t, "revalidated "+tc.format, b); f != tc.format || w != 120 {
				t.Errorf("revalidated variant for Accept %q: got %s %d px wide; want %s 120", tc.accept, f, w, tc.format)
			}
			if got := r.Header.Get("Vary"); got != "Accept" {
				t.Errorf("revalidated variant: Vary %q; want Accept (kept from the 304)", got)
			}
			// The 304's Cache-Control renewed the TTL: the next one is a hit.
			if r2, _ := getWith(t, c, v.URL+path, "Accept", tc.accept); r2.Header.Get("X-Cache") != "HIT" {
				t.Errorf("GET %s right after revalidation: X-Cache %q; want HIT", path, r2.Header.Get("X-Cache"))
			}
			// A client holding the ETag gets its 304 from the renewed object.
			if r3, _ := getWith(t, c, v.URL+path, "Accept", tc.accept, "If-None-Match", etag); r3.StatusCode != http.StatusNotModified {
				t.Errorf("If-None-Match after revalidation: got %d; want 304", r3.StatusCode)
			}
		}
		// imgedge processed each variant once and answered both refreshes
		// with 304. It answers 304 only to a conditional request, so Varnish
		// sent the stored ETag, and imgedge did not process the image again.
		if got := rcStatuses(rcWaitRequests(t, short, opts+"/", 4)); fmt.Sprint(got) != "[200 200 304 304]" {
			t.Errorf("imgedge (short TTL) saw statuses %v for %s; want [200 200 304 304]", got, path)
		}
	})

	for _, tc := range []struct {
		name, path, key string
		status          int
		fix             func()
	}{
		{"missing source 404", "/insecure/rs:fit:90:90/plain/local:///late.jpg", "local:///late.jpg", http.StatusNotFound, func() {
			if err := os.WriteFile(filepath.Join(root, "late.jpg"), photo, 0o644); err != nil {
				t.Error(err)
			}
		}},
		{"origin 500 gives 502", "/insecure/rs:fit:90:90/plain/" + origin.URL + "/flaky.jpg", "/flaky.jpg", http.StatusBadGateway, func() { flakyFixed.Store(true) }},
		{"slow origin gives 504", "/insecure/rs:fit:90:90/plain/" + origin.URL + "/slow.jpg", "/slow.jpg", http.StatusGatewayTimeout, func() { slowFixed.Store(true) }},
	} {
		t.Run("error expires: "+tc.name, func(t *testing.T) {
			t.Parallel()
			r, b := getWith(t, c, v.URL+tc.path)
			if r.StatusCode != tc.status || r.Header.Get("X-Cache") != "MISS" {
				t.Fatalf("got %d, X-Cache %q (%q); want %d MISS", r.StatusCode, r.Header.Get("X-Cache"), truncate(b), tc.status)
			}
			for _, h := range []string{"Cache-Control", "Expires", "ETag", "Last-Modified"} {
				if got := r.Header.Get(h); got != "" {
					t.Errorf("imgedge sent %s %q on a %d; want none", h, got, tc.status)
				}
			}
			start := time.Now()
			r, _ = getWith(t, c, v.URL+tc.path)
			if time.Since(start) < errorTTL/2 && (r.StatusCode != tc.status || r.Header.Get("X-Cache") != "HIT") {
				t.Errorf("repeated at once: got %d, X-Cache %q; want the cached %d (HIT)", r.StatusCode, r.Header.Get("X-Cache"), tc.status)
			}
			tc.fix()
			time.Sleep(errorTTL + 500*time.Millisecond)
			r, b = getWith(t, c, v.URL+tc.path)
			if r.StatusCode != http.StatusOK || r.Header.Get("X-Cache") != "MISS" {
				t.Errorf("after the error TTL and the fix: got %d, X-Cache %q (%q); want a fresh 200 from imgedge",
					r.StatusCode, r.Header.Get("X-Cache"), truncate(b))
			}
			got := rcStatuses(rcWaitRequests(t, long, tc.key, 2))
			if fmt.Sprint(got) != fmt.Sprintf("[%d 200]", tc.status) {
				t.Errorf("imgedge saw statuses %v; want [%d 200]: the error once, then the retry after its TTL", got, tc.status)
			}
		})
	}
}
