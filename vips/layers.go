package vips

import (
	"math"

	"github.com/imgedge/imgedge/options"
)

// Helpers shared by the steps of the imgproxy Pro image options (adjust,
// monochrome, duotone, colorize, gradient, unsharp masking, progressive
// blur): colour-band work that leaves alpha alone, constant images and
// linear ramps.

// colourOnly runs fn on the colour bands of im (alpha split off and
// joined back) and casts the result back to im's band format. fn may turn
// grey into colour.
func colourOnly(im *image, fn func(c *image) error) error {
	format := im.bandFormat()
	if !im.hasAlpha() {
		if err := fn(im); err != nil {
			return err
		}
		return im.cast(format)
	}
	alpha, err := im.band(im.bands()-1, 1)
	if err != nil {
		return err
	}
	defer alpha.close()
	if err := im.extractBand(0, im.bands()-1); err != nil {
		return err
	}
	if err := fn(im); err != nil {
		return err
	}
	if err := im.cast(format); err != nil {
		return err
	}
	return im.bandjoin(alpha)
}

// colourBands is the number of bands of im without alpha.
func colourBands(im *image) int {
	if im.hasAlpha() {
		return im.bands() - 1
	}
	return im.bands()
}

// toColour converts a grey image to sRGB (RGB16 when 16-bit), keeping
// alpha; colour images are left alone.
func toColour(im *image) error {
	if colourBands(im) >= 3 {
		return nil
	}
	if im.bandFormat() == formatUshort {
		return im.colourspace(interpRGB16)
	}
	return im.colourspace(interpSRGB)
}

// sampleScale is the value of 1/255 of full scale in im's band format:
// 1 for 8-bit, 257 for 16-bit.
func sampleScale(im *image) float64 {
	if im.bandFormat() == formatUshort {
		return 257
	}
	return 1
}

// constImage returns a w×h image whose every pixel is vals (8-bit values,
// one per band), in format f (16-bit values are scaled by 257). Three or
// more bands read as sRGB (RGB16).
func constImage(w, h int, vals []float64, f bandFormat) (*image, error) {
	im, err := newBlack(w, h, 1)
	if err != nil {
		return nil, err
	}
	a, b := make([]float64, len(vals)), make([]float64, len(vals))
	for i, v := range vals {
		b[i] = v
		if f == formatUshort {
			b[i] = v * 257
		}
	}
	if err := im.linear(a, b, f == formatUchar); err != nil {
		im.close()
		return nil, err
	}
	if err := im.cast(f); err == nil {
		err = im.copy()
	}
	if err != nil {
		im.close()
		return nil, err
	}
	switch {
	case len(vals) >= 3 && f == formatUshort:
		im.setInterp(interpRGB16)
	case len(vals) >= 3:
		im.setInterp(interpSRGB)
	}
	return im, nil
}

// blendConst mixes other into im by t in [0, 1] (0 keeps im, 1 is other).
func blendConst(im, other *image, t float64) error {
	if t >= 1 {
		im.take(other)
		return nil
	}
	mask, err := constImage(im.width(), im.height(), []float64{math.Round(255 * t)}, formatUchar)
	if err != nil {
		return err
	}
	defer mask.close()
	return im.blendWith(other, mask)
}

// rampMask returns a w×h 8-bit mask that follows r across the image:
// 255 × clamp(gain × f − offset, 0, 1), where f goes from 0 at r.Start to
// 1 at r.Stop along the direction r.Angle (docs/options.md, gradient).
// The position of a pixel is the projection of its centre on the
// direction, 0 at the first corner of the image the direction meets and
// 1 at the last.
func rampMask(w, h int, r options.Ramp, gain, offset float64) (*image, error) {
	sin, cos := math.Sincos(r.Angle * math.Pi / 180)
	dx, dy := -sin, cos // 0° points down, 90° left (clockwise on screen)
	extent := math.Abs(float64(w)*dx) + math.Abs(float64(h)*dy)
	span := math.Max(r.Stop-r.Start, 1e-6)
	k := 255 * gain / (span * extent)
	c := k*((0.5-float64(w)/2)*dx+(0.5-float64(h)/2)*dy) + 255*gain*(0.5-r.Start)/span - 255*offset
	m, err := newXY(w, h)
	if err != nil {
		return nil, err
	}
	if err := m.recomb([]float64{k * dx, k * dy}, 1); err != nil {
		m.close()
		return nil, err
	}
	if err := m.linear([]float64{1}, []float64{c}, true); err != nil {
		m.close()
		return nil, err
	}
	return m, nil
}

// snapshot computes im into memory (the steps read it more than once)
// and returns a second reference to it, which the caller closes: the
// original pixels while im changes.
func snapshot(im *image) (*image, error) {
	if err := im.copyMemory(); err != nil {
		return nil, err
	}
	return im.clone()
}

// blurKeepFormat blurs im with sigma and keeps its band format.
func blurKeepFormat(im *image, sigma float64) error {
	format := im.bandFormat()
	if err := im.gaussblur(sigma); err != nil {
		return err
	}
	return im.cast(format)
}
