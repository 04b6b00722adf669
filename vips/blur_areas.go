package vips

import (
	"math"

	"github.com/imgedge/imgedge/options"
)

// blurAreas blurs the boxes of the blur_areas option and leaves every
// other pixel as it is. The boxes are fractions of the source as it looks
// after its EXIF orientation, so the rotate and flip options turn them
// with the image (docs/options.md). The step runs on the resized, oriented
// image before the result crop: each box is mapped through the source
// crop and the scale. A box is blurred with a margin of its surroundings
// (three sigmas) so that its edges blur like the rest of it.
func blurAreas(st *state) error {
	ba := &st.o.BlurAreas
	if ba.Sigma <= 0 || ba.N == 0 {
		return nil
	}
	im := st.im
	orig, err := snapshot(im)
	if err != nil {
		return err
	}
	defer orig.close()
	user := orient{}.then(st.o.Rotate, st.o.FlipH, st.o.FlipV)
	for _, a := range ba.Areas[:ba.N] {
		r := st.areaOnImage(user.mapArea(a))
		if r.W <= 0 || r.H <= 0 {
			continue
		}
		if err := blurBox(im, orig, r, ba.Sigma); err != nil {
			return err
		}
	}
	return nil
}

// mapArea turns a box relative to an image into the same box relative to
// the image transformed by t (rotated clockwise, then mirrored).
func (t orient) mapArea(a options.Area) [4]float64 {
	l, tp, w, h := float64(a.Left), float64(a.Top), float64(a.Width), float64(a.Height)
	switch t.Angle {
	case 90:
		l, tp, w, h = 1-tp-h, l, h, w
	case 180:
		l, tp = 1-l-w, 1-tp-h
	case 270:
		l, tp, w, h = tp, 1-l-w, h, w
	}
	if t.Flip {
		l = 1 - l - w
	}
	return [4]float64{l, tp, w, h}
}

// areaOnImage maps a box relative to the oriented source to pixels of the
// working image (the source crop area, scaled), clipped to it.
func (st *state) areaOnImage(a [4]float64) rect {
	ow, oh := st.rawW, st.rawH
	if st.t.swaps() {
		ow, oh = oh, ow
	}
	c := st.g.Crop
	sx := float64(st.im.width()) / float64(c.W)
	sy := float64(st.im.height()) / float64(c.H)
	x0 := (a[0]*float64(ow) - float64(c.X)) * sx
	y0 := (a[1]*float64(oh) - float64(c.Y)) * sy
	x1 := x0 + a[2]*float64(ow)*sx
	y1 := y0 + a[3]*float64(oh)*sy
	l, t := max(0, int(math.Floor(x0))), max(0, int(math.Floor(y0)))
	r, b := min(st.im.width(), int(math.Ceil(x1))), min(st.im.height(), int(math.Ceil(y1)))
	return rect{X: l, Y: t, W: r - l, H: b - t}
}

// blurBox replaces r of im by r of orig blurred with sigma.
func blurBox(im, orig *image, r rect, sigma float64) error {
	m := int(math.Ceil(3 * sigma))
	ex, ey := max(0, r.X-m), max(0, r.Y-m)
	ew, eh := min(orig.width(), r.X+r.W+m)-ex, min(orig.height(), r.Y+r.H+m)-ey
	patch, err := orig.area(ex, ey, ew, eh)
	if err != nil {
		return err
	}
	defer patch.close()
	if err := blurKeepFormat(patch, sigma); err != nil {
		return err
	}
	if err := patch.extractArea(r.X-ex, r.Y-ey, r.W, r.H); err != nil {
		return err
	}
	return im.insert(patch, r.X, r.Y)
}
