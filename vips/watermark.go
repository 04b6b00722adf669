package vips

import (
	"math"
	"runtime"

	"github.com/imgedge/imgedge/options"
	"github.com/imgedge/imgedge/vips/imagemeta"
)

// loadWatermark decodes the configured mark once (NewProcessor) into an
// 8-bit sRGB image with alpha, in memory, so that requests only read it.
func (p *Processor) loadWatermark(data []byte) (*image, error) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	meta, err := imagemeta.ProbeWith(data, p.cfg.MaxSVGCheckBytes)
	if err != nil {
		return nil, err
	}
	if meta.Format == options.FormatPDF && !p.cfg.EnablePDF {
		return nil, options.Errorf(options.KindInvalidImage, "pdf sources are not supported")
	}
	im, err := p.load(data, meta.Format, loadParams{n: 1})
	if err != nil {
		return nil, err
	}
	if err := toSRGB8(im); err == nil && !im.hasAlpha() {
		err = im.addAlpha()
	}
	if err == nil {
		err = im.copyMemory()
	}
	if err != nil {
		im.close()
		return nil, options.Wrap(options.KindBrokenImage, "watermark", err)
	}
	return im, nil
}

// watermark overlays the configured mark (docs/processing.md, watermark):
// opacity × IMGPROXY_WATERMARK_OPACITY, position with offsets (px × dpr or
// fraction of the result), optional scale relative to the result, and `re`
// tiling with spacing. A no-op without a configured mark.
func watermark(st *state) error {
	p, wmo := st.p, st.o.Watermark
	if p.wm == nil || !wmo.Enabled() {
		return nil
	}
	opacity := wmo.Opacity * p.cfg.WatermarkOpacity
	if opacity <= 0 {
		return nil
	}
	mark, err := p.wm.clone()
	if err != nil {
		return err
	}
	defer mark.close()
	W, H := st.im.width(), st.im.height()
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
	return overlay(st.im, mark, wmo.Position, st.g.DprScale)
}

// overlay composes mark over im at pos (tiled for GravityReplicate). im
// keeps its band format and gains no alpha band.
func overlay(im, mark *image, pos options.Gravity, dpr float64) error {
	W, H := im.width(), im.height()
	hadAlpha := im.hasAlpha()
	if im.bands() < 3 {
		if err := im.colourspace(interpSRGB); err != nil {
			return err
		}
	}
	x, y := 0, 0
	if pos.Type == options.GravityReplicate {
		if err := tile(mark, W, H, pos, dpr); err != nil {
			return err
		}
	} else {
		x, y = position(W, H, mark.width(), mark.height(), pos, dpr, true)
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

// tile turns mark into a W×H sheet of copies. The spacing (pos.X, pos.Y,
// px × dpr) is split around the mark (half on each side); the grid is
// centred on the image: one tile sits on the centre, so there is an odd
// number of tiles across and down and partial tiles on opposite edges are
// equal (like imgproxy).
func tile(mark *image, W, H int, pos options.Gravity, dpr float64) error {
	sx := max(0, gravityOffset(pos.X, dpr, W))
	sy := max(0, gravityOffset(pos.Y, dpr, H))
	tw, th := mark.width()+sx, mark.height()+sy
	if sx > 0 || sy > 0 {
		if err := mark.embed(sx/2, sy/2, tw, th, []float64{0, 0, 0, 0}); err != nil {
			return err
		}
	}
	across, down := oddCeil(W, tw), oddCeil(H, th)
	if err := mark.replicate(across, down); err != nil {
		return err
	}
	return mark.extractArea((across*tw-W)/2, (down*th-H)/2, W, H)
}

// oddCeil is the smallest odd number of tiles of size t covering n.
func oddCeil(n, t int) int {
	k := (n + t - 1) / t
	if k%2 == 0 {
		k++
	}
	return k
}
