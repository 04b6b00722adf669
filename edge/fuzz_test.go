package edge

import (
	"strings"
	"testing"

	"github.com/valyala/fasthttp"

	"github.com/imgedge/imgedge/options"
)

// FuzzAccept: any Accept header negotiates without panicking, and a format
// is only chosen when the header names its MIME type.
func FuzzAccept(f *testing.F) {
	for _, s := range []string{"image/avif,image/webp,*/*;q=0.8", "image/webp;q=0", "IMAGE/WEBP ; Q=0.5", ";;,,q=", "image/jxl;q=abc"} {
		f.Add(s)
	}
	s := &Server{cfg: Config{AutoWebP: true, AutoAVIF: true, AutoJXL: true, EnforceWebP: true}}
	s.initNegotiation()
	f.Fuzz(func(t *testing.T, accept string) {
		var neg options.Negotiation
		s.negotiate([]byte(accept), &neg)
		lower := strings.ToLower(accept)
		for _, c := range []struct {
			f    options.Format
			mime string
		}{{options.FormatWebP, "image/webp"}, {options.FormatAVIF, "image/avif"}, {options.FormatJXL, "image/jxl"}} {
			if neg.Auto.Has(c.f) && !strings.Contains(lower, c.mime) {
				t.Errorf("Accept %q: chose %s without naming it", accept, c.f)
			}
		}
	})
}

// FuzzConditional: any If-None-Match / If-Modified-Since pair is handled;
// with a buster only values carrying it are forwarded, unwrapped.
func FuzzConditional(f *testing.F) {
	f.Add(`"b1/InYxIg"`, "Mon, 02 Jan 2023 15:04:05 GMT")
	f.Add(`W/"b1/"`, "garbage")
	f.Add(`"b1/!!"`, "")
	s := &Server{cfg: Config{UseETag: true, ETagBuster: "b1", UseLastModified: true}}
	f.Fuzz(func(t *testing.T, inm, ims string) {
		var h fasthttp.RequestHeader
		h.Set("If-None-Match", inm)
		h.Set("If-Modified-Since", ims)
		var cond options.Conditional
		s.conditional(&h, &cond)
		if cond.IfNoneMatch != "" {
			back := string(appendBustedETag(nil, "b1", cond.IfNoneMatch))
			if !strings.Contains(inm, strings.Trim(back, `"`)[:3]) {
				t.Errorf("If-None-Match %q forwarded as %q", inm, cond.IfNoneMatch)
			}
		}
	})
}
