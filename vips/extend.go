package vips

import "github.com/imgedge/imgedge/options"

// extend places the result on the canvas of the extend option (the
// requested size, at its gravity).
func extend(st *state) error {
	g := &st.g
	if g.ExtW == g.ResultW && g.ExtH == g.ResultH {
		return nil
	}
	return st.embed(g.ExtX, g.ExtY, g.ExtW, g.ExtH)
}

// extendAspectRatio places the result on the smallest canvas with the
// requested aspect ratio (extend_aspect_ratio).
func extendAspectRatio(st *state) error {
	g := &st.g
	if g.ArW == g.ExtW && g.ArH == g.ExtH {
		return nil
	}
	return st.embed(g.ArX, g.ArY, g.ArW, g.ArH)
}

// padding adds the padding option's margins (scaled by dpr in the plan).
func padding(st *state) error {
	g, im := &st.g, st.im
	if g.PadT|g.PadR|g.PadB|g.PadL == 0 {
		return nil
	}
	return st.embed(g.PadL, g.PadT, im.width()+g.PadL+g.PadR, im.height()+g.PadT+g.PadB)
}

// embed places st.im at x,y on a w×h canvas: transparent when the output
// has alpha and no background is set, else the background colour (white
// when unset). A translucent background (background_alpha) is added by
// flatten, over a transparent canvas here.
func (st *state) embed(x, y, w, h int) error {
	im := st.im
	transparent := supportsAlpha(st.out) && (!st.o.HasBackground || st.translucentBackground())
	if transparent && !im.hasAlpha() {
		if err := im.addAlpha(); err != nil {
			return err
		}
	}
	vals, err := bgValues(im, st.background(), transparent)
	if err != nil {
		return err
	}
	return im.embed(x, y, w, h, vals)
}

// bgValues returns one fill value per band of im for colour c: zeros
// (alpha 0) when transparent, else c with an opaque alpha. A grey image is
// converted to sRGB first when c is not grey.
func bgValues(im *image, c options.Color, transparent bool) ([]float64, error) {
	colour := im.bands() >= 3
	if !colour && !transparent && !(c.R == c.G && c.G == c.B) {
		if err := im.colourspace(interpSRGB); err != nil {
			return nil, err
		}
		colour = true
	}
	scale := 1.0
	if im.bandFormat() == formatUshort {
		scale = 257
	}
	v := []float64{float64(c.R) * scale}
	if colour {
		v = append(v, float64(c.G)*scale, float64(c.B)*scale)
	}
	if transparent {
		clear(v)
	}
	if im.hasAlpha() {
		if transparent {
			v = append(v, 0)
		} else {
			v = append(v, 255*scale)
		}
	}
	return v, nil
}
