package vips

import (
	"math"
	"runtime"

	"github.com/imgedge/imgedge/options"
)

// loadWatermark decodes the configured mark once (NewProcessor) into an
// 8-bit sRGB image with alpha, in memory, so that requests only read it.
func (p *Processor) loadWatermark(data []byte) (*image, error) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	return p.decodeMark(data, nil)
}

// watermark overlays the request's mark (docs/processing.md, watermark):
// the configured one, or watermark_url's image or watermark_text's text
// (marks.go); opacity × IMGPROXY_WATERMARK_OPACITY, position with offsets
// (px × dpr or fraction of the result), size (scale relative to the result,
// else watermark_size), rotation and shadow, and `re`/`ch` tiling with
// spacing. A no-op without a mark.
func watermark(st *state) error {
	wmo := st.o.Watermark
	if !wmo.Enabled() || wmo.Opacity*st.p.cfg.WatermarkOpacity <= 0 {
		return nil
	}
	if st.wmark == nil || st.wmarkFor != st.o { // once per pipeline, not per frame
		st.wmark.close()
		mark, err := st.prepareMark()
		st.wmark, st.wmarkFor = mark, st.o
		if err != nil || mark == nil {
			return err
		}
	}
	mark, err := st.wmark.clone() // overlay changes it; every frame starts from the prepared one
	if err != nil {
		return err
	}
	defer mark.close()
	return overlay(st.im, mark, wmo.Position, st.g.DprScale)
}

// prepareMark returns the mark sized, rotated, shadowed and faded for
// st.im, computed into memory (animations reuse it for every frame), or
// nil without a mark.
func (st *state) prepareMark() (*image, error) {
	p, wmo := st.p, st.o.Watermark
	mark, err := st.baseMark()
	if err != nil || mark == nil {
		return nil, err
	}
	ok := false
	defer func() {
		if !ok {
			mark.close()
		}
	}()
	W, H := st.im.width(), st.im.height()
	mw, mh := float64(mark.width()), float64(mark.height())
	s := 0.0
	switch {
	case wmo.Scale > 0:
		s = math.Min(float64(W)*wmo.Scale/mw, float64(H)*wmo.Scale/mh)
	case wmo.Width > 0 || wmo.Height > 0:
		// watermark_size: fit into the box (× dpr), enlarging if needed;
		// a 0 side follows the other.
		s = math.Inf(1)
		if wmo.Width > 0 {
			s = float64(wmo.Width) * st.g.DprScale / mw
		}
		if wmo.Height > 0 {
			s = math.Min(s, float64(wmo.Height)*st.g.DprScale/mh)
		}
	}
	if s > 0 {
		w, h := max(1, round(mw*s)), max(1, round(mh*s))
		if int64(w)*int64(h) > p.cfg.MaxResultPixels {
			return nil, options.Errorf(options.KindResultTooBig, "watermark would be %dx%d", w, h)
		}
		if err := p.resizeTo(mark, w, h); err != nil {
			return nil, err
		}
	}
	if err := rotateMark(mark, wmo.Rotate); err != nil {
		return nil, err
	}
	if wmo.Shadow > 0 {
		if err := mark.shadowMark(wmo.Shadow, int(math.Ceil(3*wmo.Shadow))); err != nil {
			return nil, err
		}
	}
	if opacity := wmo.Opacity * p.cfg.WatermarkOpacity; opacity < 1 {
		if err := mark.multiplyAlpha(opacity); err != nil {
			return nil, err
		}
	}
	if err := mark.copyMemory(); err != nil {
		return nil, err
	}
	ok = true
	return mark, nil
}

// rotateMark turns the mark clockwise: exactly for multiples of 90
// degrees, else interpolated on a transparent canvas that holds the whole
// turned mark.
func rotateMark(mark *image, angle float64) error {
	switch angle {
	case 0:
		return nil
	case 90, 180, 270:
		return mark.rot(int(angle))
	}
	return mark.rotateMark(angle)
}

// overlay composes mark over im at pos (tiled for GravityReplicate and
// GravityChessboard). im keeps its band format and gains no alpha band.
func overlay(im, mark *image, pos options.Gravity, dpr float64) error {
	W, H := im.width(), im.height()
	hadAlpha := im.hasAlpha()
	if im.bands() < 3 {
		if err := im.colourspace(interpSRGB); err != nil {
			return err
		}
	}
	x, y := 0, 0
	if pos.Type == options.GravityReplicate || pos.Type == options.GravityChessboard {
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
// equal (like imgproxy). For GravityChessboard only every other cell holds
// the mark, in chessboard order, the centre cell among them.
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
	if pos.Type == options.GravityChessboard {
		// A 2×2 block with the mark in two opposite cells; the centre cell
		// (across/2, down/2) is a marked one.
		if err := chessBlock(mark, tw, th, (across/2+down/2)%2 == 1); err != nil {
			return err
		}
		if err := mark.replicate((across+1)/2, (down+1)/2); err != nil {
			return err
		}
	} else if err := mark.replicate(across, down); err != nil {
		return err
	}
	return mark.extractArea((across*tw-W)/2, (down*th-H)/2, W, H)
}

// chessBlock turns a tw×th cell into a 2tw×2th block with the cell at the
// top left and bottom right, or (odd) at the top right and bottom left.
func chessBlock(cell *image, tw, th int, odd bool) error {
	other, err := cell.clone()
	if err != nil {
		return err
	}
	defer other.close()
	x0, x1 := 0, tw
	if odd {
		x0, x1 = tw, 0
	}
	transparent := []float64{0, 0, 0, 0}
	if err := cell.embed(x0, 0, 2*tw, 2*th, transparent); err != nil {
		return err
	}
	if err := other.embed(x1, th, 2*tw, 2*th, transparent); err != nil {
		return err
	}
	if err := cell.compositeOver(other, 0, 0); err != nil {
		return err
	}
	return cell.cast(formatUchar)
}

// oddCeil is the smallest odd number of tiles of size t covering n.
func oddCeil(n, t int) int {
	k := (n + t - 1) / t
	if k%2 == 0 {
		k++
	}
	return k
}
