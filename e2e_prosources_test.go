package main

// End-to-end tests of imgproxy Pro's watermark, source and integrity
// options against the running binary: an origin on loopback serves small
// generated images and counts its hits.

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"image"
	"image/color"
	"image/png"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/imgedge/imgedge/options/testclient"
)

// proOrigin serves generated images on loopback and counts hits by path.
type proOrigin struct {
	*httptest.Server
	mu   sync.Mutex
	hits map[string]int
}

func (o *proOrigin) count(path string) int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.hits[path]
}

func solidPNG(t *testing.T, w, h int, c color.NRGBA) []byte {
	t.Helper()
	m := image.NewNRGBA(image.Rect(0, 0, w, h))
	for i := 0; i < len(m.Pix); i += 4 {
		copy(m.Pix[i:], []byte{c.R, c.G, c.B, c.A})
	}
	var b bytes.Buffer
	if err := png.Encode(&b, m); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

const proSVG = `<svg xmlns="http://www.w3.org/2000/svg" width="40" height="20"><rect width="40" height="20" fill="#ff0000"/></svg>`

func newProOrigin(t *testing.T) (*proOrigin, map[string][]byte) {
	files := map[string][]byte{
		"/src.png":      solidPNG(t, 100, 60, color.NRGBA{255, 255, 255, 255}),
		"/mark.png":     solidPNG(t, 20, 10, color.NRGBA{255, 0, 0, 255}),
		"/fallback.png": solidPNG(t, 30, 20, color.NRGBA{0, 0, 255, 255}),
		"/pic.svg":      []byte(proSVG),
	}
	o := &proOrigin{hits: map[string]int{}}
	o.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		o.mu.Lock()
		o.hits[r.URL.Path]++
		o.mu.Unlock()
		b, ok := files[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Write(b)
	}))
	t.Cleanup(o.Close)
	return o, files
}

func decodeImage(t *testing.T, b []byte) image.Image {
	t.Helper()
	m, _, err := image.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("decode %q: %v", truncate(b), err)
	}
	return m
}

func rgbAt(m image.Image, x, y int) [3]uint8 {
	r, g, b, _ := m.At(x, y).RGBA()
	return [3]uint8{uint8(r >> 8), uint8(g >> 8), uint8(b >> 8)}
}

func TestE2EProSources(t *testing.T) {
	origin, files := newProOrigin(t)
	key := bytes.Repeat([]byte{7}, 32)
	srv := launch(t, map[string]string{
		"IMGPROXY_ALLOW_LOOPBACK_SOURCE_ADDRESSES": "true",
		"IMGPROXY_SOURCE_URL_ENCRYPTION_KEY":       hex.EncodeToString(key),
		"IMGPROXY_ALLOW_BYPASS_CACHE":              "true",
		"IMGEDGE_SOURCE_CACHE_SIZE":                "4194304",
	})
	b64 := func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
	src := origin.URL + "/src.png"
	get := func(path string) (*http.Response, []byte) { return srv.get(t, path) }
	red, white := [3]uint8{255, 0, 0}, [3]uint8{255, 255, 255}

	t.Run("watermark_url", func(t *testing.T) {
		path := "/insecure/wm:1:nowe:2:3/wmu:" + b64(origin.URL+"/mark.png") + "/plain/" + src + "@png"
		for range 2 {
			resp, body := get(path)
			if resp.StatusCode != 200 {
				t.Fatalf("got %d %s", resp.StatusCode, body)
			}
			m := decodeImage(t, body)
			if rgbAt(m, 2, 3) != red || rgbAt(m, 21, 12) != red || rgbAt(m, 22, 13) != white || rgbAt(m, 1, 3) != white {
				t.Fatalf("the mark is not at (2,3)-(22,13)")
			}
		}
		if n := origin.count("/mark.png"); n != 1 {
			t.Fatalf("the mark was fetched %d times; want 1 (cached)", n)
		}
	})

	t.Run("watermark_url refused address", func(t *testing.T) {
		for _, u := range []string{"http://10.1.2.3/mark.png", "http://169.254.169.254/latest/meta-data"} {
			resp, body := get("/insecure/wm:1/wmu:" + b64(u) + "/plain/" + src)
			if resp.StatusCode != 404 || string(body) != "Invalid source URL" {
				t.Errorf("%s: got %d %q; want 404 Invalid source URL", u, resp.StatusCode, body)
			}
		}
		// A mark that is not there answers like a missing source.
		if resp, _ := get("/insecure/wm:1/wmu:" + b64(origin.URL+"/nope.png") + "/plain/" + src); resp.StatusCode != 404 {
			t.Errorf("missing mark: got %d; want 404", resp.StatusCode)
		}
	})

	t.Run("watermark_text", func(t *testing.T) {
		resp, body := get("/insecure/wm:1:ce/wmt:" + b64(`<span foreground="#0000ff" size="30pt">M</span>`) + "/plain/" + src + "@png")
		if resp.StatusCode != 200 {
			t.Fatalf("got %d %s", resp.StatusCode, body)
		}
		// Blue ink around the centre, nothing near the edges.
		m := decodeImage(t, body)
		blue := 0
		for y := range 60 {
			for x := range 100 {
				c := rgbAt(m, x, y)
				inside := x > 25 && x < 75 && y > 5 && y < 55
				switch {
				case c[2] > 200 && c[0] < 80 && c[1] < 80:
					blue++
				case !inside && c != white:
					t.Fatalf("pixel %d,%d changed: %v", x, y, c)
				}
			}
		}
		if blue < 20 {
			t.Fatalf("got %d blue pixels; want the text", blue)
		}
	})

	t.Run("fallback_image_url", func(t *testing.T) {
		for range 2 {
			resp, body := get("/insecure/fiu:" + b64(origin.URL+"/fallback.png") + "/plain/" + origin.URL + "/missing.png@png")
			if resp.StatusCode != 200 || resp.Header.Get("X-Imgedge-Fallback") != "1" {
				t.Fatalf("got %d fallback header %q; want 200 and 1", resp.StatusCode, resp.Header.Get("X-Imgedge-Fallback"))
			}
			m := decodeImage(t, body)
			if b := m.Bounds(); b.Dx() != 30 || b.Dy() != 20 || rgbAt(m, 5, 5) != [3]uint8{0, 0, 255} {
				t.Fatalf("got %v %v; want the blue 30x20 fallback", b, rgbAt(m, 5, 5))
			}
		}
		if n := origin.count("/fallback.png"); n != 1 {
			t.Fatalf("the fallback was fetched %d times; want 1 (cached)", n)
		}
		// Without the option: the source's error.
		if resp, _ := get("/insecure/plain/" + origin.URL + "/missing.png"); resp.StatusCode != 404 {
			t.Fatalf("no fallback: got %d; want 404", resp.StatusCode)
		}
	})

	t.Run("hashsum", func(t *testing.T) {
		sum := sha256.Sum256(files["/src.png"])
		if resp, body := get("/insecure/hs:sha256:" + hex.EncodeToString(sum[:]) + "/plain/" + src); resp.StatusCode != 200 {
			t.Fatalf("match: got %d %s", resp.StatusCode, body)
		}
		sum[0] ^= 1
		resp, body := get("/insecure/hs:sha256:" + hex.EncodeToString(sum[:]) + "/plain/" + src)
		if resp.StatusCode != 422 || string(body) != "Invalid source image" {
			t.Fatalf("mismatch: got %d %q; want 422 Invalid source image", resp.StatusCode, body)
		}
	})

	t.Run("encrypted source", func(t *testing.T) {
		block, _ := aes.NewCipher(key)
		iv := bytes.Repeat([]byte{3}, 16)
		u := []byte(src)
		pad := 16 - len(u)%16
		u = append(u, bytes.Repeat([]byte{byte(pad)}, pad)...)
		ct := make([]byte, len(u))
		cipher.NewCBCEncrypter(block, iv).CryptBlocks(ct, u)
		enc := append(append([]byte(nil), iv...), ct...)
		if resp, body := get("/insecure/w:50/enc/" + base64.RawURLEncoding.EncodeToString(enc) + ".png"); resp.StatusCode != 200 || decodeImage(t, body).Bounds().Dx() != 50 {
			t.Fatalf("got %d %s", resp.StatusCode, truncate(body))
		}
		enc[len(enc)-1] ^= 0x40
		if resp, body := get("/insecure/w:50/enc/" + base64.RawURLEncoding.EncodeToString(enc)); resp.StatusCode != 404 || string(body) != "Invalid URL" {
			t.Fatalf("tampered: got %d %q; want 404 Invalid URL", resp.StatusCode, body)
		}
	})

	t.Run("style", func(t *testing.T) {
		resp, body := get("/insecure/st:" + b64("rect{fill:#00ff00}") + "/plain/" + origin.URL + "/pic.svg@png")
		if resp.StatusCode != 200 || rgbAt(decodeImage(t, body), 20, 10) != [3]uint8{0, 255, 0} {
			t.Fatalf("styled render: got %d", resp.StatusCode)
		}
		resp, body = get("/insecure/st:" + b64(`</style><script>alert(1)</script><style>rect{fill:url(http://evil.example/x)}`) + "/plain/" + origin.URL + "/pic.svg")
		if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "image/svg+xml" {
			t.Fatalf("styled svg: got %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
		}
		if bytes.Contains(body, []byte("<script")) || bytes.Contains(body, []byte("evil.example")) {
			t.Fatalf("styled svg kept the script or the url: %s", body)
		}
	})

	t.Run("cache_tags and pdf", func(t *testing.T) {
		resp, body := get("/insecure/ct:news:front-page/w:40/plain/" + src + "@pdf")
		if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/pdf" || !bytes.HasPrefix(body, []byte("%PDF-1.4")) {
			t.Fatalf("got %d %s %q", resp.StatusCode, resp.Header.Get("Content-Type"), truncate(body))
		}
		for _, h := range []string{"Cache-Tag", "X-Amz-Meta-Cache-Tag"} {
			if got := resp.Header.Get(h); got != "news,front-page" {
				t.Errorf("%s: got %q", h, got)
			}
		}
		if cd := resp.Header.Get("Content-Disposition"); !strings.Contains(cd, `src.pdf"`) {
			t.Errorf("Content-Disposition %q; want src.pdf", cd)
		}
		if !bytes.Contains(body, []byte("/MediaBox [0 0 40 24]")) {
			t.Errorf("the page is not 40x24 pt")
		}
	})

	t.Run("bypass_cache", func(t *testing.T) {
		u := origin.URL + "/src.png%3Fbc" // its own source cache entry
		before := origin.count("/src.png")
		for _, opts := range []string{"w:10", "w:11", "bc:1/w:12", "w:13"} {
			if resp, body := get("/insecure/" + opts + "/plain/" + u); resp.StatusCode != 200 {
				t.Fatalf("%s: got %d %s", opts, resp.StatusCode, body)
			}
		}
		// One download for the first request, one for bypass_cache; the
		// others are served by the source cache.
		if n := origin.count("/src.png") - before; n != 2 {
			t.Fatalf("origin hit %d times; want 2", n)
		}
	})

	t.Run("client library", func(t *testing.T) {
		cases := []testclient.Case{
			{Name: "marks", URL: src, Options: map[string]any{
				"watermark":      map[string]any{"opacity": 1, "position": "ch"},
				"watermark_url":  b64(origin.URL + "/mark.png"),
				"watermark_size": map[string]any{"width": 10},
				"format":         "png",
			}},
			{Name: "encrypted", URL: origin.URL + "/missing.png", DisplayAs: "encrypted", EncryptKey: hex.EncodeToString(key),
				EncryptIV: strings.Repeat("ab", 16), Options: map[string]any{
					"fallback_image_url": b64(origin.URL + "/fallback.png"),
					"cache_tags":         []any{"x"},
					"bypass_cache":       1,
					"format":             "pdf",
				}},
			{Name: "style", URL: origin.URL + "/pic.svg", Options: map[string]any{"style": b64("rect{fill:#0000ff}"), "format": "png"}},
		}
		paths := testclient.Paths(t, "", "", cases)
		resp, body := get(paths["marks"])
		if resp.StatusCode != 200 {
			t.Fatalf("marks %s: got %d %s", paths["marks"], resp.StatusCode, body)
		}
		m := decodeImage(t, body)
		if rgbAt(m, 50, 30) != red || rgbAt(m, 40, 30) == red { // 10x5 marks on 10x5 cells, chessboard
			t.Errorf("marks: centre %v, left neighbour %v", rgbAt(m, 50, 30), rgbAt(m, 40, 30))
		}
		resp, body = get(paths["encrypted"])
		if resp.StatusCode != 200 || resp.Header.Get("Cache-Tag") != "x" || !bytes.HasPrefix(body, []byte("%PDF")) {
			t.Errorf("encrypted %s: got %d tags %q", paths["encrypted"], resp.StatusCode, resp.Header.Get("Cache-Tag"))
		}
		resp, body = get(paths["style"])
		if resp.StatusCode != 200 || rgbAt(decodeImage(t, body), 20, 10) != [3]uint8{0, 0, 255} {
			t.Errorf("style %s: got %d", paths["style"], resp.StatusCode)
		}
	})
}
