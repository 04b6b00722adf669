package main

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/draw"
	"image/gif"
	_ "image/jpeg" // decoders registered for image.Decode
	_ "image/png"
	"io"
	"math"
	"net/http"
	"strings"

	_ "golang.org/x/image/bmp"
	_ "golang.org/x/image/tiff"
	_ "golang.org/x/image/webp"

	"github.com/imgedge/imgedge/options"
	"github.com/imgedge/imgedge/vips/imagemeta"
)

// answer is what one server returned for one path.
type answer struct {
	Status      int
	ContentType string
	Disposition string
	CacheCtl    string
	ETag        bool
	Bytes       int
	Format      string // from imagemeta.Probe, "" when not an image
	W, H        int
	Frames      int
	Err         string // transport error
	img         image.Image
	frames      []image.Image // composited GIF frames (nil for other formats)
}

func (a *answer) short() string {
	if a.Err != "" {
		return "error: " + a.Err
	}
	if a.Status != http.StatusOK {
		return fmt.Sprintf("%d", a.Status)
	}
	s := fmt.Sprintf("%d %s %dx%d", a.Status, a.Format, a.W, a.H)
	if a.Frames > 1 {
		s += fmt.Sprintf(" %df", a.Frames)
	}
	return s + fmt.Sprintf(" %dB", a.Bytes)
}

// get fetches base+path and probes the body.
func get(ctx context.Context, c *http.Client, base, path string) *answer {
	a := &answer{}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+path, nil)
	if err != nil {
		a.Err = err.Error()
		return a
	}
	resp, err := c.Do(req)
	if err != nil {
		a.Err = err.Error()
		return a
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 256<<20))
	if err != nil {
		a.Err = err.Error()
		return a
	}
	a.Status = resp.StatusCode
	a.ContentType = resp.Header.Get("Content-Type")
	a.Disposition = resp.Header.Get("Content-Disposition")
	a.CacheCtl = resp.Header.Get("Cache-Control")
	a.ETag = resp.Header.Get("ETag") != ""
	a.Bytes = len(body)
	if a.Status != http.StatusOK {
		return a
	}
	m, err := imagemeta.Probe(body)
	if err != nil {
		a.Format = "?"
		return a
	}
	a.Format, a.W, a.H, a.Frames = m.Format.String(), m.Width, m.Height, m.Frames
	a.img = decode(body)
	if m.Format == options.FormatGIF && m.Frames > 1 {
		a.frames = gifFrames(body)
	}
	return a
}

// decode returns the first frame as an image, or nil when Go has no
// decoder for it (AVIF, HEIC, JXL, SVG, animated WebP).
func decode(body []byte) image.Image {
	if len(body) >= 4 && bytes.Equal(body[:4], []byte{0, 0, 1, 0}) { // ICO: decode the first entry
		inner, _, err := imagemeta.ICOImage(body)
		if err != nil {
			return nil
		}
		body = inner
	}
	img, _, err := image.Decode(bytes.NewReader(body))
	if err != nil {
		return nil
	}
	return img
}

// gifFrames decodes every frame of a GIF and composites it onto the
// logical screen the way a viewer shows it (disposal methods honoured), so
// two encoders' different frame optimisations compare equal.
func gifFrames(body []byte) []image.Image {
	g, err := gif.DecodeAll(bytes.NewReader(body))
	if err != nil || len(g.Image) == 0 {
		return nil
	}
	rect := image.Rect(0, 0, g.Config.Width, g.Config.Height)
	canvas := image.NewNRGBA(rect)
	out := make([]image.Image, 0, len(g.Image))
	for i, fr := range g.Image {
		var saved *image.NRGBA
		disp := byte(0)
		if i < len(g.Disposal) {
			disp = g.Disposal[i]
		}
		if disp == gif.DisposalPrevious {
			saved = image.NewNRGBA(rect)
			draw.Draw(saved, rect, canvas, image.Point{}, draw.Src)
		}
		draw.Draw(canvas, fr.Bounds(), fr, fr.Bounds().Min, draw.Over)
		snap := image.NewNRGBA(rect)
		draw.Draw(snap, rect, canvas, image.Point{}, draw.Src)
		out = append(out, snap)
		switch disp {
		case gif.DisposalBackground:
			draw.Draw(canvas, fr.Bounds(), image.Transparent, image.Point{}, draw.Src)
		case gif.DisposalPrevious:
			canvas = saved
		}
	}
	return out
}

// thumbSize is the side of the grid both images are averaged onto before
// comparing: small enough that resampling-kernel and encoder differences
// average out, big enough that a wrong crop, flip or rotation shows.
const thumbSize = 32

// thumb averages img onto a thumbSize×thumbSize grid of premultiplied RGBA
// values in 0..255 (box filter over the source pixels of each cell).
func thumb(img image.Image) [][4]float64 {
	b := img.Bounds()
	out := make([][4]float64, thumbSize*thumbSize)
	cnt := make([]float64, thumbSize*thumbSize)
	w, h := b.Dx(), b.Dy()
	if w == 0 || h == 0 {
		return out
	}
	// Sample at most ~512 points per axis: enough for a 32-cell average.
	sx, sy := max(1, w/512), max(1, h/512)
	for y := 0; y < h; y += sy {
		cy := y * thumbSize / h
		for x := 0; x < w; x += sx {
			cx := x * thumbSize / w
			r, g, bb, a := img.At(b.Min.X+x, b.Min.Y+y).RGBA()
			i := cy*thumbSize + cx
			out[i][0] += float64(r >> 8)
			out[i][1] += float64(g >> 8)
			out[i][2] += float64(bb >> 8)
			out[i][3] += float64(a >> 8)
			cnt[i]++
		}
	}
	for i := range out {
		if cnt[i] > 0 {
			for c := range 4 {
				out[i][c] /= cnt[i]
			}
		}
	}
	return out
}

// similarity compares two images after averaging both onto the same grid.
// mad is the mean absolute difference per channel (0..255, RGB and alpha,
// premultiplied so invisible colour does not count); psnr is over the
// same values (capped at 99 dB).
func similarity(a, b image.Image) (mad, psnr float64) {
	ta, tb := thumb(a), thumb(b)
	var sum, sq float64
	for i := range ta {
		for c := range 4 {
			d := ta[i][c] - tb[i][c]
			sum += math.Abs(d)
			sq += d * d
		}
	}
	n := float64(len(ta) * 4)
	mad = sum / n
	mse := sq / n
	if mse == 0 {
		return mad, 99
	}
	return mad, math.Min(99, 10*math.Log10(255*255/mse))
}

// result is the comparison of one path.
type result struct {
	Family string
	Path   string
	A, B   *answer
	MAD    float64 // -1 when pixels were not compared
	PSNR   float64
	Diffs  []string // human-readable mismatches; empty = match
	Notes  []string // differences that are reported but not counted
}

func (r *result) ok() bool { return len(r.Diffs) == 0 }

// compareOpts are the thresholds of compare.
type compareOpts struct {
	MaxMAD   float64 // pixel mismatch when the mean abs difference is above
	Headers  bool    // compare Content-Disposition, Cache-Control, ETag presence
	SizeNote float64 // note when byte sizes differ by more than this factor
}

// compare fills r.Diffs from r.A and r.B.
func compare(r *result, o compareOpts) {
	a, b := r.A, r.B
	r.MAD = -1
	if a.Err != "" || b.Err != "" {
		if a.Err != b.Err {
			r.Diffs = append(r.Diffs, "transport")
		}
		return
	}
	if a.Status != b.Status {
		r.Diffs = append(r.Diffs, "status")
		return
	}
	if a.Status != http.StatusOK {
		return
	}
	if a.Format != b.Format {
		r.Diffs = append(r.Diffs, "format")
	}
	if mime(a.ContentType) != mime(b.ContentType) {
		r.Diffs = append(r.Diffs, "content-type")
	}
	if a.W != b.W || a.H != b.H {
		r.Diffs = append(r.Diffs, "dims")
	}
	if a.Frames != b.Frames {
		r.Diffs = append(r.Diffs, "frames")
	}
	if o.Headers {
		if a.Disposition != b.Disposition {
			r.Diffs = append(r.Diffs, "content-disposition")
		}
		if a.CacheCtl != b.CacheCtl {
			r.Diffs = append(r.Diffs, "cache-control")
		}
		if a.ETag != b.ETag {
			r.Diffs = append(r.Diffs, "etag")
		}
	}
	if len(a.frames) > 1 && len(a.frames) == len(b.frames) {
		// Animated GIF: the worst frame counts.
		for i := range a.frames {
			mad, psnr := similarity(a.frames[i], b.frames[i])
			if mad > r.MAD {
				r.MAD, r.PSNR = mad, psnr
			}
		}
		if r.MAD > o.MaxMAD {
			r.Diffs = append(r.Diffs, "pixels")
		}
	} else if a.img != nil && b.img != nil {
		r.MAD, r.PSNR = similarity(a.img, b.img)
		if r.MAD > o.MaxMAD {
			r.Diffs = append(r.Diffs, "pixels")
		}
	}
	if o.SizeNote > 0 && a.Bytes > 0 && b.Bytes > 0 {
		f := float64(b.Bytes) / float64(a.Bytes)
		if f > o.SizeNote || f < 1/o.SizeNote {
			r.Notes = append(r.Notes, fmt.Sprintf("bytes %d vs %d", a.Bytes, b.Bytes))
		}
	}
}

// mime drops parameters from a Content-Type value.
func mime(ct string) string {
	if i := strings.IndexByte(ct, ';'); i >= 0 {
		ct = ct[:i]
	}
	return strings.TrimSpace(strings.ToLower(ct))
}
