package vips

import (
	"math"

	"github.com/imgedge/imgedge/options"
)

// progressiveBlurLevels is how many blurs a progressive blur mixes: the
// sigma grows in this many steps along the ramp, and between two steps
// the neighbouring blurs are blended.
const progressiveBlurLevels = 4

// progressiveBlur blurs the image more and more along its direction, from
// none at start to the option's sigma at stop (progressive_blur). The
// image is blurred at sigma × k / n for k = 1..n and each blur is blended
// in over its own stretch of the ramp.
func progressiveBlur(st *state) error {
	pb := st.o.ProgressiveBlur
	if pb.Sigma <= 0 {
		return nil
	}
	im := st.im
	orig, err := snapshot(im)
	if err != nil {
		return err
	}
	defer orig.close()
	n := min(progressiveBlurLevels, max(1, int(math.Ceil(pb.Sigma))))
	for k := range n {
		if err := blendBlur(im, orig, pb.Sigma*float64(k+1)/float64(n), n, k, pb.Ramp); err != nil {
			return err
		}
	}
	return nil
}

// blendBlur blends orig blurred with sigma into im over level k of n of
// the ramp.
func blendBlur(im, orig *image, sigma float64, n, k int, r options.Ramp) error {
	b, err := orig.clone()
	if err != nil {
		return err
	}
	defer b.close()
	if err := blurKeepFormat(b, sigma); err != nil {
		return err
	}
	mask, err := rampMask(im.width(), im.height(), r, float64(n), float64(k))
	if err != nil {
		return err
	}
	defer mask.close()
	return im.blendWith(b, mask)
}
