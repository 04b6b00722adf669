package main

// Hostile-input suite: the real binary answers every hostile request
// with the status class of docs/http.md "Errors", stays
// healthy after each one, and keeps its peak RSS under hxRSSBoundKB.
//
// Every fixture is generated here: pixel floods (a PNG declaring
// 100000×100000, a JPEG SOF of 65000×65000, a GIF with a 65535×65535 screen,
// a GIF of 4000 frames), truncated JPEG/PNG/GIF/WebP at several cut points,
// type confusion, SVG attacks, and evil origins on httptest servers.

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"compress/zlib"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"io"
	"math/rand"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/imgedge/imgedge/vips/bmp/bmptest"
)

// hxRSSBoundKB is the peak RSS (VmHWM) the server may reach over a whole
// hostile run: 400 MB. A normal run of the suite stays far below (see the
// logged figure); a pixel flood or a body that is read without bound would
// blow through it.
const hxRSSBoundKB = 400 << 10

// hxCase is one hostile request.
type hxCase struct {
	name   string
	target string // request target: path (+ query), sent verbatim
	want   []int  // acceptable statuses
	body   string // exact error body when non-empty
	// check, if set, inspects a response (any status in want).
	check func(t *testing.T, resp *http.Response, body []byte)
}

// hxRaw writes req on a fresh connection and returns the status of the
// first response (0 if the server closed the connection without one).
func hxRaw(t *testing.T, addr, req string) int {
	t.Helper()
	if st := hxRawStatuses(t, addr, req, 1); len(st) > 0 {
		return st[0]
	}
	return 0
}

// hxRawStatuses writes req (one or several pipelined requests) on a fresh
// connection and returns the statuses of up to n responses read before
// the server closed it.
func hxRawStatuses(t *testing.T, addr, req string, n int) []int {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatalf("dial %s: %v", addr, err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(20 * time.Second))
	// Write while reading: the server may answer (and close) before it has
	// read the whole request.
	go io.WriteString(c, req)
	br := bufio.NewReader(c)
	var st []int
	for len(st) < n {
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			break
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		st = append(st, resp.StatusCode)
	}
	return st
}

// hxAlive checks the server still answers /health and a normal resize of
// the control image local:///ok.jpg (300×200 → 60×40).
func hxAlive(t *testing.T, s *server) {
	t.Helper()
	if cfg := checkAlive(t, s, "ok.jpg"); cfg.Height != 40 {
		t.Fatalf("after the case: control resize got %dx%d; want 60x40", cfg.Width, cfg.Height)
	}
}

// hxRun runs the cases in order against s, checking health after each.
func hxRun(t *testing.T, s *server, cases []hxCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := s.get(t, tc.target)
			ok := false
			for _, w := range tc.want {
				ok = ok || resp.StatusCode == w
			}
			if !ok {
				t.Errorf("GET %.300s: got %d (%q); want one of %v", tc.target, resp.StatusCode, truncate(body), tc.want)
			}
			if tc.body != "" && resp.StatusCode >= 400 && string(body) != tc.body {
				t.Errorf("GET %.300s: body %q; want %q", tc.target, truncate(body), tc.body)
			}
			if resp.StatusCode >= 400 && strings.HasPrefix(resp.Header.Get("Content-Type"), "image/") {
				t.Errorf("GET %.300s: error %d with Content-Type %q", tc.target, resp.StatusCode, resp.Header.Get("Content-Type"))
			}
			if resp.StatusCode == http.StatusOK && strings.HasPrefix(resp.Header.Get("Content-Type"), "image/") &&
				resp.Header.Get("Content-Type") != "image/svg+xml" {
				if _, _, err := image.DecodeConfig(bytes.NewReader(body)); err != nil {
					t.Errorf("GET %.300s: 200 %s that does not decode: %v", tc.target, resp.Header.Get("Content-Type"), err)
				}
			}
			if tc.check != nil {
				tc.check(t, resp, body)
			}
			hxAlive(t, s)
		})
	}
}

// hxPeakRSSKB returns VmHWM of pid in kB.
func hxPeakRSSKB(t *testing.T, pid int) int {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Skipf("no /proc: %v", err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmHWM:" {
			n, err := strconv.Atoi(f[1])
			if err != nil {
				t.Fatalf("VmHWM %q: %v", line, err)
			}
			return n
		}
	}
	t.Fatalf("no VmHWM in /proc/%d/status", pid)
	return 0
}

func hxCheckRSS(t *testing.T, s *server, what string) {
	t.Helper()
	kb := hxPeakRSSKB(t, s.Proc.Pid)
	t.Logf("%s: peak RSS (VmHWM) %d MB; bound %d MB", what, kb>>10, hxRSSBoundKB>>10)
	if kb > hxRSSBoundKB {
		t.Errorf("%s: peak RSS %d MB; want <= %d MB", what, kb>>10, hxRSSBoundKB>>10)
	}
}

// ---- generated fixtures ----

// hxNoise returns a w×h image with a gradient and noise (so encoders
// produce files of a realistic size).
func hxNoise(w, h int) *image.RGBA {
	rnd := rand.New(rand.NewSource(int64(w*7919 + h)))
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			n := uint8(rnd.Intn(48))
			img.Set(x, y, color.RGBA{uint8(x*255/w) ^ n, uint8(y*255/h) + n, 128 + n, 255})
		}
	}
	return img
}

func hxJPEG(t *testing.T, w, h int) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := jpeg.Encode(&b, hxNoise(w, h), &jpeg.Options{Quality: 85}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func hxPNG(t *testing.T, img image.Image) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func hxGIF(t *testing.T, w, h int) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := gif.Encode(&b, hxNoise(w, h), &gif.Options{NumColors: 64}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// hxPNGChunk appends one PNG chunk with its CRC.
func hxPNGChunk(dst []byte, typ string, data []byte) []byte {
	dst = binary.BigEndian.AppendUint32(dst, uint32(len(data)))
	start := len(dst)
	dst = append(dst, typ...)
	dst = append(dst, data...)
	return binary.BigEndian.AppendUint32(dst, crc32.ChecksumIEEE(dst[start:]))
}

// hxPNGFlood is a valid-looking ~60-byte PNG whose IHDR declares w×h RGB.
func hxPNGFlood(w, h uint32) []byte {
	out := []byte("\x89PNG\r\n\x1a\n")
	ihdr := binary.BigEndian.AppendUint32(nil, w)
	ihdr = binary.BigEndian.AppendUint32(ihdr, h)
	ihdr = append(ihdr, 8, 2, 0, 0, 0)
	out = hxPNGChunk(out, "IHDR", ihdr)
	// A zlib stream of a few zero bytes (the start of row 0).
	out = hxPNGChunk(out, "IDAT", []byte{0x78, 0x9c, 0x63, 0x60, 0x00, 0x00, 0x00, 0x02, 0x00, 0x01})
	return hxPNGChunk(out, "IEND", nil)
}

// hxPNGChunkBomb inserts, after IHDR of a real PNG, a chunk of type typ
// whose zlib payload inflates to n zero bytes (~n/1000 on the wire).
func hxPNGChunkBomb(t *testing.T, src []byte, typ, prefix string, n int) []byte {
	t.Helper()
	var z bytes.Buffer
	zw, _ := zlib.NewWriterLevel(&z, zlib.BestCompression)
	zeros := make([]byte, 1<<20)
	for n > 0 {
		k := min(n, len(zeros))
		zw.Write(zeros[:k])
		n -= k
	}
	zw.Close()
	const ihdrEnd = 8 + 4 + 4 + 13 + 4
	out := append([]byte(nil), src[:ihdrEnd]...)
	out = hxPNGChunk(out, typ, append([]byte(prefix), z.Bytes()...))
	return append(out, src[ihdrEnd:]...)
}

// hxJPEGFlood patches the SOF of a real small JPEG to declare w×h.
func hxJPEGFlood(t *testing.T, w, h uint16) []byte {
	t.Helper()
	b := append([]byte(nil), hxJPEG(t, 16, 16)...)
	for i := 2; i+9 < len(b); {
		if b[i] != 0xff {
			t.Fatalf("JPEG: no marker at %d", i)
		}
		m := b[i+1]
		n := int(binary.BigEndian.Uint16(b[i+2:]))
		if m == 0xc0 || m == 0xc2 {
			binary.BigEndian.PutUint16(b[i+5:], h)
			binary.BigEndian.PutUint16(b[i+7:], w)
			return b
		}
		i += 2 + n
	}
	t.Fatal("JPEG: no SOF marker")
	return nil
}

// hxGIFScreen patches the logical screen of a real 1×1 GIF to w×h.
func hxGIFScreen(t *testing.T, w, h uint16) []byte {
	t.Helper()
	b := append([]byte(nil), hxGIF(t, 1, 1)...)
	binary.LittleEndian.PutUint16(b[6:], w)
	binary.LittleEndian.PutUint16(b[8:], h)
	return b
}

// hxGIFFrames encodes an animation of n 1×1 frames on a w×h screen (a few
// dozen bytes per frame).
func hxGIFFrames(t *testing.T, n, w, h int) []byte {
	t.Helper()
	pal := color.Palette{color.Black, color.White}
	g := &gif.GIF{Config: image.Config{Width: w, Height: h, ColorModel: pal}}
	for i := 0; i < n; i++ {
		f := image.NewPaletted(image.Rect(0, 0, 1, 1), pal)
		f.SetColorIndex(0, 0, uint8(i&1))
		g.Image = append(g.Image, f)
		g.Delay = append(g.Delay, 2)
	}
	var b bytes.Buffer
	if err := gif.EncodeAll(&b, g); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// hxCounter is a TCP listener that counts accepted connections and closes
// them at once: a target that must never be reached.
type hxCounter struct {
	ln net.Listener
	n  atomic.Int64
}

func hxListenCounter(t *testing.T, network, addr string) *hxCounter {
	t.Helper()
	ln, err := net.Listen(network, addr)
	if err != nil {
		return nil
	}
	c := &hxCounter{ln: ln}
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			c.n.Add(1)
			conn.Close()
		}
	}()
	t.Cleanup(func() { ln.Close() })
	return c
}

func (c *hxCounter) port() string {
	_, p, _ := net.SplitHostPort(c.ln.Addr().String())
	return p
}

func hxB64(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

func hxWrite(t *testing.T, dir string, files map[string][]byte) {
	t.Helper()
	for name, b := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// ---- SVG attacks ----

// hxSVGAttacks returns SVG documents that try to run script, load
// external resources or blow up the parser. red is a file:// URL of a red
// PNG outside the root; canary is host:port of a listener that must never
// be reached.
func hxSVGAttacks(red, canary string) map[string]string {
	const head = `<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="64" height="64">`
	const bg = `<rect width="64" height="64" fill="#fff"/>`
	laughs := `<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY l0 "lol">`
	for i := 1; i <= 10; i++ {
		laughs += fmt.Sprintf(`<!ENTITY l%d "%s">`, i, strings.Repeat(fmt.Sprintf("&l%d;", i-1), 10))
	}
	laughs += `]>` + head + bg + `<text y="20">&l10;</text></svg>`
	return map[string]string{
		"script":   head + bg + `<script>alert(document.domain)</script><script xlink:href="http://` + canary + `/x.js"/></svg>`,
		"onload":   strings.Replace(head, "<svg ", `<svg onload="alert(1)" `, 1) + `<rect width="64" height="64" fill="#fff" onclick="alert(2)" onmouseover="alert(3)"/></svg>`,
		"jshref":   head + bg + `<a href="javascript:alert(1)"><rect width="9" height="9"/></a><a xlink:href="jav&#x61;script:alert(2)"><circle r="4"/></a><use href="javascript:alert(3)"/></svg>`,
		"extimage": head + bg + `<image href="` + red + `" width="64" height="64"/><image xlink:href="` + red + `" width="64" height="64"/><image href="http://` + canary + `/x.png" width="64" height="64"/></svg>`,
		"feimage":  head + `<filter id="f"><feImage href="` + red + `"/></filter>` + `<rect width="64" height="64" fill="#fff" filter="url(#f)"/></svg>`,
		"style":    head + `<style>@import url("http://` + canary + `/a.css"); rect { fill: url(http://` + canary + `/p#x) }</style>` + bg + `<rect width="9" height="9" style="fill:url(http://` + canary + `/q)"/></svg>`,
		"use":      head + bg + `<use href="http://` + canary + `/x.svg#a"/><use xlink:href="` + red + `#a"/></svg>`,
		"foreign":  head + bg + `<foreignObject width="64" height="64"><iframe xmlns="http://www.w3.org/1999/xhtml" src="javascript:alert(1)"></iframe></foreignObject></svg>`,
		"xxe":      `<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>` + head + bg + `<text y="20">&xxe;</text></svg>`,
		"laughs":   laughs,
	}
}

// hxSVGPassCheck checks a passthrough (sanitised) SVG answer: no script,
// event handler, javascript: or file: URL, XHTML iframe or entity
// declaration survives. http(s) URLs may stay (docs/security.md, SVG): the
// CSP sandbox keeps a browser from loading them.
func hxSVGPassCheck() func(t *testing.T, resp *http.Response, body []byte) {
	return func(t *testing.T, resp *http.Response, body []byte) {
		if resp.StatusCode != http.StatusOK {
			return
		}
		if ct := resp.Header.Get("Content-Type"); ct != "image/svg+xml" {
			t.Errorf("passthrough Content-Type %q; want image/svg+xml", ct)
		}
		if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "sandbox") || !strings.Contains(csp, "default-src 'none'") {
			t.Errorf("passthrough SVG CSP %q; want default-src 'none' ... sandbox", csp)
		}
		low := strings.ToLower(string(body))
		for _, bad := range []string{"<script", "onload", "onclick", "onmouseover", "javascript:", "&#x61;script", "file:", "root:", "<iframe", "<!entity"} {
			if strings.Contains(low, bad) {
				t.Errorf("passthrough SVG still contains %q:\n%s", bad, truncate(body))
			}
		}
		if !strings.Contains(low, "<svg") {
			t.Errorf("passthrough SVG lost its <svg> element: %q", truncate(body))
		}
	}
}

func hxSVGRasterCheck(t *testing.T, resp *http.Response, body []byte) {
	if resp.StatusCode != http.StatusOK {
		return
	}
	img, format, err := image.Decode(bytes.NewReader(body))
	if err != nil || format != "png" {
		t.Fatalf("rasterised SVG: format %q, error %v; want a PNG", format, err)
	}
	// The red PNG referenced through file:// must not have been drawn.
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y += 4 {
		for x := b.Min.X; x < b.Max.X; x += 4 {
			r, g, bl, a := img.At(x, y).RGBA()
			if a > 0x8000 && r > 0xc000 && g < 0x3000 && bl < 0x3000 {
				t.Fatalf("rasterised SVG has a red pixel at %d,%d: a file outside the root was loaded", x, y)
			}
		}
	}
}

// ---- the suite ----

func TestE2EHostileInputs(t *testing.T) {
	t.Parallel()
	base := t.TempDir()
	root := filepath.Join(base, "root")
	outside := filepath.Join(base, "outside")
	canary := hxListenCounter(t, "tcp", "127.0.0.1:0")
	canaryHost := "127.0.0.1:" + canary.port()

	redImg := image.NewRGBA(image.Rect(0, 0, 64, 64))
	for i := range redImg.Pix {
		if i%4 == 0 || i%4 == 3 {
			redImg.Pix[i] = 255
		}
	}
	redPNG := hxPNG(t, redImg)
	jpg := hxJPEG(t, 256, 256)
	pngb := hxPNG(t, hxNoise(256, 256))
	gifb := hxGIF(t, 128, 128)
	webp, err := os.ReadFile(filepath.Join(samplesRoot(t), "photo.webp"))
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{
		"ok.jpg":                 hxJPEG(t, 300, 200),
		"flood.png":              hxPNGFlood(100000, 100000),
		"flood-wide.png":         hxPNGFlood(1<<31-1, 1),
		"flood.jpg":              hxJPEGFlood(t, 65000, 65000),
		"flood.gif":              hxGIFScreen(t, 65535, 65535),
		"frames.gif":             hxGIFFrames(t, 4000, 128, 128),
		"confuse-jpeg-magic.png": append([]byte{0xff, 0xd8, 0xff, 0xe0}, pngb...),
		"confuse-png-magic.jpg":  append([]byte("\x89PNG\r\n\x1a\n"), jpg[2:]...),
		"confuse-gif.gif":        append([]byte("GIF89a\x40\x00\x40\x00\xf7\x00\x00"), jpg[20:2000]...),
		"confuse-riff.webp":      append([]byte("RIFF\x00\x10\x00\x00WEBPVP8 \xf0\x0f\x00\x00"), jpg...),
		"page.html":              []byte("<!doctype html><html><body><img src=x onerror=alert(1)></body></html>"),
		"empty.jpg":              nil,
		"zeros.png":              make([]byte, 4096),
		// An 8-bit BMP with a 2-colour palette and a pixel of index 200.
		"palette-index.bmp": bmptest.Spec{W: 4, H: 2, Hdr: 40, BPP: 8, Palette: [][3]byte{{0, 0, 0}, {255, 255, 255}},
			Data: bmptest.Rows(2, false, func(int) []byte { return []byte{0, 1, 200, 1} })}.File(),
		// An SVG whose filter region and blur are huge (librsvg would take
		// over 700 MB and minutes), and an ordinary blurred SVG.
		"svg-filter-bomb.svg": []byte(`<svg xmlns="http://www.w3.org/2000/svg" width="10000" height="10000">` +
			`<filter id="f" filterUnits="userSpaceOnUse" x="-1000000" y="-1000000" width="2000000" height="2000000">` +
			`<feGaussianBlur stdDeviation="100000"/></filter><rect width="10000" height="10000" fill="red" filter="url(#f)"/></svg>`),
		"svg-large-blur.svg": []byte(`<svg xmlns="http://www.w3.org/2000/svg" width="10000" height="10000">` +
			`<filter id="f"><feGaussianBlur stdDeviation="40"/></filter><rect width="10000" height="10000" fill="red" filter="url(#f)"/></svg>`),
		"svg-blur.svg": []byte(`<svg xmlns="http://www.w3.org/2000/svg" width="200" height="200"><filter id="f"><feGaussianBlur stdDeviation="3"/></filter>` +
			`<rect x="20" y="20" width="160" height="160" fill="#00f" filter="url(#f)"/></svg>`),
		// A few bytes of RLE8 declaring 60000×60000.
		"flood-rle.bmp": bmptest.Spec{W: 60000, H: 60000, Hdr: 40, BPP: 8, Comp: 1, Palette: [][3]byte{{1, 2, 3}}, Data: []byte{0, 1}}.File(),
		// Metadata bombs: 16 MiB of text or ICC profile behind ~16 KB.
		"bomb-ztxt.png": hxPNGChunkBomb(t, pngb, "zTXt", "Comment\x00\x00", 16<<20),
		"bomb-itxt.png": hxPNGChunkBomb(t, pngb, "iTXt", "XML:com.adobe.xmp\x00\x01\x00\x00\x00", 16<<20),
		"bomb-iccp.png": hxPNGChunkBomb(t, pngb, "iCCP", "icc\x00\x00", 16<<20),
	}
	for name, b := range map[string][]byte{"jpg": jpg, "png": pngb, "gif": gifb, "webp": webp} {
		for _, cut := range []int{6, 20, len(b) / 3, 2 * len(b) / 3, len(b) - 1} {
			files[fmt.Sprintf("trunc/%s-%d.%s", name, cut, name)] = b[:cut]
		}
	}
	svgs := hxSVGAttacks("file://"+filepath.Join(outside, "red.png"), canaryHost)
	for name, doc := range svgs {
		files["svg/"+name+".svg"] = []byte(doc)
	}
	hxWrite(t, root, files)
	hxWrite(t, outside, map[string][]byte{"red.png": redPNG, "secret.jpg": files["ok.jpg"]})
	hxWrite(t, base, map[string][]byte{"secret.jpg": files["ok.jpg"]})

	origin, originState := hxEvilOrigin(t, files["ok.jpg"], svgs)

	s := launch(t, map[string]string{
		"IMGPROXY_LOCAL_FILESYSTEM_ROOT":           root,
		"IMGPROXY_ALLOW_LOOPBACK_SOURCE_ADDRESSES": "true",
		"IMGPROXY_ALLOW_SECURITY_OPTIONS":          "true",
		"IMGPROXY_MAX_SRC_FILE_SIZE":               strconv.Itoa(2 << 20),
		"IMGPROXY_DOWNLOAD_TIMEOUT":                "2",
		"IMGPROXY_MAX_REDIRECTS":                   "5",
		// The concurrent burst queues ~66 requests behind 2 workers; a
		// loaded CI machine must not turn them into 503s.
		"IMGPROXY_TIMEOUT": "30",
	})
	hxAlive(t, s)

	const (
		invalidURL    = "Invalid URL"
		invalidSource = "Invalid source image"
		unreachable   = "Source is unreachable"
		incomplete    = "Source response is incomplete"
	)
	c422 := []int{422}
	c404 := []int{404}
	local := func(opts, file string) string { return "/insecure/" + opts + "plain/local:///" + file }
	var cases []hxCase

	// Pixel floods: refused from the header before libvips allocates.
	// skip_processing returns the source as it is, but not an image bomb.
	for _, f := range []string{"flood.png", "flood-wide.png", "flood.jpg", "flood.gif", "flood-rle.bmp"} {
		cases = append(cases,
			hxCase{name: "flood/" + f, target: local("rs:fit:100:100/", f), want: c422, body: invalidSource},
			hxCase{name: "flood/" + f + "/raw-size", target: local("", f), want: c422, body: invalidSource},
			hxCase{name: "flood/" + f + "/skip-processing", target: local("skp:jpg:png:gif/", f), want: c422, body: invalidSource})
	}
	cases = append(cases,
		// 4000 frames × 128×128 = 65.5 MP over the 50 MP limit when frames count…
		hxCase{name: "frames/maf5000", target: local("maf:5000/", "frames.gif"), want: c422, body: invalidSource},
		// …but only the first frame is decoded with the default limit of 1 frame.
		hxCase{name: "frames/default", target: local("rs:fit:64:64/", "frames.gif"), want: []int{200},
			check: func(t *testing.T, resp *http.Response, body []byte) {
				if ct := resp.Header.Get("Content-Type"); ct != "image/gif" {
					t.Errorf("Content-Type %q; want image/gif", ct)
				}
				if g, err := gif.DecodeAll(bytes.NewReader(body)); err != nil || len(g.Image) != 1 {
					t.Errorf("result: %v; want a one-frame GIF", err)
				}
			}},
	)

	// Truncated files: the bare signature is not an image (422); later cuts
	// may either fail to decode (422) or be decoded partially as libvips
	// does for damaged files (200, checked to decode).
	for name := range files {
		if !strings.HasPrefix(name, "trunc/") {
			continue
		}
		cut, _ := strconv.Atoi(strings.TrimSuffix(strings.SplitN(name, "-", 2)[1], filepath.Ext(name)))
		want := []int{200, 422}
		if cut <= 20 {
			want = c422
		}
		cases = append(cases, hxCase{name: name, target: local("rs:fit:50:50/", name), want: want})
	}

	// PNG metadata bombs: decoded or refused, never inflated in full.
	for _, f := range []string{"bomb-ztxt.png", "bomb-itxt.png", "bomb-iccp.png"} {
		cases = append(cases,
			hxCase{name: "metadata-bomb/" + f, target: local("rs:fit:50:50/", f), want: []int{200, 422}},
			hxCase{name: "metadata-bomb/" + f + "/keep-metadata", target: local("sm:0/rs:fit:50:50/", f), want: []int{200, 422}})
	}

	// SVG filters out of proportion to the rendering: refused before
	// librsvg runs (at once, not after IMGPROXY_TIMEOUT); a modest blur renders.
	svgBomb := func(t *testing.T, resp *http.Response, body []byte) {
		if d := resp.Header.Get("Server-Timing"); !strings.Contains(d, "processing;dur=") {
			t.Errorf("no Server-Timing: %q", d)
		} else if ms, _ := strconv.ParseFloat(strings.SplitN(strings.SplitN(d, "processing;dur=", 2)[1], ",", 2)[0], 64); ms > 1000 {
			t.Errorf("refused after %.0f ms of processing; want at once", ms)
		}
	}
	cases = append(cases,
		hxCase{name: "svg-filter/bomb", target: local("", "svg-filter-bomb.svg@png"), want: c422, body: "Broken or unsupported SVG image", check: svgBomb},
		hxCase{name: "svg-filter/bomb-small", target: local("rs:fit:300:300/", "svg-filter-bomb.svg@png"), want: c422, body: "Broken or unsupported SVG image", check: svgBomb},
		hxCase{name: "svg-filter/large-blur-full-size", target: local("", "svg-large-blur.svg@png"), want: c422, body: "Broken or unsupported SVG image", check: svgBomb},
		hxCase{name: "svg-filter/large-blur-small", target: local("rs:fit:300:300/", "svg-large-blur.svg@png"), want: []int{200}},
		hxCase{name: "svg-filter/modest-blur", target: local("", "svg-blur.svg@png"), want: []int{200},
			check: func(t *testing.T, resp *http.Response, body []byte) {
				m, err := png.Decode(bytes.NewReader(body))
				if err != nil {
					t.Fatal(err)
				}
				if _, _, b, a := m.At(100, 100).RGBA(); b>>8 < 250 || a>>8 < 250 {
					t.Errorf("centre pixel blue %d alpha %d; want opaque blue", b>>8, a>>8)
				}
				if _, _, _, a := m.At(20, 100).RGBA(); a>>8 < 60 || a>>8 > 200 {
					t.Errorf("edge pixel alpha %d; want a blurred edge", a>>8)
				}
			}},
	)

	// A palette index past the palette: refused, not a crash.
	cases = append(cases,
		hxCase{name: "bmp/palette-index", target: local("rs:fit:50:50/", "palette-index.bmp"), want: c422, body: "Broken or unsupported image"},
		hxCase{name: "bmp/palette-index/png", target: local("", "palette-index.bmp@png"), want: c422, body: "Broken or unsupported image"})

	// Type confusion and non-images.
	for _, f := range []string{"confuse-jpeg-magic.png", "confuse-png-magic.jpg", "confuse-gif.gif", "confuse-riff.webp", "page.html", "empty.jpg", "zeros.png"} {
		cases = append(cases, hxCase{name: "confusion/" + f, target: local("rs:fit:50:50/", f), want: c422})
	}

	// SVG attacks: passthrough is sanitised, rasterising draws nothing
	// from outside; entity bombs are refused or neutralised.
	for name := range svgs {
		cases = append(cases,
			hxCase{name: "svg/" + name + "/passthrough", target: local("", "svg/"+name+".svg"), want: []int{200, 422}, check: hxSVGPassCheck()},
			hxCase{name: "svg/" + name + "/base64", target: "/insecure/" + hxB64("local:///svg/"+name+".svg"), want: []int{200, 422}, check: hxSVGPassCheck()},
			hxCase{name: "svg/" + name + "/png", target: local("rs:fit:64:64/", "svg/"+name+".svg@png"), want: []int{200, 422}, check: hxSVGRasterCheck})
	}

	// Path traversal (more variants in TestE2ELocalPathEscape).
	for _, p := range []string{
		local("", "../outside/secret.jpg"),
		local("", "..%2Foutside%2Fsecret.jpg"),
		local("", "%2e%2e/secret.jpg"),
		local("", "....//secret.jpg"),
		local("", "..;/secret.jpg"),
		local("", "..%00/secret.jpg"),
		local("", "ok.jpg%00../../secret.jpg"),
		local("", "%c0%ae%c0%ae/secret.jpg"),
		local("", "..%u2215secret.jpg"),
		"/insecure/plain/local:" + filepath.Join(outside, "secret.jpg"),
		"/insecure/plain/local://" + filepath.Join(outside, "secret.jpg"),
		"/insecure/" + hxB64("local:///../../secret.jpg"),
		"/insecure/" + hxB64("local:///..\\secret.jpg"),
		"/insecure/plain/file://" + filepath.Join(outside, "secret.jpg"),
		"/insecure/plain/file:///etc/passwd",
	} {
		cases = append(cases, hxCase{name: "traversal/" + p, target: p, want: []int{403, 404}})
	}

	// Huge and malformed option values: refused by the parser (404), or by
	// the result size check (422), never attempted.
	for _, o := range []string{
		"w:99999999", "h:99999", "rs:fit:99999:99999", "s:20000:20000:1", "rs:fit:-1:-1",
		"w:1e3", "w:0x10", "w:", "w:NaN", "w:%20100",
		"dpr:1e308", "dpr:0", "dpr:-1", "dpr:NaN", "dpr:Inf", "dpr:9",
		"bl:-1", "bl:NaN", "bl:1e308", "bl:Inf", "bl:101", "sh:1e9", "sh:-0.5",
		"q:101", "q:-5", "pd:99999", "pd:1:2:3:99999", "z:1e9", "z:NaN", "z:0", "rot:45", "pix:99999999",
		"bg:zzzzzz", "bg:1:2", "foo:1", "rs:fit:1:1:1:1:ce:0:0:1:1", "mb:-1", "exp:1",
		"wm:1:ce:0:0:1e9", "g:xx", "c:-5:-5", "f:exe", "rs:fit:10:10/rs",
		"msr:1e308", "maf:0", "maf:-1",
	} {
		cases = append(cases, hxCase{name: "option/" + o, target: local(o+"/", "ok.jpg"), want: c404, body: invalidURL})
	}
	for _, o := range []string{"rs:fit:16384:16384:1/dpr:8", "w:16384/h:16384/el:1/dpr:2"} {
		cases = append(cases, hxCase{name: "result-too-big/" + o, target: local(o+"/", "ok.jpg"), want: []int{404, 422}, body: invalidURL})
	}
	// max_result_dimension scales the result down instead (docs/options.md).
	cases = append(cases, hxCase{name: "result-mrd", target: local("mrd:100/w:200/el:1/", "ok.jpg"), want: []int{200},
		check: func(t *testing.T, resp *http.Response, body []byte) {
			if cfg, _, err := image.DecodeConfig(bytes.NewReader(body)); err != nil || cfg.Width > 100 || cfg.Height > 100 {
				t.Errorf("mrd:100: got %dx%d (%v); want both sides <= 100", cfg.Width, cfg.Height, err)
			}
		}})

	// NUL bytes and bad escapes.
	for _, p := range []string{
		local("", "ok.jpg%00.png"), local("", "%00"), local("", "%zz.jpg"), local("", "ok.jpg%"), local("", "ok.jpg%4"),
		local("rs:fit:%00:10/", "ok.jpg"), "/insecure/rs:fit:10:10/" + hxB64("local:///ok.jpg\x00.png") + ".jpg",
		"/insecure/rs:fit:10:10/" + hxB64("local:///ok.jpg") + "%00.jpg", "/insecure/rs:fit:10:10/!!!!.jpg",
		"/insecure/rs:fit:10:10/" + hxB64("local:///ok.jpg") + ".jpg.png", local("", "ok.jpg@png@jpg"),
		"/insecure/%ff%fe/plain/local:///ok.jpg", "/insecure/plain/", "/insecure/",
	} {
		cases = append(cases, hxCase{name: "escape/" + p, target: p, want: c404, body: invalidURL})
	}
	cases = append(cases,
		hxCase{name: "escape/empty-local-path", target: local("", ""), want: c404},
		// With signing off the signature segment is not looked at (as imgproxy).
		hxCase{name: "escape/NUL-signature", target: "/%00/rs:fit:10:10/plain/local:///ok.jpg", want: []int{200}},
	)

	// Long but legal URLs (under the 16 KiB read buffer) are served; longer
	// ones are raw cases below.
	cases = append(cases,
		hxCase{name: "long/15KB-options", target: local(strings.Repeat("q:80/", 3000), "ok.jpg"), want: []int{200}},
		hxCase{name: "long/15KB-path", target: local("", strings.Repeat("a/", 7500)+"ok.jpg"), want: c404},
	)

	// Evil origins (docs/http.md "Errors"): size limit, download timeout,
	// short bodies, redirects, compression bombs.
	o := func(p string) string { return "/insecure/rs:fit:50:50/plain/" + origin.URL + p }
	cases = append(cases,
		hxCase{name: "origin/control", target: o("/ok.jpg"), want: []int{200}},
		hxCase{name: "origin/endless", target: o("/endless"), want: c422, body: invalidSource},
		hxCase{name: "origin/endless-gzip", target: o("/endless-gzip"), want: c422, body: invalidSource},
		hxCase{name: "origin/huge-content-length", target: o("/huge-cl"), want: c422, body: invalidSource},
		hxCase{name: "origin/gzip-bomb", target: o("/gzip-bomb"), want: c422},
		hxCase{name: "origin/drip-1Bps", target: o("/drip"), want: []int{504}, body: unreachable},
		hxCase{name: "origin/no-headers", target: o("/stall"), want: []int{504}, body: unreachable},
		hxCase{name: "origin/short-body", target: o("/short"), want: c422, body: incomplete},
		hxCase{name: "origin/redirect-loop", target: o("/loop"), want: c404, body: unreachable},
		hxCase{name: "origin/redirect-chain", target: o("/chain/0"), want: c404, body: unreachable},
		hxCase{name: "origin/redirect-ok", target: o("/chain/3"), want: []int{200}},
		hxCase{name: "origin/html", target: o("/html"), want: c422, body: invalidSource},
		hxCase{name: "origin/long-body", target: o("/long-body"), want: []int{200, 422}},
		hxCase{name: "origin/svg-script", target: "/insecure/plain/" + origin.URL + "/svg/script.svg", want: []int{200}, check: hxSVGPassCheck()},
		hxCase{name: "origin/svg-onload-as-jpeg", target: "/insecure/plain/" + origin.URL + "/svg/onload.svg%3Fct=image/jpeg", want: []int{200}, check: hxSVGPassCheck()},
		hxCase{name: "origin/svg-jshref-png", target: "/insecure/rs:fit:64:64/plain/" + origin.URL + "/svg/jshref.svg@png", want: []int{200}, check: hxSVGRasterCheck},
		hxCase{name: "origin/svg-xxe", target: "/insecure/plain/" + origin.URL + "/svg/xxe.svg", want: c422, body: "Broken or unsupported SVG image"},
		hxCase{name: "origin/204", target: o("/204"), want: c404, body: unreachable},
		hxCase{name: "origin/flood-png", target: o("/flood.png"), want: c422, body: invalidSource},
	)

	start := time.Now()
	hxRun(t, s, cases)

	// Raw HTTP oddities the Go client would refuse to send.
	for _, tc := range []struct {
		name string
		req  string
		want []int
	}{
		{"raw/NUL-in-target", "GET /insecure/plain/local:///ok.jpg\x00.png HTTP/1.1\r\nHost: x\r\n\r\n", []int{0, 400, 404}},
		{"raw/NUL-in-header", "GET /health HTTP/1.1\r\nHost: x\r\nX-A: a\x00b\r\n\r\n", []int{0, 200, 400}},
		{"raw/space-in-target", "GET /insecure/plain/local:///ok .jpg HTTP/1.1\r\nHost: x\r\n\r\n", []int{0, 400, 404}},
		{"raw/huge-header", "GET /health HTTP/1.1\r\nHost: x\r\nCookie: " + strings.Repeat("c", 100000) + "\r\n\r\n", []int{0, 400, 413, 431}},
		{"raw/garbage", "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + strings.Repeat("\xff", 500) + "\r\n\r\n", []int{0, 400}},
		{"raw/bad-version", "GET /health HTTP/9.9\r\nHost: x\r\n\r\n", []int{0, 200, 400, 505}},
		// Over the 16 KiB request buffer: fasthttp answers 431 and closes;
		// the close can reset the connection before the client reads the
		// answer (0).
		{"raw/20KB-path", "GET " + local("", strings.Repeat("a/", 10000)+"ok.jpg") + " HTTP/1.1\r\nHost: x\r\n\r\n", []int{0, 404, 414, 431}},
		{"raw/20KB-query", "GET " + local("", "ok.jpg") + "?" + strings.Repeat("a", 20000) + " HTTP/1.1\r\nHost: x\r\n\r\n", []int{0, 404, 414, 431}},
		{"raw/1MB-target", "GET /" + strings.Repeat("b", 1<<20) + " HTTP/1.1\r\nHost: x\r\n\r\n", []int{0, 414, 431}},
		{"raw/huge-body", "POST /insecure/plain/local:///ok.jpg HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999\r\n\r\nxx", []int{0, 400, 404, 413}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := hxRaw(t, s.Addr, tc.req)
			ok := false
			for _, w := range tc.want {
				ok = ok || got == w
			}
			if !ok {
				t.Errorf("raw request %.80q: got status %d; want one of %v (0 = connection closed)", tc.req, got, tc.want)
			}
			hxAlive(t, s)
		})
	}
	t.Logf("%d hostile requests in %v", len(cases), time.Since(start).Round(time.Millisecond))

	if n := canary.n.Load(); n != 0 {
		t.Errorf("the canary listener %s got %d connections; want 0 (an SVG made the server fetch)", canaryHost, n)
	}
	// The endless bodies were cut off: their handlers ended.
	for _, name := range []string{"endless", "endless-gzip"} {
		select {
		case <-originState.done[name]:
		case <-time.After(10 * time.Second):
			t.Errorf("origin /%s still being read 10 s after the answer", name)
		}
	}
	// The image fixtures again, 2 at a time each, all at once: concurrency
	// must not change any answer nor lift the peak RSS over the bound.
	// (Text-chunk bombs are left out: each costs libpng ~0.2 s of CPU per
	// open, and queued behind each other they would hit IMGPROXY_TIMEOUT.)
	var burst []hxCase
	for _, tc := range cases {
		if strings.HasPrefix(tc.name, "flood/") || strings.HasPrefix(tc.name, "frames/") ||
			strings.HasPrefix(tc.name, "trunc/") || strings.HasPrefix(tc.name, "origin/endless") || strings.HasPrefix(tc.name, "origin/gzip") {
			burst = append(burst, tc, tc)
		}
	}
	errs := make(chan string, len(burst))
	for _, tc := range burst {
		go func(tc hxCase) {
			req, _ := http.NewRequest(http.MethodGet, s.URL, nil)
			req.URL.Opaque = tc.target
			resp, err := s.Client.Do(req)
			if err != nil {
				errs <- fmt.Sprintf("%s: %v", tc.name, err)
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			for _, w := range tc.want {
				if resp.StatusCode == w {
					errs <- ""
					return
				}
			}
			errs <- fmt.Sprintf("%s: got %d; want one of %v", tc.name, resp.StatusCode, tc.want)
		}(tc)
	}
	for range burst {
		if e := <-errs; e != "" {
			t.Errorf("concurrent burst: %s", e)
		}
	}
	hxAlive(t, s)
	t.Logf("concurrent burst of %d hostile requests done", len(burst))
	hxCheckRSS(t, s, "hostile suite")
}

// hxOriginState lets the test see what the evil origin's handlers did.
type hxOriginState struct {
	done map[string]chan struct{} // closed when the handler returned (endless, endless-gzip)
}

// hxEvilOrigin starts an origin on 127.0.0.1 serving hostile responses.
func hxEvilOrigin(t *testing.T, okJPEG []byte, svgs map[string]string) (*httptest.Server, *hxOriginState) {
	t.Helper()
	st := &hxOriginState{done: map[string]chan struct{}{"endless": make(chan struct{}), "endless-gzip": make(chan struct{})}}
	var once [2]atomic.Bool
	closeOnce := func(i int, name string) {
		if once[i].CompareAndSwap(false, true) {
			close(st.done[name])
		}
	}
	// A 64 MiB zero gzip bomb (~64 KB).
	var bomb bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&bomb, gzip.BestCompression)
	zeros := make([]byte, 1<<20)
	for i := 0; i < 64; i++ {
		zw.Write(zeros)
	}
	zw.Close()
	sleep := func(r *http.Request, d time.Duration) bool {
		select {
		case <-time.After(d):
			return true
		case <-r.Context().Done():
			return false
		}
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/ok.jpg", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "image/jpeg")
		w.Write(okJPEG)
	})
	mux.HandleFunc("/flood.png", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "image/png")
		w.Write(hxPNGFlood(100000, 100000))
	})
	mux.HandleFunc("/endless", func(w http.ResponseWriter, r *http.Request) {
		defer closeOnce(0, "endless")
		w.Header().Set("Content-Type", "image/jpeg")
		chunk := bytes.Repeat([]byte{0xff}, 32<<10)
		w.Write(okJPEG[:64])
		for {
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	})
	mux.HandleFunc("/endless-gzip", func(w http.ResponseWriter, r *http.Request) {
		defer closeOnce(1, "endless-gzip")
		w.Header().Set("Content-Type", "image/jpeg")
		w.Header().Set("Content-Encoding", "gzip")
		zw := gzip.NewWriter(w)
		zw.Write(okJPEG[:64])
		for {
			if _, err := zw.Write(zeros[:64<<10]); err != nil {
				return
			}
			// Flush every block: zeros compress ~1000:1, and without a flush the
			// compressor and the response buffer hold them back, so under -race
			// the download timeout could fire before the size limit is reached.
			if err := zw.Flush(); err != nil {
				return
			}
			if f, ok := w.(http.Flusher); ok {
				f.Flush()
			}
			if r.Context().Err() != nil {
				return
			}
		}
	})
	mux.HandleFunc("/huge-cl", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "image/jpeg")
		w.Header().Set("Content-Length", "10000000000")
		w.WriteHeader(200)
		w.Write(okJPEG[:100])
	})
	mux.HandleFunc("/gzip-bomb", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "image/png")
		w.Header().Set("Content-Encoding", "gzip")
		w.Header().Set("Content-Length", strconv.Itoa(bomb.Len()))
		w.Write(bomb.Bytes())
	})
	mux.HandleFunc("/drip", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "image/jpeg")
		w.Header().Set("Content-Length", strconv.Itoa(len(okJPEG)))
		w.WriteHeader(200)
		for i := 0; i < len(okJPEG); i++ {
			if _, err := w.Write(okJPEG[i : i+1]); err != nil {
				return
			}
			w.(http.Flusher).Flush()
			if !sleep(r, time.Second) {
				return
			}
		}
	})
	mux.HandleFunc("/stall", func(w http.ResponseWriter, r *http.Request) {
		sleep(r, 30*time.Second)
	})
	mux.HandleFunc("/short", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "image/jpeg")
		w.Header().Set("Content-Length", strconv.Itoa(len(okJPEG)))
		w.WriteHeader(200)
		w.Write(okJPEG[:len(okJPEG)/2])
		// Returning with fewer bytes than announced makes net/http close
		// the connection: the client sees an unexpected EOF.
	})
	mux.HandleFunc("/loop", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/loop", http.StatusFound)
	})
	mux.HandleFunc("/chain/", func(w http.ResponseWriter, r *http.Request) {
		// /chain/N redirects N+1 → … → 8 times from 0, then serves the image;
		// starting at 0 exceeds IMGPROXY_MAX_REDIRECTS=5, at 3 it does not.
		n, _ := strconv.Atoi(strings.TrimPrefix(r.URL.Path, "/chain/"))
		if n >= 8 {
			w.Header().Set("Content-Type", "image/jpeg")
			w.Write(okJPEG)
			return
		}
		http.Redirect(w, r, "/chain/"+strconv.Itoa(n+1), http.StatusMovedPermanently)
	})
	mux.HandleFunc("/html", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		io.WriteString(w, "<!doctype html><title>x</title><p>not an image</p>")
	})
	// SVG attacks served by an origin, with a lying Content-Type for one.
	mux.HandleFunc("/svg/", func(w http.ResponseWriter, r *http.Request) {
		name := strings.TrimSuffix(strings.TrimPrefix(r.URL.Path, "/svg/"), ".svg")
		doc, ok := svgs[name]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "image/svg+xml")
		if r.URL.Query().Get("ct") != "" {
			w.Header().Set("Content-Type", r.URL.Query().Get("ct"))
		}
		io.WriteString(w, doc)
	})
	// Content-Length shorter than the body that follows (the rest is
	// garbage on the connection).
	mux.HandleFunc("/long-body", func(w http.ResponseWriter, r *http.Request) {
		c, rw, err := w.(http.Hijacker).Hijack()
		if err != nil {
			return
		}
		defer c.Close()
		fmt.Fprintf(rw, "HTTP/1.1 200 OK\r\nContent-Type: image/jpeg\r\nContent-Length: %d\r\n\r\n", len(okJPEG)/2)
		rw.Write(okJPEG)
		rw.Flush()
	})
	mux.HandleFunc("/204", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusNoContent)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(func() {
		srv.CloseClientConnections()
		srv.Close()
	})
	return srv, st
}

// SSRF: without IMGPROXY_ALLOW_*_SOURCE_ADDRESSES, every spelling of an
// internal address is refused with 404 and no connection reaches it.
func TestE2EHostileSSRF(t *testing.T) {
	t.Parallel()
	v4 := hxListenCounter(t, "tcp4", "127.0.0.1:0")
	if v4 == nil {
		t.Fatal("cannot listen on 127.0.0.1")
	}
	v6 := hxListenCounter(t, "tcp6", "[::1]:0")
	p4 := v4.port()

	s := launch(t, map[string]string{"IMGPROXY_DOWNLOAD_TIMEOUT": "3"})

	type target struct {
		url   string
		exact bool // literal address: must be "Invalid source URL"
	}
	targets := []target{
		{"http://127.0.0.1:" + p4 + "/a.jpg", true},
		{"http://127.0.0.2:" + p4 + "/a.jpg", true},
		{"http://[::ffff:127.0.0.1]:" + p4 + "/a.jpg", true},
		{"http://0.0.0.0:" + p4 + "/a.jpg", true},
		{"http://169.254.169.254/latest/meta-data/", true},
		{"http://[fe80::1]/a.jpg", true},
		{"http://10.0.0.1/a.jpg", true},
		{"http://172.16.0.1/a.jpg", true},
		{"http://192.168.1.1/a.jpg", true},
		{"http://100.64.0.1/a.jpg", true},
		{"http://[fd00::1]/a.jpg", true},
		{"http://224.0.0.1/a.jpg", true},
		{"http://255.255.255.255/a.jpg", true},
		{"https://127.0.0.1:" + p4 + "/a.jpg", true},
		// Spellings that are not IP literals to Go: refused after
		// resolution (or unresolvable); either way 404 and no connection.
		{"http://localhost:" + p4 + "/a.jpg", false},
		{"http://2130706433:" + p4 + "/a.jpg", false},
		{"http://0177.0.0.1:" + p4 + "/a.jpg", false},
		{"http://0x7f.0.0.1:" + p4 + "/a.jpg", false},
		{"http://0x7f000001:" + p4 + "/a.jpg", false},
		{"http://127.1:" + p4 + "/a.jpg", false},
		{"http://017700000001:" + p4 + "/a.jpg", false},
		{"http://127.0.0.1.:" + p4 + "/a.jpg", false},
		{"http://user@127.0.0.1:" + p4 + "/a.jpg", true},
		{"http://example.com@127.0.0.1:" + p4 + "/a.jpg", true},
		// Schemes that are not enabled.
		{"gopher://127.0.0.1:" + p4 + "/_GET", false},
		{"ftp://127.0.0.1:" + p4 + "/a.jpg", false},
		{"file:///etc/passwd", false},
		{"local:///etc/passwd", false},
		{"s3://bucket/a.jpg", false},
		{"dict://127.0.0.1:" + p4 + "/", false},
	}
	if v6 != nil {
		p6 := v6.port()
		targets = append(targets,
			target{"http://[::1]:" + p6 + "/a.jpg", true},
			target{"http://[0:0:0:0:0:0:0:1]:" + p6 + "/a.jpg", true},
			target{"http://[::]:" + p6 + "/a.jpg", true},
			target{"http://localhost:" + p6 + "/a.jpg", false},
			target{"http://ip6-localhost:" + p6 + "/a.jpg", false})
	}
	var cases []hxCase
	for _, tg := range targets {
		bodies := []string{"Invalid source URL"}
		if !tg.exact {
			bodies = append(bodies, "Source is unreachable")
		}
		check := func(t *testing.T, resp *http.Response, body []byte) {
			for _, b := range bodies {
				if string(body) == b {
					return
				}
			}
			t.Errorf("body %q; want one of %q", body, bodies)
		}
		plainCheck := check
		if strings.Contains(tg.url, "@") {
			// In a plain source "@" starts the extension: a malformed URL.
			plainCheck = func(t *testing.T, resp *http.Response, body []byte) {
				if string(body) != "Invalid URL" {
					check(t, resp, body)
				}
			}
		}
		cases = append(cases,
			hxCase{name: "b64/" + tg.url, target: "/insecure/rs:fit:10:10/" + hxB64(tg.url) + ".jpg", want: []int{404}, check: check},
			hxCase{name: "plain/" + tg.url, target: "/insecure/plain/" + url.PathEscape(tg.url), want: []int{404}, check: plainCheck})
	}
	// hxAlive's control image comes from local:///, which this server has
	// not got: run the cases with a health-only check instead.
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := s.get(t, tc.target)
			if resp.StatusCode != 404 {
				t.Errorf("GET %s: got %d (%q); want 404", tc.target, resp.StatusCode, truncate(body))
			} else {
				tc.check(t, resp, body)
			}
			if resp, _ := s.get(t, "/health"); resp.StatusCode != 200 {
				t.Fatalf("/health after the case: %d", resp.StatusCode)
			}
		})
	}
	if n := v4.n.Load(); n != 0 {
		t.Errorf("127.0.0.1:%s got %d connections; want 0", p4, n)
	}
	if v6 != nil {
		if n := v6.n.Load(); n != 0 {
			t.Errorf("[::1]:%s got %d connections; want 0", v6.port(), n)
		}
	}
	hxCheckRSS(t, s, "SSRF suite")
}

// With the default IMGPROXY_MAX_SRC_FILE_SIZE=0 (no size limit), an origin
// that announces an absurd Content-Length or sends a compression bomb must
// not make the server allocate it: the answer is a 4xx and the process
// stays up and bounded.
func TestE2EHostileUnlimitedSize(t *testing.T) {
	t.Parallel()
	// Hijacked so the announced length can be anything.
	announce := func(cl string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			c, rw, err := w.(http.Hijacker).Hijack()
			if err != nil {
				return
			}
			defer c.Close()
			fmt.Fprintf(rw, "HTTP/1.1 200 OK\r\nContent-Type: image/jpeg\r\nContent-Length: %s\r\n\r\n\xff\xd8\xff\xe0", cl)
			rw.Flush()
			time.Sleep(200 * time.Millisecond)
		}
	}
	var bomb bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&bomb, gzip.BestCompression)
	zw.Write([]byte("\x89PNG\r\n\x1a\n"))
	zeros := make([]byte, 1<<20)
	for i := 0; i < 64; i++ {
		zw.Write(zeros)
	}
	zw.Close()
	mux := http.NewServeMux()
	mux.HandleFunc("/cl-100GB", announce("100000000000"))
	mux.HandleFunc("/cl-max", announce("9223372036854775807"))
	mux.HandleFunc("/cl-8GB", announce("8000000000"))
	mux.HandleFunc("/gzip-bomb", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "image/png")
		w.Header().Set("Content-Encoding", "gzip")
		w.Write(bomb.Bytes())
	})
	origin := httptest.NewServer(mux)
	defer origin.Close()

	s := launch(t, map[string]string{"IMGPROXY_ALLOW_LOOPBACK_SOURCE_ADDRESSES": "true"})
	for _, p := range []string{"/cl-100GB", "/cl-max", "/cl-8GB", "/gzip-bomb"} {
		t.Run(p, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodGet, s.URL+"/insecure/rs:fit:50:50/plain/"+origin.URL+p, nil)
			resp, err := s.Client.Do(req)
			if err != nil {
				t.Fatalf("GET %s: %v (did the server die?)", p, err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 422 {
				t.Errorf("origin %s: got %d %q; want 422", p, resp.StatusCode, truncate(body))
			}
			if resp, _ := s.get(t, "/health"); resp.StatusCode != 200 {
				t.Fatalf("/health after %s: %d", p, resp.StatusCode)
			}
		})
	}
	hxCheckRSS(t, s, "unlimited source size")
}
