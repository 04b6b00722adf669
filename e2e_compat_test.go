package main

// HTTP-level details where imgedge answers like imgproxy 4 (and the one
// intended difference kept on purpose, Accept q=0), checked on the real
// binary. docs/migration.md lists the differences that remain.

import (
	"bufio"
	"encoding/hex"
	"image/png"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf16"

	"github.com/imgedge/imgedge/sign"
	"github.com/imgedge/imgedge/vips/bmp/bmptest"
)

// compatDo sends method target on a fresh connection exactly as written
// (Go's client would turn a leading "//" into an absolute URL) with header
// pairs hdr, and returns the response and its body.
func compatDo(t *testing.T, s *server, method, target string, hdr ...string) (*http.Response, string) {
	t.Helper()
	c, err := net.DialTimeout("tcp", s.Addr, 5*time.Second)
	if err != nil {
		t.Fatalf("dial %s: %v", s.Addr, err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(30 * time.Second))
	var b strings.Builder
	b.WriteString(method + " " + target + " HTTP/1.1\r\nHost: " + s.Addr + "\r\nConnection: close\r\n")
	for i := 0; i+1 < len(hdr); i += 2 {
		b.WriteString(hdr[i] + ": " + hdr[i+1] + "\r\n")
	}
	b.WriteString("\r\n")
	if _, err := io.WriteString(c, b.String()); err != nil {
		t.Fatalf("%s %.100s: %v", method, target, err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), &http.Request{Method: method})
	if err != nil {
		t.Fatalf("%s %.100s: %v", method, target, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %.100s: reading body: %v", method, target, err)
	}
	return resp, string(body)
}

// palette256 extends p to 256 colours (an OS/2 1.x header has no colour count).
func palette256(p [][3]byte) [][3]byte {
	out := make([][3]byte, 256)
	copy(out, p)
	return out
}

func TestE2EImgproxyCompat(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	photo, err := os.ReadFile(filepath.Join(samplesRoot(t), "photo.jpg"))
	if err != nil {
		t.Fatal(err)
	}
	hxWrite(t, root, map[string][]byte{
		"photo.jpg":    photo,
		"report.pdf":   []byte("%PDF-1.4\n% not really a PDF\n"),
		"notes.txt":    []byte("plain text\n"),
		"archive.gz":   []byte("\x1f\x8b\x08\x00"),
		"photo.jpeg":   photo,
		"data.weird":   []byte("x"),
		"space name.c": []byte("int main;"),
	})
	// BMP variants imgproxy decodes (golang.org/x/image/bmp could not).
	pal := [][3]byte{{0, 0, 0}, {255, 255, 255}, {255, 0, 0}, {0, 255, 0}, {0, 0, 255}, {9, 9, 9}, {90, 90, 90}, {200, 1, 2},
		{3, 4, 5}, {6, 7, 8}, {10, 11, 12}, {13, 14, 15}, {16, 17, 18}, {19, 20, 21}, {22, 23, 24}, {25, 26, 27}}
	paletted := func(bpp int) []byte {
		return bmptest.Rows(30, false, func(y int) []byte {
			idx := make([]int, 40)
			for x := range idx {
				idx[x] = (x / 4) % (1 << bpp)
			}
			return bmptest.PackIndexes(idx, bpp)
		})
	}
	rle := func(unit byte) []byte { // 30 rows of 40 pixels, runs of 10
		var d []byte
		for y := 0; y < 30; y++ {
			d = append(d, 10, unit, 10, unit+1, 10, unit, 10, unit+1, 0, 0)
		}
		return append(d, 0, 1)
	}
	bmps := map[string]bmptest.Spec{
		"1bit.bmp":  {Hdr: 40, BPP: 1, Palette: pal[:2], Data: paletted(1)},
		"4bit.bmp":  {Hdr: 40, BPP: 4, Palette: pal, Data: paletted(4)},
		"16bit.bmp": {Hdr: 40, BPP: 16, Data: make([]byte, 40*2*30)},
		"rle8.bmp":  {Hdr: 40, BPP: 8, Comp: 1, Palette: pal, Data: rle(2)},
		"rle4.bmp":  {Hdr: 40, BPP: 4, Comp: 2, Palette: pal, Data: rle(0x23)},
		"os2.bmp":   {Hdr: 12, BPP: 8, Palette: palette256(pal), Data: paletted(8)},
	}
	files := map[string][]byte{}
	for name, sp := range bmps {
		sp.W, sp.H = 40, 30
		files["bmp/"+name] = sp.File()
	}
	// SVGs in other encodings: UTF-16 with a byte-order mark, as some
	// editors save them, and ISO-8859-1 named by the XML declaration.
	svgDoc := `<?xml version="1.0" encoding="UTF-16"?><svg xmlns="http://www.w3.org/2000/svg" width="40" height="30">` +
		`<title>café</title><rect width="40" height="30" fill="#f00"/></svg>`
	u16 := utf16.Encode([]rune("\ufeff" + svgDoc))
	for _, c := range u16 {
		files["svg/utf16.svg"] = append(files["svg/utf16.svg"], byte(c), byte(c>>8))
	}
	files["svg/latin1.svg"] = []byte(strings.Replace(strings.Replace(svgDoc, "UTF-16", "ISO-8859-1", 1), "é", "\xe9", 1))
	hxWrite(t, root, files)

	key, salt := "736563726574", "68656c6c6f"
	open := launch(t, map[string]string{
		"IMGPROXY_LOCAL_FILESYSTEM_ROOT": root,
		"IMGPROXY_AUTO_WEBP":             "true",
	})
	signed := launch(t, map[string]string{
		"IMGPROXY_LOCAL_FILESYSTEM_ROOT": root,
		"IMGPROXY_KEY":                   key,
		"IMGPROXY_SALT":                  salt,
		"IMGPROXY_TTL":                   "0",
	})
	const photoPath = "/rs:fit:100:100/plain/local:///photo.jpg"

	// An empty first segment: "//rs:fit:100:100/..." is read like imgproxy
	// (the next segment is the signature), so it is refused with 403.
	t.Run("double-slash", func(t *testing.T) {
		resp, body := compatDo(t, open, "GET", "/"+photoPath)
		if resp.StatusCode != 403 || !strings.HasPrefix(body, "The signature appears to be a processing option") {
			t.Errorf("signing off: GET /%s: got %d %q; want 403 signature-is-option", photoPath, resp.StatusCode, body)
		}
		resp, body = compatDo(t, signed, "GET", "/"+photoPath)
		if resp.StatusCode != 403 || body != "Forbidden" {
			t.Errorf("signing on: GET /%s: got %d %q; want 403 Forbidden", photoPath, resp.StatusCode, body)
		}
		// The same with a correct signature in the second segment is served.
		k, _ := hex.DecodeString(key)
		sa, _ := hex.DecodeString(salt)
		sig := sign.Sign(k, sa, []byte(photoPath), 32)
		if resp, body := compatDo(t, signed, "GET", "//"+sig+photoPath); resp.StatusCode != 200 {
			t.Errorf("signing on: GET //<sig>%s: got %d %q; want 200", photoPath, resp.StatusCode, body)
		}
	})

	// A request line over the read buffer is "URI too long", not a header
	// problem; over-long header fields stay 431.
	t.Run("long-request-line", func(t *testing.T) {
		longSig := "GET /" + strings.Repeat("s", 20000) + photoPath + " HTTP/1.1\r\nHost: x\r\n\r\n"
		if got := hxRaw(t, open.Addr, longSig); got != 414 {
			t.Errorf("20,000-character signature: got %d; want 414", got)
		}
		longCookie := "GET /health HTTP/1.1\r\nHost: x\r\nCookie: " + strings.Repeat("c", 20000) + "\r\n\r\n"
		if got := hxRaw(t, open.Addr, longCookie); got != 431 {
			t.Errorf("20,000-byte Cookie: got %d; want 431", got)
		}
		// After a complete request on the same connection too.
		pipelined := "GET /health HTTP/1.1\r\nHost: x\r\n\r\n" + longSig
		if got := hxRawStatuses(t, open.Addr, pipelined, 2); len(got) != 2 || got[0] != 200 || got[1] != 414 {
			t.Errorf("pipelined 20,000-character signature: got %v; want [200 414]", got)
		}
	})

	// HEAD and OPTIONS on processing paths and the landing page carry
	// imgproxy's default Cache-Control; Content-Type values are imgproxy's
	// byte for byte.
	t.Run("headers", func(t *testing.T) {
		for _, tc := range []struct {
			s            *server
			method, path string
			status       int
			ct, cc       string
		}{
			{open, "HEAD", "/insecure" + photoPath, 200, "text/plain", "max-age=31536000, public"},
			{open, "OPTIONS", "/insecure" + photoPath, 200, "text/plain", "max-age=31536000, public"},
			{open, "GET", "/", 200, "text/html", "max-age=31536000, public"},
			{signed, "HEAD", "/any" + photoPath, 200, "text/plain", "no-cache"}, // IMGPROXY_TTL=0
			{signed, "GET", "/", 200, "text/html", "no-cache"},
			{open, "GET", "/health", 200, "text/plain", "no-cache"},
			{open, "GET", "/favicon.ico", 404, "text/plain", ""},
			{open, "GET", "/insecure/foo:1/plain/local:///photo.jpg", 404, "text/plain", ""},
			{open, "GET", "/insecure/plain/local:///notes.txt", 422, "text/plain", ""},
			{signed, "GET", "/bad" + photoPath, 403, "text/plain", ""},
		} {
			resp, body := compatDo(t, tc.s, tc.method, tc.path)
			if resp.StatusCode != tc.status {
				t.Errorf("%s %s: got %d (%q); want %d", tc.method, tc.path, resp.StatusCode, body, tc.status)
			}
			if ct := resp.Header.Get("Content-Type"); ct != tc.ct {
				t.Errorf("%s %s: Content-Type %q; want %q", tc.method, tc.path, ct, tc.ct)
			}
			if cc := resp.Header.Get("Cache-Control"); cc != tc.cc {
				t.Errorf("%s %s: Cache-Control %q; want %q", tc.method, tc.path, cc, tc.cc)
			}
		}
	})

	// raw keeps the source's own extension in the filename, image or not.
	t.Run("raw-filename", func(t *testing.T) {
		for file, want := range map[string]string{
			"report.pdf":     `inline; filename="report.pdf"`,
			"notes.txt":      `inline; filename="notes.txt"`,
			"archive.gz":     `inline; filename="archive.gz"`,
			"photo.jpeg":     `inline; filename="photo.jpeg"`,
			"data.weird":     `inline; filename="data.weird"`,
			"space%20name.c": `inline; filename="space name.c"`,
		} {
			resp, body := compatDo(t, open, "GET", "/insecure/raw:1/plain/local:///"+file)
			if resp.StatusCode != 200 {
				t.Errorf("raw %s: got %d (%q); want 200", file, resp.StatusCode, body)
				continue
			}
			if cd := resp.Header.Get("Content-Disposition"); cd != want {
				t.Errorf("raw %s: Content-Disposition %q; want %q", file, cd, want)
			}
		}
		// att:1 and a filename option keep the source extension too.
		resp, _ := compatDo(t, open, "GET", "/insecure/raw:1/att:1/fn:quarterly/plain/local:///report.pdf")
		if cd := resp.Header.Get("Content-Disposition"); cd != `attachment; filename="quarterly.pdf"` {
			t.Errorf("raw att fn: Content-Disposition %q; want attachment; filename=\"quarterly.pdf\"", cd)
		}
	})

	// Every BMP variant is decoded (1, 4 and 16 bits, RLE8, RLE4, OS/2).
	t.Run("bmp-variants", func(t *testing.T) {
		for name := range bmps {
			resp, body := compatDo(t, open, "GET", "/insecure/rs:fit:20:20/plain/local:///bmp/"+name+"@png")
			if resp.StatusCode != 200 {
				t.Errorf("%s: got %d %q; want 200", name, resp.StatusCode, body)
				continue
			}
			cfg, err := png.DecodeConfig(strings.NewReader(body))
			if err != nil || cfg.Width != 20 || cfg.Height != 15 {
				t.Errorf("%s: got %dx%d (%v); want a 20x15 PNG", name, cfg.Width, cfg.Height, err)
			}
		}
	})

	t.Run("svg-encodings", func(t *testing.T) {
		for _, name := range []string{"utf16.svg", "latin1.svg"} {
			resp, body := compatDo(t, open, "GET", "/insecure/rs:fit:20:20/plain/local:///svg/"+name+"@png")
			if resp.StatusCode != 200 {
				t.Errorf("%s as PNG: got %d %q; want 200", name, resp.StatusCode, body)
			} else if m, err := png.Decode(strings.NewReader(body)); err != nil || m.Bounds().Dx() != 20 {
				t.Errorf("%s as PNG: %v", name, err)
			} else if r, g, b, _ := m.At(10, 7).RGBA(); r>>8 != 255 || g>>8 != 0 || b>>8 != 0 {
				t.Errorf("%s as PNG: pixel %d,%d,%d; want red", name, r>>8, g>>8, b>>8)
			}
			resp, body = compatDo(t, open, "GET", "/insecure/plain/local:///svg/"+name)
			if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "image/svg+xml" ||
				!strings.HasPrefix(body, `<?xml version="1.0" encoding="UTF-8"?>`) || !strings.Contains(body, "<title>café</title>") {
				t.Errorf("%s passed through: got %d %s %q; want the sanitised UTF-8 document", name, resp.StatusCode, resp.Header.Get("Content-Type"), body)
			}
		}
	})

	// An HTTP version the server does not speak is refused, never served.
	t.Run("http-version", func(t *testing.T) {
		for _, tc := range []struct {
			proto string
			want  int
		}{{"HTTP/9.9", 505}, {"HTTP/2.0", 505}, {"HTTP/0.9", 505}, {"HTTP/1.0", 200}, {"HTTP/1.1", 200}} {
			for _, path := range []string{"/health", "/insecure" + photoPath} {
				req := "GET " + path + " " + tc.proto + "\r\nHost: x\r\n\r\n"
				if got := hxRaw(t, open.Addr, req); got != tc.want {
					t.Errorf("GET %s %s: got %d; want %d", path, tc.proto, got, tc.want)
				}
			}
		}
	})

	// Intended difference: an Accept entry with q=0 means "not acceptable"
	// (RFC 9110), where imgproxy matches the substring "image/webp".
	t.Run("accept-q0", func(t *testing.T) {
		for accept, want := range map[string]string{
			"image/webp,*/*":               "image/webp",
			"image/webp;q=0,image/*,*/*":   "image/jpeg",
			"image/avif,image/webp;q=0.0":  "image/jpeg",
			"image/webp;q=0.001,image/png": "image/webp",
		} {
			resp, body := compatDo(t, open, "GET", "/insecure"+photoPath, "Accept", accept)
			if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != want {
				t.Errorf("Accept %q: got %d %s (%.80q); want 200 %s", accept, resp.StatusCode, resp.Header.Get("Content-Type"), body, want)
			}
		}
	})
}
