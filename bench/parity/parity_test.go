package main

import (
	"bytes"
	"image"
	"image/color"
	"image/gif"
	"image/png"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// servePNGs starts a loopback server answering /same, /flip, /small and
// /missing; flipped selects the candidate's variant of /flip.
func servePNGs(t *testing.T, flipped bool) string {
	t.Helper()
	enc := func(img image.Image) []byte {
		var b bytes.Buffer
		if err := png.Encode(&b, img); err != nil {
			t.Fatal(err)
		}
		return b.Bytes()
	}
	base := pattern(120, 80)
	flip := image.NewRGBA(base.Bounds())
	for y := range 80 {
		for x := range 120 {
			flip.Set(119-x, y, base.At(x, y))
		}
	}
	small := image.NewRGBA(image.Rect(0, 0, 60, 40))
	for y := range 40 {
		for x := range 60 {
			small.Set(x, y, color.RGBA{1, 2, 3, 255})
		}
	}
	bodies := map[string][]byte{"/same": enc(base), "/flip": enc(base), "/small": enc(base)}
	if flipped {
		bodies["/flip"] = enc(flip)
		bodies["/small"] = enc(small)
	}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, ok := bodies[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "image/png")
		w.Header().Set("Cache-Control", "max-age=3600, public")
		w.Write(b)
	})
	s := httptest.NewServer(h)
	t.Cleanup(s.Close)
	if !strings.HasPrefix(s.URL, "http://127.0.0.1:") {
		t.Fatalf("got server URL %q; want loopback", s.URL)
	}
	return s.URL
}

func TestRunFindsMismatches(t *testing.T) {
	a, b := servePNGs(t, false), servePNGs(t, true)
	entries := []urlEntry{{"x", "/same"}, {"x", "/flip"}, {"x", "/small"}, {"y", "/missing"}}
	res := run(entries, a, b, 2, 10*time.Second, compareOpts{MaxMAD: 4, Headers: true})
	want := map[string]string{"/same": "", "/flip": "pixels", "/small": "dims,pixels", "/missing": ""}
	for _, r := range res {
		if got := strings.Join(r.Diffs, ","); got != want[r.Path] {
			t.Errorf("%s: got diffs %q; want %q (mad %.1f)", r.Path, got, want[r.Path], r.MAD)
		}
	}
	if res[0].MAD != 0 || res[0].A.W != 120 || res[0].A.H != 80 || res[0].A.Format != "png" {
		t.Errorf("/same: got mad %.1f %s %dx%d; want 0 png 120x80", res[0].MAD, res[0].A.Format, res[0].A.W, res[0].A.H)
	}
	if res[3].A.Status != http.StatusNotFound {
		t.Errorf("/missing: got status %d; want 404", res[3].A.Status)
	}
	var out bytes.Buffer
	report(&out, res, true, false)
	if !strings.Contains(out.String(), "`/flip`") || strings.Contains(out.String(), "`/same`") {
		t.Errorf("markdown report lists the wrong rows:\n%s", out.String())
	}
}

func TestStatusAndTransport(t *testing.T) {
	a := servePNGs(t, false)
	res := run([]urlEntry{{"x", "/same"}}, a, "http://127.0.0.1:1", 1, 2*time.Second, compareOpts{MaxMAD: 4})
	if res[0].ok() || res[0].B.Err == "" {
		t.Errorf("got diffs %v, B err %q; want a transport mismatch", res[0].Diffs, res[0].B.Err)
	}
}

func TestGenerateAndMatrix(t *testing.T) {
	dir := t.TempDir()
	if err := generate(dir); err != nil {
		t.Fatal(err)
	}
	for o := 1; o <= 8; o++ {
		data, err := os.ReadFile(filepath.Join(dir, "exif-"+string(rune('0'+o))+".jpg"))
		if err != nil {
			t.Fatal(err)
		}
		if got := decode(data); got == nil || got.Bounds().Dx() != 300 {
			t.Fatalf("exif-%d.jpg does not decode as a 300 px wide JPEG", o)
		}
	}
	entries := matrix(dir, "insecure")
	if len(entries) == 0 {
		t.Fatal("got an empty matrix over the generated files")
	}
	for _, e := range entries {
		if !strings.HasPrefix(e.Path, "/insecure/") || !strings.Contains(e.Path, "/plain/local:///") {
			t.Errorf("got path %q; want /insecure/.../plain/local:///...", e.Path)
		}
	}
}

func TestGIFFramesComposited(t *testing.T) {
	dir := t.TempDir()
	if err := generate(dir); err != nil {
		t.Fatal(err)
	}
	// A same-image pair compares equal; an all-frames decode of a still PNG is nil.
	data, err := os.ReadFile(filepath.Join(dir, "alpha.png"))
	if err != nil {
		t.Fatal(err)
	}
	img := decode(data)
	if mad, psnr := similarity(img, img); mad != 0 || psnr != 99 {
		t.Errorf("got mad %v psnr %v for identical images; want 0, 99", mad, psnr)
	}
	if gifFrames(data) != nil {
		t.Error("got frames for a PNG; want nil")
	}
}

func TestGIFFramesDisposal(t *testing.T) {
	pal := color.Palette{color.Transparent, color.RGBA{255, 0, 0, 255}, color.RGBA{0, 0, 255, 255}}
	full := image.NewPaletted(image.Rect(0, 0, 20, 10), pal)
	for i := range full.Pix {
		full.Pix[i] = 1 // red
	}
	sub := image.NewPaletted(image.Rect(10, 0, 20, 10), pal) // right half blue
	for i := range sub.Pix {
		sub.Pix[i] = 2
	}
	var b bytes.Buffer
	g := &gif.GIF{Image: []*image.Paletted{full, sub}, Delay: []int{10, 10},
		Disposal: []byte{gif.DisposalNone, gif.DisposalNone}, Config: image.Config{ColorModel: pal, Width: 20, Height: 10}}
	if err := gif.EncodeAll(&b, g); err != nil {
		t.Fatal(err)
	}
	fr := gifFrames(b.Bytes())
	if len(fr) != 2 {
		t.Fatalf("got %d frames; want 2", len(fr))
	}
	if got := color.NRGBAModel.Convert(fr[1].At(2, 2)).(color.NRGBA); got != (color.NRGBA{255, 0, 0, 255}) {
		t.Errorf("frame 2 left half: got %v; want red kept from frame 1", got)
	}
	if got := color.NRGBAModel.Convert(fr[1].At(15, 2)).(color.NRGBA); got != (color.NRGBA{0, 0, 255, 255}) {
		t.Errorf("frame 2 right half: got %v; want blue", got)
	}
}
