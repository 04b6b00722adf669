package vips

import (
	"math"

	"github.com/imgedge/imgedge/options"
)

// orient is a dihedral transform: rotate Angle degrees clockwise, then
// mirror horizontally when Flip is set. Every combination of EXIF
// orientation, rotate and flip reduces to one of these eight.
type orient struct {
	Angle int // 0, 90, 180, 270
	Flip  bool
}

// exifOrient maps EXIF orientation 1..8 to a transform that makes the
// image upright.
func exifOrient(o int) orient {
	switch o {
	case 2:
		return orient{0, true}
	case 3:
		return orient{180, false}
	case 4:
		return orient{180, true}
	case 5:
		return orient{90, true}
	case 6:
		return orient{90, false}
	case 7:
		return orient{270, true}
	case 8:
		return orient{270, false}
	}
	return orient{}
}

// then returns t followed by a clockwise rotation by a and the given flips.
// A flip conjugates a rotation into its inverse, hence the minus sign.
func (t orient) then(a int, flipH, flipV bool) orient {
	if t.Flip {
		t.Angle -= a
	} else {
		t.Angle += a
	}
	if flipH {
		t.Flip = !t.Flip
	}
	if flipV { // vertical mirror = rotate 180 then mirror horizontally
		t.Angle += 180
		t.Flip = !t.Flip
	}
	t.Angle = ((t.Angle % 360) + 360) % 360
	return t
}

// swaps reports whether the transform exchanges width and height.
func (t orient) swaps() bool { return t.Angle%180 == 90 }

// transformFor composes EXIF orientation (when autoRotate) with the
// user's rotate and flip, in that order (docs/processing.md, "orient").
func transformFor(o *options.Options, exif int) orient {
	var t orient
	if o.AutoRotate {
		t = exifOrient(exif)
	}
	return t.then(o.Rotate, o.FlipH, o.FlipV)
}

// toRaw maps a pixel of the transformed image back to the untransformed
// W×H image.
func (t orient) toRaw(x, y, w, h int) (int, int) {
	ow, _ := w, h
	if t.swaps() {
		ow = h
	}
	if t.Flip {
		x = ow - 1 - x
	}
	switch t.Angle {
	case 90:
		return y, h - 1 - x
	case 180:
		return w - 1 - x, h - 1 - y
	case 270:
		return w - 1 - y, x
	}
	return x, y
}

// rectToRaw maps a rectangle of the transformed image back to the raw image.
func (t orient) rectToRaw(r rect, w, h int) rect {
	x0, y0 := t.toRaw(r.X, r.Y, w, h)
	x1, y1 := t.toRaw(r.X+r.W-1, r.Y+r.H-1, w, h)
	return rect{X: min(x0, x1), Y: min(y0, y1), W: abs(x1-x0) + 1, H: abs(y1-y0) + 1}
}

type rect struct{ X, Y, W, H int }

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}

// round is round-half-away-from-zero, used for sizes.
func round(v float64) int { return int(math.Round(v)) }

// rte is round-half-to-even, used for offsets, paddings and fp positions.
func rte(v float64) int { return int(math.RoundToEven(v)) }

// geometry is the complete size plan for one request, computed from the
// oriented source size before any pixel is decoded (docs/processing.md,
// "Geometry"). All sizes are in the final orientation.
type geometry struct {
	// Crop is the source area (oriented source pixels) cut before resizing.
	// CropGravity is its gravity; for GravitySmart the X/Y are found at run time.
	Crop        rect
	CropGravity options.Gravity

	// Scaled is the size after resizing the crop area.
	ScaledW, ScaledH int
	DprScale         float64

	// Target is the requested size × dpr × zoom (0 = unset dimension).
	TargetW, TargetH int

	// Result crop: a ResultW×ResultH window of the scaled image.
	ResultW, ResultH int
	ResultX, ResultY int // unused for GravitySmart

	// Extend: the image is placed at ExtX,ExtY on ExtW×ExtH.
	ExtW, ExtH, ExtX, ExtY int
	// Extend aspect ratio: placed at ArX,ArY on ArW×ArH.
	ArW, ArH, ArX, ArY int
	// Padding after dpr scaling.
	PadT, PadR, PadB, PadL int

	// Final size including padding, before format caps.
	FinalW, FinalH int
}

// cropSide is the crop option for one dimension: >= 1 pixels, (0, 1) a
// fraction of the side, 0 the full side.
func cropSide(c float64, full int) int {
	var v int
	switch {
	case c >= 1:
		v = int(c)
	case c > 0:
		v = max(1, round(float64(full)*c))
	default:
		return full
	}
	return min(v, full)
}

// gravityOffset converts a gravity offset to pixels: |v| >= 1 are pixels
// multiplied by dpr, smaller values a fraction of outer.
func gravityOffset(v, dpr float64, outer int) int {
	if math.Abs(v) >= 1 {
		return rte(v * dpr)
	}
	return rte(v * float64(outer))
}

// position places an innerW×innerH box in an outer box per gravity
// (docs/processing.md, "Gravity") and returns its top-left corner. With overflow false the box is kept
// inside; with true (watermarks) it may stick out but keeps one pixel inside.
func position(outerW, outerH, innerW, innerH int, g options.Gravity, dpr float64, overflow bool) (left, top int) {
	if g.Type == options.GravityFocusPoint {
		left = rte(float64(outerW)*g.X) - innerW/2
		top = rte(float64(outerH)*g.Y) - innerH/2
	} else {
		offX := gravityOffset(g.X, dpr, outerW)
		offY := gravityOffset(g.Y, dpr, outerH)
		left = (outerW-innerW+1)/2 + offX
		top = (outerH-innerH+1)/2 + offY
		switch g.Type {
		case options.GravityNorth, options.GravityNorthEast, options.GravityNorthWest:
			top = offY
		case options.GravitySouth, options.GravitySouthEast, options.GravitySouthWest:
			top = outerH - innerH - offY
		}
		switch g.Type {
		case options.GravityEast, options.GravityNorthEast, options.GravitySouthEast:
			left = outerW - innerW - offX
		case options.GravityWest, options.GravityNorthWest, options.GravitySouthWest:
			left = offX
		}
	}
	minX, maxX, minY, maxY := 0, outerW-innerW, 0, outerH-innerH
	if overflow {
		minX, maxX, minY, maxY = -innerW+1, outerW-1, -innerH+1, outerH-1
	}
	left = max(minX, min(left, maxX))
	top = max(minY, min(top, maxY))
	return left, top
}

// computeGeometry plans the sizes of docs/processing.md ("Geometry") for
// an oriented w×h source: crop area, scale, result crop, extend, padding
// and max_result_dimension. vector sources (SVG, PDF) ignore enlarge.
func computeGeometry(o *options.Options, w, h int, vector bool) geometry {
	var g geometry
	aw, ah := cropSide(o.Crop.Width, w), cropSide(o.Crop.Height, h)
	aw, ah = cropAspectRatio(o.CropAspectRatio, aw, ah, w, h)
	g.CropGravity = o.Gravity
	if o.Crop.HasGravity {
		g.CropGravity = o.Crop.Gravity
	}
	g.Crop = rect{W: aw, H: ah}
	if (aw != w || ah != h) && g.CropGravity.Type != options.GravitySmart {
		g.Crop.X, g.Crop.Y = position(w, h, aw, ah, g.CropGravity, 1, false)
	}
	ws, hs, dprScale, zx, zy := shrinkFactors(o, aw, ah, vector)
	g.layout(o, aw, ah, 1/ws, 1/hs, dprScale, zx, zy)
	if m := o.Limits.MaxResultDimension; m > 0 {
		if side := max(g.FinalW, g.FinalH); side > m {
			f := float64(m) / float64(side)
			g.layout(o, aw, ah, f/ws, f/hs, dprScale*f, zx, zy)
		}
	}
	return g
}

// shrinkFactors returns how much the aw×ah crop area shrinks on each axis
// (ws, hs: source pixels per result pixel) for the resizing type, zoom,
// dpr, enlarge and min sizes, the effective dpr scale and the zoom.
func shrinkFactors(o *options.Options, aw, ah int, vector bool) (ws, hs, dprScale, zx, zy float64) {
	ws, hs = typeShrink(o, aw, ah)
	zx, zy = orOne(o.ZoomX), orOne(o.ZoomY)
	ws /= zx
	hs /= zy
	dprScale = orOne(o.Dpr)
	if !o.Enlarge && !vector {
		if m := math.Min(ws, hs); m < 1 {
			ws /= m
			hs /= m
			if !o.Extend.Enabled {
				dprScale /= m
			}
		}
		dprScale = math.Min(dprScale, math.Min(ws, hs))
	}
	if o.MinWidth > 0 {
		if mws := float64(aw) / float64(o.MinWidth); mws < ws {
			hs /= ws / mws
			ws = mws
		}
	}
	if o.MinHeight > 0 {
		if mhs := float64(ah) / float64(o.MinHeight); mhs < hs {
			ws /= hs / mhs
			hs = mhs
		}
	}
	ws /= dprScale
	hs /= dprScale
	ws = math.Min(ws, float64(aw))
	hs = math.Min(hs, float64(ah))
	return ws, hs, dprScale, zx, zy
}

// orOne returns v, or 1 when v is unset (<= 0).
func orOne(v float64) float64 {
	if v <= 0 {
		return 1
	}
	return v
}

// typeShrink returns the shrink factors of the resizing type alone (auto
// resolved to fill or fit by orientation), before zoom, dpr and enlarge.
func typeShrink(o *options.Options, aw, ah int) (ws, hs float64) {
	dstW, dstH := o.Width, o.Height
	if dstW == 0 {
		dstW = aw
	}
	if dstH == 0 {
		dstH = ah
	}
	ws, hs = float64(aw)/float64(dstW), float64(ah)/float64(dstH)
	if ws != 1 || hs != 1 {
		rt := o.ResizingType
		if rt == options.ResizeAuto {
			if (aw-ah >= 0) == (dstW-dstH >= 0) {
				rt = options.ResizeFill
			} else {
				rt = options.ResizeFit
			}
		}
		switch {
		case o.Width == 0 && rt != options.ResizeForce:
			ws = hs
		case o.Height == 0 && rt != options.ResizeForce:
			hs = ws
		case rt == options.ResizeFit:
			ws = math.Max(ws, hs)
			hs = ws
		case rt == options.ResizeFill || rt == options.ResizeFillDown:
			ws = math.Min(ws, hs)
			hs = ws
		}
	}
	return ws, hs
}

// layout computes the scaled size, the target size and, from them, the
// result crop and the canvas for the given scales.
func (g *geometry) layout(o *options.Options, aw, ah int, sx, sy, dprScale, zx, zy float64) {
	g.DprScale = dprScale
	g.ScaledW = max(1, round(float64(aw)*sx))
	g.ScaledH = max(1, round(float64(ah)*sy))
	g.TargetW, g.TargetH = 0, 0
	if o.Width > 0 {
		g.TargetW = max(1, round(float64(o.Width)*dprScale*zx))
	}
	if o.Height > 0 {
		g.TargetH = max(1, round(float64(o.Height)*dprScale*zy))
	}

	g.cropResult(o, dprScale)
	g.canvas(o, dprScale)
}

// cropResult plans the result crop: a window of the target size (fill,
// fill-down, force with both sides set) on the scaled image, at gravity.
// fill-down without enlarge keeps the target's aspect ratio but never
// crops wider or taller than the scaled image.
func (g *geometry) cropResult(o *options.Options, dprScale float64) {
	cw, ch := g.TargetW, g.TargetH
	if o.ResizingType == options.ResizeFillDown && !o.Enlarge && cw > 0 && ch > 0 {
		diffW := float64(cw) / float64(g.ScaledW)
		diffH := float64(ch) / float64(g.ScaledH)
		switch {
		case diffW > diffH && diffW > 1:
			ch = round(float64(g.ScaledW) * float64(ch) / float64(cw))
			cw = g.ScaledW
		case diffH > diffW && diffH > 1:
			cw = round(float64(g.ScaledH) * float64(cw) / float64(ch))
			ch = g.ScaledH
		}
	}
	if cw <= 0 || cw > g.ScaledW {
		cw = g.ScaledW
	}
	if ch <= 0 || ch > g.ScaledH {
		ch = g.ScaledH
	}
	g.ResultW, g.ResultH = cw, ch
	g.ResultX, g.ResultY = 0, 0
	if (cw != g.ScaledW || ch != g.ScaledH) && o.Gravity.Type != options.GravitySmart {
		g.ResultX, g.ResultY = position(g.ScaledW, g.ScaledH, cw, ch, o.Gravity, dprScale, false)
	}
}

// canvas plans what is added around the result crop: extend to the target
// size, extend_aspect_ratio to the requested aspect ratio, then padding
// (scaled by dpr), and the final size.
func (g *geometry) canvas(o *options.Options, dprScale float64) {
	w, h := g.ResultW, g.ResultH
	g.ExtW, g.ExtH, g.ExtX, g.ExtY = w, h, 0, 0
	if o.Extend.Enabled {
		ew, eh := w, h
		if g.TargetW > w {
			ew = g.TargetW
		}
		if g.TargetH > h {
			eh = g.TargetH
		}
		if ew != w || eh != h {
			g.ExtW, g.ExtH = ew, eh
			g.ExtX, g.ExtY = position(ew, eh, w, h, o.Extend.Gravity, dprScale, false)
			w, h = ew, eh
		}
	}
	g.ArW, g.ArH, g.ArX, g.ArY = w, h, 0, 0
	if o.ExtendAspectRatio.Enabled && o.Width > 0 && o.Height > 0 {
		src := float64(w) / float64(h)
		dst := float64(o.Width) / float64(o.Height)
		aw, ah := w, h
		switch {
		case dst > src:
			aw = round(float64(h) * dst)
		case dst < src:
			ah = round(float64(w) / dst)
		}
		if aw > w || ah > h {
			aw, ah = max(aw, w), max(ah, h)
			g.ArW, g.ArH = aw, ah
			g.ArX, g.ArY = position(aw, ah, w, h, o.ExtendAspectRatio.Gravity, dprScale, false)
			w, h = aw, ah
		}
	}
	g.PadT, g.PadR, g.PadB, g.PadL = 0, 0, 0, 0
	if o.Padding.Enabled {
		g.PadT = rte(float64(o.Padding.Top) * dprScale)
		g.PadR = rte(float64(o.Padding.Right) * dprScale)
		g.PadB = rte(float64(o.Padding.Bottom) * dprScale)
		g.PadL = rte(float64(o.Padding.Left) * dprScale)
	}
	g.FinalW = w + g.PadL + g.PadR
	g.FinalH = h + g.PadT + g.PadB
}

// formatMaxSide is the largest side a format can store (the fix size step);
// 0 = none.
func formatMaxSide(f options.Format) int {
	switch f {
	case options.FormatWebP:
		return 16383
	case options.FormatAVIF, options.FormatHEIC:
		return 16384
	case options.FormatICO:
		return 256
	case options.FormatGIF:
		return 65535
	}
	return 0
}

// capSize returns the size after the format's proportional size cap.
func capSize(f options.Format, w, h int) (int, int) {
	m := formatMaxSide(f)
	if m == 0 || (w <= m && h <= m) {
		return w, h
	}
	s := float64(m) / float64(max(w, h))
	return max(1, min(m, round(float64(w)*s))), max(1, min(m, round(float64(h)*s)))
}
