package vips

/*
#include "cvips.h"
*/
import "C"

import (
	"math"

	"github.com/imgedge/imgedge/options"
)

// watermark overlays the configured mark (url-api.md §4 watermark):
// opacity × IMGPROXY_WATERMARK_OPACITY, position with offsets (px × dpr or
// fraction of the result), optional scale relative to the result, and `re`
// tiling with spacing. A no-op without a configured mark.
func (p *Processor) watermark(im *image, o *options.Options, dpr float64) error {
	wmo := o.Watermark
	if p.wm == nil || !wmo.Enabled() {
		return nil
	}
	opacity := wmo.Opacity * p.cfg.WatermarkOpacity
	if opacity <= 0 {
		return nil
	}
	var out *C.VipsImage
	if C.ie_copy(p.wm.p, &out) != 0 {
		return vipsError("copy")
	}
	mark := &image{p: out}
	defer mark.close()

	W, H := im.width(), im.height()
	if wmo.Scale > 0 {
		s := math.Min(float64(W)*wmo.Scale/float64(mark.width()), float64(H)*wmo.Scale/float64(mark.height()))
		w, h := max(1, round(float64(mark.width())*s)), max(1, round(float64(mark.height())*s))
		if err := p.resizeTo(mark, w, h); err != nil {
			return err
		}
	}
	if opacity < 1 {
		if err := mark.multiplyAlpha(opacity); err != nil {
			return err
		}
	}

	hadAlpha := im.hasAlpha()
	if im.bands() < 3 {
		if err := im.colourspace(C.VIPS_INTERPRETATION_sRGB); err != nil {
			return err
		}
	}
	x, y := 0, 0
	if wmo.Position.Type == options.GravityReplicate {
		sx := max(0, gravityOffset(wmo.Position.X, dpr, W))
		sy := max(0, gravityOffset(wmo.Position.Y, dpr, H))
		tw, th := mark.width()+sx, mark.height()+sy
		if sx > 0 || sy > 0 {
			if err := mark.embed(sx/2, sy/2, tw, th, []float64{0, 0, 0, 0}); err != nil {
				return err
			}
		}
		// The spacing is split around the mark (half on each side); the
		// grid is centred on the image: one tile sits on the centre,
		// so there is an odd number of tiles across and down and partial
		// tiles on opposite edges are equal (like imgproxy).
		across, down := oddCeil(W, tw), oddCeil(H, th)
		if err := mark.replicate(across, down); err != nil {
			return err
		}
		if err := mark.extractArea((across*tw-W)/2, (down*th-H)/2, W, H); err != nil {
			return err
		}
	} else {
		x, y = position(W, H, mark.width(), mark.height(), wmo.Position, dpr, true)
	}
	format := im.bandFormat()
	if err := im.compositeOver(mark, x, y); err != nil {
		return err
	}
	if err := im.cast(format); err != nil {
		return err
	}
	if !hadAlpha && im.hasAlpha() {
		return im.extractBand(0, im.bands()-1)
	}
	return nil
}

// oddCeil is the smallest odd number of tiles of size t covering n.
func oddCeil(n, t int) int {
	k := (n + t - 1) / t
	if k%2 == 0 {
		k++
	}
	return k
}
