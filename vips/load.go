package vips

import (
	"math"

	"github.com/imgedge/imgedge/options"
	"github.com/imgedge/imgedge/vips/imagemeta"
)

// Loading: the header first (lazy, no pixels), then at most one reload
// with the decoder doing most of the downscale (shrink-on-load). Trim
// (trim.go) reloads at full size instead.

// load decodes src as f (lazily for libvips formats). The image borrows
// src until closed.
func (p *Processor) load(src []byte, f options.Format, lp loadParams) (*image, error) {
	switch f {
	case options.FormatBMP:
		return loadBMP(src)
	case options.FormatICO:
		return loadICO(src, func(b []byte) (*image, error) {
			return p.load(b, options.FormatPNG, loadParams{n: 1})
		})
	}
	if len(src) == 0 {
		return nil, options.Errorf(options.KindInvalidImage, "empty source")
	}
	lp.unlimited = (f == options.FormatPNG && p.cfg.PNGUnlimited) || (f == options.FormatSVG && p.cfg.SVGUnlimited)
	im, err := loadBuffer(src, f, lp)
	if err != nil {
		kind := options.KindBrokenImage
		if f == options.FormatSVG {
			kind = options.KindBrokenSVG
		}
		return nil, options.Wrap(kind, "load "+f.String(), err)
	}
	return im, nil
}

// loadHeader opens the source lazily (st.frames pages), reads its size,
// page height and orientation, and checks the resolution limits again on
// what libvips read (width, page height, pages loaded): the probe checked
// its own reading of the header, and a file the two read differently must
// not bring an oversized image in. A JPEG or WebP still that the decoder
// shrinks is opened once, already shrunk, instead (loadonce.go).
func (st *state) loadHeader() error {
	if ok, err := st.loadShrunk(); ok || err != nil {
		return err
	}
	if err := st.countPages(); err != nil {
		return err
	}
	if err := st.reload(st.withPages(loadParams{seq: true, n: st.frames})); err != nil {
		return err
	}
	im := st.im
	st.rawW, st.rawH = im.width(), im.height()
	if st.animated {
		if ph := im.getInt("page-height", st.rawH); ph > 0 && st.rawH%ph == 0 {
			st.frames = st.rawH / ph
			st.rawH = ph
		}
	}
	st.orientation = im.getInt("orientation", 1)
	seen := imagemeta.Meta{Format: st.meta.Format, Width: st.rawW, Height: st.rawH, Frames: st.frames}
	return imagemeta.CheckLimits(seen, st.o.Limits)
}

// vectorGuard renders a huge SVG or PDF smaller, so that its raster stays
// within IMGPROXY_MAX_SRC_RESOLUTION (vector sources are exempt from the
// resolution check; they are scaled instead).
func vectorGuard(st *state) error {
	st.vscale = 1
	mr := st.o.Limits.MaxSrcResolution
	if !st.vector || mr <= 0 || int64(st.rawW)*int64(st.rawH) <= mr {
		return nil
	}
	st.vscale = math.Sqrt(float64(mr) / (float64(st.rawW) * float64(st.rawH)))
	st.rawW, st.rawH = max(1, int(float64(st.rawW)*st.vscale)), max(1, int(float64(st.rawH)*st.vscale))
	return nil
}

// scaleOnLoad reopens the source with the decoder doing most of the
// downscale (JPEG shrink, WebP/SVG/PDF scale, HEIF thumbnail), or with all
// frames of an animation. An embedded HEIF thumbnail too small for the
// result is dropped for the full picture unless enforce_thumbnail.
func scaleOnLoad(st *state) error {
	if st.trimmed {
		return nil
	}
	lp := st.shrinkOnLoad()
	if lp.shrink <= 1 && lp.scale == 1 && !lp.thumbnail && !st.animated {
		return nil
	}
	if st.shrunk != nil && *st.shrunk == lp {
		return nil // loaded so already (loadonce.go)
	}
	if err := st.reload(lp); err != nil {
		return err
	}
	if lp.thumbnail && !st.o.EnforceThumbnail && float64(st.im.width())/float64(st.rawW) < st.neededScale() {
		return st.reload(loadParams{seq: true, n: 1})
	}
	return nil
}

// shrinkOnLoad picks decoder-side downscaling for the plan.
func (st *state) shrinkOnLoad() loadParams {
	lp := st.withPages(loadParams{seq: !st.animated, n: st.frames, scale: st.vscale, shrink: 1})
	f := st.meta.Format
	switch {
	case st.vector:
		// Render directly at the needed scale.
		lp.scale = st.vscale * st.neededScale()
		return lp
	case (f == options.FormatHEIC || f == options.FormatAVIF) && st.o.EnforceThumbnail:
		lp.thumbnail = true
		return lp
	case st.p.cfg.DisableShrinkOnLoad || st.animated:
		return lp
	}
	scale := st.neededScale()
	if scale >= 1 {
		return lp
	}
	shrink := 1 / scale
	// A source crop must start on a whole pixel of the shrunk image, else
	// the result would be shifted by a fraction of a pixel: use a smaller
	// factor that divides the crop offset.
	r := st.t.rectToRaw(st.g.Crop, st.rawW, st.rawH)
	aligned := func(s int) bool { return r.X%s == 0 && r.Y%s == 0 }
	switch f {
	case options.FormatJPEG:
		for _, s := range []int{8, 4, 2} {
			if shrink >= float64(s) && aligned(s) {
				lp.shrink = s
				break
			}
		}
	case options.FormatWebP:
		for s := int(shrink); s >= 2; s-- {
			if aligned(s) {
				lp.scale = 1 / float64(s)
				break
			}
		}
	case options.FormatHEIC, options.FormatAVIF:
		lp.thumbnail = shrink >= 2
	}
	return lp
}

// neededScale is the scale from the source crop area to the resized image
// (the larger of both axes): decoders may shrink by no more than this.
func (st *state) neededScale() float64 {
	return math.Max(float64(st.g.ScaledW)/float64(st.g.Crop.W), float64(st.g.ScaledH)/float64(st.g.Crop.H))
}
