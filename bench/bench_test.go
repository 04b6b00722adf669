package main

// These tests are small and offline: they never download the corpus nor
// start imgedge. Images are generated with the standard library.

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/xml"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	_ "golang.org/x/image/webp"

	"github.com/imgedge/imgedge/options"
	"github.com/imgedge/imgedge/sign"
	"github.com/imgedge/imgedge/vips"
	"github.com/imgedge/imgedge/vips/imagemeta"
)

func genJPEG(t testing.TB, w, h int) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, genRGBA(w, h, false), &jpeg.Options{Quality: 90}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// genRGBA is a picture with gradients, fine detail and, with alpha, a
// transparency ramp with a sharp edge.
func genRGBA(w, h int, alpha bool) *image.NRGBA {
	m := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			c := color.NRGBA{uint8(x * 255 / w), uint8(y * 255 / h), uint8((x ^ y) & 0xff), 255}
			if alpha && x > w/4 {
				c.A = uint8(255 * (w - x) / w)
			}
			m.SetNRGBA(x, y, c)
		}
	}
	return m
}

// genGreyAlpha is a grey picture with a transparency ramp (PNG grey+alpha).
func genGreyAlpha(w, h int) *image.NRGBA {
	m := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			v := uint8((x*3 + y) & 0xff)
			m.SetNRGBA(x, y, color.NRGBA{v, v, v, uint8(255 * y / h)})
		}
	}
	return m
}

func pngOf(t testing.TB, m image.Image) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := png.Encode(&buf, m); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// pixelDiff decodes two encoded images (JPEG, PNG, WebP) with Go's
// decoders and describes the first difference ("" when the pixels are
// equal).
func pixelDiff(t testing.TB, a, b []byte) string {
	t.Helper()
	ma, fa, err := image.Decode(bytes.NewReader(a))
	if err != nil {
		t.Fatalf("decode: %v", err)
	}
	mb, fb, err := image.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("decode: %v", err)
	}
	if fa != fb || ma.Bounds() != mb.Bounds() {
		return fmt.Sprintf("%s %v vs %s %v", fa, ma.Bounds(), fb, mb.Bounds())
	}
	r := ma.Bounds()
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			r1, g1, b1, a1 := ma.At(x, y).RGBA()
			r2, g2, b2, a2 := mb.At(x, y).RGBA()
			if r1 != r2 || g1 != g2 || b1 != b2 || a1 != a2 {
				return fmt.Sprintf("pixel %d,%d: %v vs %v", x, y, ma.At(x, y), mb.At(x, y))
			}
		}
	}
	return ""
}

func TestPercentile(t *testing.T) {
	var lat []time.Duration
	for i := 1; i <= 100; i++ {
		lat = append(lat, time.Duration(i)*time.Millisecond)
	}
	f := func(p float64, want time.Duration) {
		t.Helper()
		if got := percentile(lat, p); got != want {
			t.Fatalf("percentile(1..100ms, %v) = %v; want %v", p, got, want)
		}
	}
	f(50, 50*time.Millisecond)
	f(90, 90*time.Millisecond)
	f(99, 99*time.Millisecond)
	f(100, 100*time.Millisecond)
	f(0.5, time.Millisecond)
	if got := percentile(nil, 50); got != 0 {
		t.Fatalf("percentile(nil) = %v; want 0", got)
	}
}

func TestURLPathAndSignature(t *testing.T) {
	p := &photo{Name: "mate-nature-Dune.jpg", Format: options.FormatJPEG}
	f := func(it item, cb, want string) {
		t.Helper()
		if got := it.urlPath("http://127.0.0.1:9", cb); got != want {
			t.Fatalf("urlPath = %q; want %q", got, want)
		}
	}
	src := base64.RawURLEncoding.EncodeToString([]byte("local:///mate-nature-Dune.jpg"))
	f(item{Photo: p, Op: opThumb}, "", "/rs:fill:300:200/"+src+".jpg")
	f(item{Photo: p, Op: opJPEG1200}, "x-1", "/rs:fit:1200:0/q:80/cb:x-1/"+src+".jpg")
	f(item{Photo: p, Op: opAVIF640}, "", "/rs:fit:640:0/"+src+".avif")
	remote := base64.RawURLEncoding.EncodeToString([]byte("http://127.0.0.1:9/mate-nature-Dune.jpg"))
	f(item{Photo: p, Op: opThumb, Remote: true}, "", "/rs:fill:300:200/"+remote+".jpg")

	if got := (signer{}).path("/a/b"); got != "/insecure/a/b" {
		t.Fatalf("unsigned path = %q; want /insecure/a/b", got)
	}
	key, salt := []byte("secret key"), []byte("salt")
	full := signer{key: key, salt: salt, size: 32}.path(item{Photo: p, Op: opThumb}.urlPath("", ""))
	v, err := sign.New(sign.Config{Keys: [][]byte{key}, Salts: [][]byte{salt}, SignatureSize: 32})
	if err != nil {
		t.Fatal(err)
	}
	sig, path, _ := strings.Cut(full[1:], "/")
	if err := v.Verify([]byte(sig), []byte("/"+path)); err != nil {
		t.Fatalf("signed path %q does not verify: %v", full, err)
	}
}

func TestBuildWorkloads(t *testing.T) {
	ps := []photo{
		{Name: "a.jpg", Format: options.FormatJPEG, Width: 1920, Height: 1080},
		{Name: "big.jpg", Format: options.FormatJPEG, Width: 5640, Height: 3172},
		{Name: "t.jpg", Format: options.FormatJPEG, Width: 2560, Height: 1600},
		{Name: "c.png", Format: options.FormatPNG, Width: 800, Height: 600},
		{Name: "d.webp", Format: options.FormatWebP, Width: 4096, Height: 4096},
	}
	wls, err := buildWorkloads(ps, workloadNames)
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]workload{}
	for _, w := range wls {
		byName[w.Name] = w
	}
	for _, name := range []string{"web-mix", "remote"} {
		count := map[string]int{}
		for _, it := range byName[name].Items {
			count[it.Photo.Format.String()+" "+it.Op.String()]++
			if it.Remote != (name == "remote") {
				t.Fatalf("%s item %v: remote %v", name, it.Op, it.Remote)
			}
		}
		want := map[string]int{
			"jpeg 300x200 fill jpeg": 3, "jpeg 640x webp": 3, "jpeg 1200x jpeg q80": 3, "jpeg 150x150 fill webp": 3,
			"png 600x jpeg": 1, "webp 480x webp": 1,
		}
		if fmt.Sprint(count) != fmt.Sprint(want) {
			t.Fatalf("%s items = %v; want %v", name, count, want)
		}
	}
	if !byName["remote"].Remote || byName["web-mix"].Remote {
		t.Fatalf("only remote fetches from the origin")
	}
	if th := byName["thumb"]; len(th.Items) != 1 || th.Items[0].Photo.Name != "t.jpg" || th.Items[0].Op != opThumb {
		t.Fatalf("thumb = %+v; want t.jpg to 300x200 fill", th)
	}
	if s := byName["miss-storm"]; !s.Storm || len(s.Items) != 3 {
		t.Fatalf("miss-storm = %+v; want a storm over the 3 JPEGs", s)
	}
	if got := byName["large"].Items[0].Photo.Name; got != "big.jpg" {
		t.Fatalf("large uses %q; want big.jpg", got)
	}
	if got := byName["avif"].Items[0].Op.Format; got != options.FormatAVIF {
		t.Fatalf("avif workload format = %v; want avif", got)
	}
	if _, err := buildWorkloads(ps, []string{"nope"}); err == nil {
		t.Fatalf("unknown workload accepted")
	}
	if _, err := buildWorkloads(ps[:2], []string{"thumb"}); err == nil {
		t.Fatalf("thumb without 2560x1600 JPEGs accepted")
	}
}

func TestInterleaveIsAPermutation(t *testing.T) {
	for _, n := range []int{1, 2, 3, 7, 14, 92} {
		items := make([]item, n)
		for i := range items {
			items[i].Op.Width = i
		}
		seen := map[int]bool{}
		for _, it := range interleave(items) {
			seen[it.Op.Width] = true
		}
		if len(seen) != n {
			t.Fatalf("interleave of %d items kept %d distinct; want %d", n, len(seen), n)
		}
	}
}

func TestFlatName(t *testing.T) {
	if got, want := flatName("mate/nature/Dune file+1.jpg"), "mate-nature-Dune-file-1.jpg"; got != want {
		t.Fatalf("flatName = %q; want %q", got, want)
	}
}

func TestSVGIsWellFormed(t *testing.T) {
	r := &result{Workload: "web-mix", Target: "server <&>", Conc: 4, Requests: 5, Elapsed: time.Second,
		Lat: []time.Duration{time.Millisecond, 2 * time.Millisecond, 30 * time.Millisecond, 31 * time.Millisecond, 2 * time.Second}}
	for _, rr := range []*result{r, {Workload: "empty", Target: "ceiling"}} {
		var buf bytes.Buffer
		writeSVG(&buf, rr)
		d := xml.NewDecoder(&buf)
		rects := 0
		for {
			tok, err := d.Token()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("SVG for %s is not well-formed XML: %v", rr.Workload, err)
			}
			if se, ok := tok.(xml.StartElement); ok && se.Name.Local == "rect" {
				rects++
			}
		}
		if rr == r && rects < 4 {
			t.Fatalf("SVG has %d rects; want the background and at least 3 bars", rects)
		}
	}
}

func TestSoakSummary(t *testing.T) {
	s := []soakSample{
		{At: time.Minute, RSS: 100 << 20, Requests: 10},
		{At: 2 * time.Minute, RSS: 200 << 20, Requests: 10},
		{At: 3 * time.Minute, RSS: 210 << 20, Requests: 10, Errors: 1},
	}
	s = append(s[:2], soakSample{At: 150 * time.Second, RSS: 210 << 20}, s[2], soakSample{At: 4 * time.Minute, RSS: 220 << 20}, soakSample{At: 5 * time.Minute, RSS: 240 << 20})
	got := soakSummary(s)
	for _, want := range []string{"30 requests", "1 errors over 5m0s", "RSS at 2m0s 200 MB, at the end 240 MB (+20.0%)",
		"minute 2-3 205 MB, in the last minute 240 MB (+17.1%)"} {
		if !strings.Contains(got, want) {
			t.Fatalf("soakSummary = %q; want it to contain %q", got, want)
		}
	}
}

// TestHTTPTarget drives a real loopback server: content-type checks, error
// counting, and the storm's same-bytes check.
func TestHTTPTarget(t *testing.T) {
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		i := n.Add(1)
		switch {
		case strings.Contains(r.URL.Path, "/cb:"): // storm: different bytes every time
			w.Header().Set("Content-Type", "image/jpeg")
			fmt.Fprintf(w, "img %d", i)
		case strings.HasSuffix(r.URL.Path, ".webp"):
			w.Header().Set("Content-Type", "image/jpeg") // wrong on purpose
			io.WriteString(w, "x")
		default:
			w.Header().Set("Content-Type", "image/jpeg")
			io.WriteString(w, "jpeg bytes")
		}
	}))
	defer srv.Close()
	tg := newHTTPTarget(srv.URL, signer{}, 2)
	p := &photo{Name: "a.jpg", Format: options.FormatJPEG}

	r := tg.run(workload{Name: "w", Items: []item{{Photo: p, Op: opThumb}, {Photo: p, Op: opWebP640}}}, "server", 2, 200*time.Millisecond, true)
	if r.Requests < 2 || r.Errors == 0 || r.Errors == r.Requests {
		t.Fatalf("requests=%d errors=%d; want some successes and the webp ones failing", r.Requests, r.Errors)
	}
	if r.ErrKinds["content-type image/jpeg"] != r.Errors {
		t.Fatalf("error kinds = %v; want only content-type errors", r.ErrKinds)
	}
	if len(r.Lat) != r.Requests {
		t.Fatalf("latencies = %d; want one per request (%d)", len(r.Lat), r.Requests)
	}

	s := tg.run(workload{Name: "s", Storm: true, Items: []item{{Photo: p, Op: opJPEG1200}}}, "server", 4, 50*time.Millisecond, true)
	if s.Requests%4 != 0 || s.Errors != s.Requests/4*3 {
		t.Fatalf("storm requests=%d errors=%d; want 3 of every 4 flagged as different bytes", s.Requests, s.Errors)
	}
}

// TestCeilingOp runs the ceiling on generated sources and checks the
// result's format and size, and its errors.
func TestCeilingOp(t *testing.T) {
	if err := ceilingStartup(); err != nil {
		t.Fatal(err)
	}
	src := genJPEG(t, 800, 600)
	f := func(o op, wantW, wantH int) {
		t.Helper()
		out, err := ceilingOp(src, options.FormatJPEG, 800, 600, 1, false, o)
		if err != nil {
			t.Fatalf("ceilingOp(%v): %v", o, err)
		}
		m, err := imagemeta.Probe(out)
		if err != nil {
			t.Fatalf("ceilingOp(%v) output: %v", o, err)
		}
		if m.Format != o.Format || m.Width != wantW || m.Height != wantH {
			t.Fatalf("ceilingOp(%v) = %v %dx%d; want %v %dx%d", o, m.Format, m.Width, m.Height, o.Format, wantW, wantH)
		}
	}
	f(opThumb, 300, 200)
	f(opWebP640, 640, 480)
	f(opWebP150, 150, 150)
	f(op{Width: 1200, Format: options.FormatJPEG}, 800, 600) // never enlarges
	f(op{Width: 100, Format: options.FormatPNG}, 100, 75)
	f(op{Width: 64, Height: 64, Fill: true, Format: options.FormatAVIF}, 64, 64)

	if _, err := ceilingOp([]byte("not an image"), options.FormatJPEG, 10, 10, 1, false, opThumb); options.KindOf(err) != options.KindBrokenImage {
		t.Fatalf("garbage input: got %v; want KindBrokenImage", err)
	}
	if _, err := ceilingOp(src, options.FormatJPEG, 800, 600, 1, false, op{Width: 10, Fill: true, Format: options.FormatJPEG}); err == nil {
		t.Fatalf("fill without height accepted")
	}
	if _, err := ceilingOp(src, options.FormatJPEG, 800, 600, 1, false, op{Width: 10, Format: options.FormatGIF}); options.KindOf(err) != options.KindCannotSave {
		t.Fatalf("gif output: got %v; want KindCannotSave", err)
	}
}

func TestPlanCeiling(t *testing.T) {
	f := func(fm options.Format, w, h, orient int, alpha bool, o op, want ceilingPlan) {
		t.Helper()
		if got := planCeiling(fm, w, h, orient, alpha, o); got != want {
			t.Fatalf("planCeiling(%v %dx%d o%d, %v) = %+v; want %+v", fm, w, h, orient, o, got, want)
		}
	}
	// 2560x1600 to 300x200 fill: exactly 1/8, decoded at 320x200, cut to 300.
	f(options.FormatJPEG, 2560, 1600, 1, false, opThumb, ceilingPlan{Shrink: 8, Scale: 1, ResizeW: 320, ResizeH: 200,
		CropX: 10, CropW: 300, CropH: 200, Orientation: 1})
	// 5640x3172 to 1200w: shrink 4 (4.7 needed), resized from 1410x793.
	f(options.FormatJPEG, 5640, 3172, 1, false, opJPEG1200, ceilingPlan{Shrink: 4, Scale: 1, ResizeW: 1200, ResizeH: 675, Orientation: 1})
	// 4096x4096 WebP to 480w: scale 1/8, then 512 to 480.
	f(options.FormatWebP, 4096, 4096, 0, false, opWebP480, ceilingPlan{Shrink: 1, Scale: 0.125, ResizeW: 480, ResizeH: 480})
	// An alpha PNG to JPEG is flattened first; no decoder shrink for PNG.
	f(options.FormatPNG, 1920, 1200, 0, true, opPNGToJPEG, ceilingPlan{Shrink: 1, Scale: 1, Flatten: true, ResizeW: 600, ResizeH: 375})
	// Rotated by EXIF: planned upright, resized in the stored orientation.
	f(options.FormatJPEG, 1600, 2560, 6, false, opThumb, ceilingPlan{Shrink: 8, Scale: 1, ResizeW: 200, ResizeH: 320,
		CropX: 10, CropW: 300, CropH: 200, Orientation: 6})
}

// TestCeilingMatchesImgedge: the ceiling returns the pixels imgedge
// returns for every operation of the workloads (the same URL processed by
// the server's vips package), on generated JPEG, PNG (with and without
// alpha, grey with alpha) and WebP sources, so that "percent of ceiling"
// compares the same work.
func TestCeilingMatchesImgedge(t *testing.T) {
	proc, err := vips.NewProcessor(vips.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	defer proc.Close()
	if err := ceilingStartup(); err != nil {
		t.Fatal(err)
	}
	parser, err := options.NewParser(options.ParserConfig{Defaults: options.DefaultOptions()})
	if err != nil {
		t.Fatal(err)
	}
	rgba := genRGBA(520, 330, false)
	jpegSrc := genJPEG(t, 1030, 660)
	pngAlpha := pngOf(t, genRGBA(700, 420, true))
	greyAlpha := pngOf(t, genGreyAlpha(640, 400))
	webpSrc, err := ceilingOp(pngOf(t, rgba), options.FormatPNG, 520, 330, 0, false, op{Width: 520, Format: options.FormatWebP, Quality: 90})
	if err != nil {
		t.Fatal(err)
	}
	ops := []op{opThumb, opWebP640, opJPEG1200, opWebP150, opPNGToJPEG, opWebP480, opAVIF640, {Width: 100, Format: options.FormatPNG}}
	for _, s := range []struct {
		name string
		data []byte
	}{{"jpeg", jpegSrc}, {"png-alpha", pngAlpha}, {"png-grey-alpha", greyAlpha}, {"webp", webpSrc}} {
		m, err := imagemeta.Probe(s.data)
		if err != nil {
			t.Fatal(err)
		}
		ph := &photo{Name: s.name, Format: m.Format, Width: m.Width, Height: m.Height, Orientation: m.Orientation, HasAlpha: m.HasAlpha, Data: s.data}
		for _, o := range ops {
			if o.Width > ph.Width { // the workloads shrink; keep the test about that
				o.Width = ph.Width / 3
			}
			it := item{Photo: ph, Op: o}
			got, err := ceilingOp(ph.Data, ph.Format, ph.Width, ph.Height, ph.Orientation, ph.HasAlpha, o)
			if err != nil {
				t.Fatalf("%s %v: ceiling: %v", s.name, o, err)
			}
			var req options.Request
			if err := parser.Parse([]byte(it.urlPath("", "")), options.Hints{Now: time.Now()}, &req); err != nil {
				t.Fatal(err)
			}
			src := options.NewSource(ph.Data, nil)
			res, err := proc.Process(context.Background(), &src, &req.Options, nil)
			if err != nil {
				t.Fatalf("%s %v: imgedge: %v", s.name, o, err)
			}
			want := append([]byte(nil), res.Data...)
			res.Release()
			if o.Format == options.FormatAVIF { // no AVIF decoder here: compare the header
				gm, _ := imagemeta.Probe(got)
				wm, _ := imagemeta.Probe(want)
				if gm != wm {
					t.Fatalf("%s %v: ceiling %+v; imgedge %+v", s.name, o, gm, wm)
				}
				continue
			}
			if d := pixelDiff(t, got, want); d != "" {
				t.Fatalf("%s %v: ceiling and imgedge differ: %s", s.name, o, d)
			}
		}
	}
}

// TestRemoteThroughOrigin: remote items name the origin as their source,
// and the origin serves each photo only after its delay (and 404 for
// anything else). The "server" here is a stand-in that fetches the source
// URL from the request path, as an imgproxy-compatible server does.
func TestRemoteThroughOrigin(t *testing.T) {
	ps := []photo{{Name: "a.jpg", Format: options.FormatJPEG, Width: 20, Height: 10, Data: genJPEG(t, 20, 10)}}
	const delay = 60 * time.Millisecond
	o, err := startOrigin(ps, delay)
	if err != nil {
		t.Fatal(err)
	}
	defer o.close()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seg := r.URL.Path[strings.LastIndexByte(r.URL.Path, '/')+1:]
		src, err := base64.RawURLEncoding.DecodeString(strings.TrimSuffix(seg, ".jpg"))
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		t0 := time.Now()
		resp, err := http.Get(string(src))
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		if time.Since(t0) < delay {
			http.Error(w, "origin answered before its delay", http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", resp.Header.Get("Content-Type"))
		w.WriteHeader(resp.StatusCode)
		_, _ = io.Copy(w, resp.Body)
	}))
	defer srv.Close()
	wls, err := buildWorkloads(ps, []string{"remote"})
	if err != nil {
		t.Fatal(err)
	}
	tg := newHTTPTarget(srv.URL, signer{}, 1)
	tg.origin = o.base
	jpegOnly := workload{Name: "remote", Remote: true}
	for _, it := range wls[0].Items {
		if it.Op.Format == options.FormatJPEG {
			jpegOnly.Items = append(jpegOnly.Items, it)
		}
	}
	r := tg.run(jpegOnly, "server", 1, 150*time.Millisecond, true)
	if r.Requests == 0 || r.Errors != 0 || o.served.Load() != int64(r.Requests) {
		t.Fatalf("requests %d, errors %v, origin served %d; want every request served by the origin", r.Requests, r.ErrKinds, o.served.Load())
	}
	resp, err := http.Get(o.base + "/missing.jpg")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Fatalf("unknown photo: status %d; want 404", resp.StatusCode)
	}
}

// TestRoundsAndSideBySide: rounds of one workload and target merge into
// one result, and the report puts the server next to the comparison
// server with their ratios.
func TestRoundsAndSideBySide(t *testing.T) {
	mk := func(target string, n int, lat time.Duration, rss int64, cpu time.Duration) *result {
		r := &result{Workload: "thumb", Target: target, Conc: 4, Requests: n, Elapsed: time.Second, PeakRSS: rss, CPU: cpu,
			ByOp: map[string][]time.Duration{}}
		for range n {
			r.Lat = append(r.Lat, lat)
		}
		r.ByOp["300x200 fill jpeg"] = r.Lat
		return r
	}
	var acc accumulator
	acc.add(mk("server", 300, 10*time.Millisecond, 100<<20, 1500*time.Millisecond))
	acc.add(mk("imgproxy", 200, 20*time.Millisecond, 200<<20, 2000*time.Millisecond))
	acc.add(mk("server", 100, 30*time.Millisecond, 150<<20, 500*time.Millisecond))
	acc.add(mk("imgproxy", 200, 20*time.Millisecond, 100<<20, 2000*time.Millisecond))
	if len(acc.results) != 2 {
		t.Fatalf("%d results; want 2 (one per target)", len(acc.results))
	}
	s := acc.results[0]
	if s.Requests != 400 || s.Elapsed != 2*time.Second || s.PeakRSS != 150<<20 || s.CPUPerOp() != 5*time.Millisecond || s.Rounds != 2 ||
		len(s.Lat) != 400 || s.Pct(99) != 30*time.Millisecond {
		t.Fatalf("merged server = %d requests, %v, RSS %d, CPU/req %v, %d rounds, p99 %v", s.Requests, s.Elapsed, s.PeakRSS,
			s.CPUPerOp(), s.Rounds, s.Pct(99))
	}
	var buf bytes.Buffer
	writeTable(&buf, acc.results, "imgproxy")
	out := buf.String()
	for _, want := range []string{"side by side: server / imgproxy", "200.0 / 200.0", "1.00x", "30.0ms / 20.0ms", "1.50x",
		"150 MB / 200 MB", "0.75x", "5.00ms / 10.0ms", "0.50x"} {
		if !strings.Contains(out, want) {
			t.Fatalf("report lacks %q:\n%s", want, out)
		}
	}
}
