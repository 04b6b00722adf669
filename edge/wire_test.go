package edge

import (
	"io"
	"net"
	"strings"
	"testing"
)

// TestLineConnLineEnded: when fasthttp gives up on a full buffer, the last
// bufSize bytes read are the current request's first bufSize bytes.
func TestLineConnLineEnded(t *testing.T) {
	const bufSize = 100
	f := func(before, request string, want bool) {
		t.Helper()
		request = (request + strings.Repeat("a", bufSize))[:bufSize]
		a, b := net.Pipe()
		defer a.Close()
		defer b.Close()
		go func() { io.WriteString(b, before+request); b.Close() }()
		c := &lineConn{Conn: a, lastNL: -1}
		buf := make([]byte, 7) // several short reads
		for {
			if _, err := c.Read(buf); err != nil {
				break
			}
		}
		if got := c.lineEnded(bufSize); got != want {
			t.Errorf("%q then %.40q: lineEnded got %v; want %v", before, request, got, want)
		}
	}
	f("", "GET /", false)
	f("", "GET /a HTTP/1.1\r\nCookie: ", true)
	// A complete earlier request does not count for the next one.
	f("GET / HTTP/1.1\r\n\r\n", "GET /", false)
	f("GET / HTTP/1.1\r\n\r\n", "GET /a HTTP/1.1\r\nX: ", true)
}

func TestRawExt(t *testing.T) {
	f := func(url, ct, want string) {
		t.Helper()
		if got := rawExt(url, ct); got != want {
			t.Errorf("rawExt(%q, %q): got %q; want %q", url, ct, got, want)
		}
	}
	f("http://x.test/doc/report.pdf", "application/pdf", "pdf")
	f("http://x.test/a/notes.txt?v=2#top", "text/plain", "txt")
	f("http://x.test/a/photo.jpeg", "image/jpeg", "jpeg")
	f("local:///dir/my%20file.tar.gz", "", "gz")
	f("s3://bucket/key/photo", "image/webp", "webp")
	f("http://x.test/", "image/png", "png")
	f("http://x.test/blob", "", "")
	f("http://x.test/a.b/blob", "", "")
}

func TestIsHTTP1(t *testing.T) {
	for proto, want := range map[string]bool{"HTTP/1.1": true, "HTTP/1.0": true, "HTTP/1.9": true,
		"HTTP/9.9": false, "HTTP/2.0": false, "HTTP/0.9": false} {
		if got := isHTTP1([]byte(proto)); got != want {
			t.Errorf("isHTTP1(%q): got %v; want %v", proto, got, want)
		}
	}
}
