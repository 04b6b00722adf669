package vips

/*
#include "cvips.h"
*/
import "C"

import (
	"context"
	"math"
	"runtime"
	"sync"
	"unsafe"

	"github.com/imgedge/imgedge/options"
	"github.com/imgedge/imgedge/vips/imagemeta"
)

// Processor runs the processing pipeline. Create it with NewProcessor after
// Startup; it is safe for concurrent use by many goroutines (each call
// works on its own images; the shared watermark is immutable). Close it
// before Shutdown.
type Processor struct {
	cfg Config
	wm  *image // decoded watermark: sRGB with alpha, in memory; nil = none
}

// NewProcessor validates cfg, starts libvips if needed and decodes the
// watermark once.
func NewProcessor(cfg Config) (*Processor, error) {
	if err := Startup(cfg); err != nil {
		return nil, err
	}
	p := &Processor{cfg: cfg}
	if len(cfg.WatermarkData) > 0 {
		wm, err := p.loadWatermark(cfg.WatermarkData)
		if err != nil {
			return nil, err
		}
		p.wm = wm
	}
	return p, nil
}

// Close releases the watermark. The Processor must not be used afterwards.
func (p *Processor) Close() {
	if p.wm != nil {
		p.wm.close()
		p.wm = nil
	}
}

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
	if err := p.toSRGB8(im); err == nil && !im.hasAlpha() {
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

type loadParams struct {
	seq       bool
	shrink    int
	scale     float64
	n         int
	thumbnail bool
}

// load decodes src (lazily for libvips formats). The image borrows src
// until closed.
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
	unlimited := (f == options.FormatPNG && p.cfg.PNGUnlimited) || (f == options.FormatSVG && p.cfg.SVGUnlimited)
	if lp.n == 0 {
		lp.n = 1
	}
	var out *C.VipsImage
	rc := C.ie_load(C.int(f), unsafe.Pointer(&src[0]), C.size_t(len(src)), cbool(lp.seq), C.int(lp.shrink),
		C.double(lp.scale), C.int(lp.n), cbool(lp.thumbnail), cbool(unlimited), &out)
	if rc != 0 {
		kind := options.KindBrokenImage
		if f == options.FormatSVG {
			kind = options.KindBrokenSVG
		}
		return nil, options.Wrap(kind, "load "+f.String(), vipsError("load"))
	}
	return &image{p: out}, nil
}

// interrupted converts a finished context into an *options.Error.
func interrupted(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return options.Wrap(options.KindOf(err), "processing interrupted", err)
	}
	return nil
}

// Process runs the pipeline of url-api.md §5 on src and encodes the result.
//
// data may live in C memory (zero-copy) and is valid until release() is
// called; release is never nil on success. data may alias src
// (skip_processing, SVG passthrough): the caller must keep src alive until
// release(). Errors are *options.Error. Process locks its goroutine to the
// OS thread for the duration of the call (libvips' error buffer). o must
// not be nil; neg may be nil (no Accept negotiation, default preferred
// formats); res is filled in (may be nil when the caller does not care).
// ctx is checked between pipeline steps and also stops a running libvips
// computation (copy to memory, encoding): the error is then ctx's kind
// (KindTimeout or KindCanceled).
func (p *Processor) Process(ctx context.Context, src []byte, o *options.Options, neg *options.Negotiation, res *options.ResultMeta) (data []byte, release func(), err error) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	if res == nil {
		res = new(options.ResultMeta)
	}
	src = svgUTF8(src)

	meta, err := imagemeta.ProbeWith(src, p.cfg.MaxSVGCheckBytes)
	if err != nil {
		return nil, nil, err
	}
	f := meta.Format
	if f == options.FormatPDF && !p.cfg.EnablePDF {
		return nil, nil, options.Errorf(options.KindInvalidImage, "pdf sources are not supported")
	}
	res.SrcFormat, res.SrcWidth, res.SrcHeight = f, meta.Width, meta.Height
	if !canLoad[f] {
		return nil, nil, options.Errorf(options.KindUnsupportedFormat, "cannot load %q sources", f)
	}
	if f != options.FormatPDF && o.SkipProcessing.Has(f) && (o.Format == options.FormatUnknown || o.Format == f) {
		return p.passthrough(src, meta, res)
	}
	if f == options.FormatSVG && (o.Format == options.FormatSVG || (o.Format == options.FormatUnknown && !p.cfg.AlwaysRasterizeSVG)) {
		return p.passthrough(src, meta, res)
	}
	if o.Format == options.FormatSVG {
		return nil, nil, options.Errorf(options.KindCannotSave, "svg output needs an svg source")
	}
	if o.Format != options.FormatUnknown && !canSave[o.Format] {
		return nil, nil, options.Errorf(options.KindCannotSave, "cannot save %q", o.Format)
	}
	if err := imagemeta.CheckLimits(meta, o.Limits); err != nil {
		return nil, nil, err
	}
	if err := checkSVGRender(src, meta, o); err != nil {
		return nil, nil, err
	}
	if err := interrupted(ctx); err != nil {
		return nil, nil, err
	}
	// A finished ctx stops a running libvips computation: the token is
	// fired from another goroutine and checked by libvips' eval handler.
	cancel := C.ie_cancel_new()
	C.ie_set_cancel(cancel)
	var mu sync.Mutex
	stop := context.AfterFunc(ctx, func() {
		mu.Lock()
		defer mu.Unlock()
		if cancel != nil {
			C.ie_cancel_fire(cancel)
		}
	})
	defer func() {
		stop()
		C.ie_set_cancel(nil)
		mu.Lock()
		C.ie_cancel_free(cancel)
		cancel = nil
		mu.Unlock()
	}()

	j := job{p: p, o: o, src: src, meta: meta, ctx: ctx}
	data, release, err = j.run(neg, res)
	if err != nil {
		C.vips_error_clear()
		if ierr := interrupted(ctx); ierr != nil {
			return nil, nil, ierr
		}
		if _, ok := err.(*options.Error); !ok {
			err = options.Wrap(options.KindBrokenImage, "processing", err)
		}
	}
	return data, release, err
}

// passthrough returns the source itself (sanitised for SVG).
func (p *Processor) passthrough(src []byte, meta imagemeta.Meta, res *options.ResultMeta) ([]byte, func(), error) {
	res.Format, res.Width, res.Height, res.Passthrough = meta.Format, meta.Width, meta.Height, true
	if meta.Format == options.FormatSVG && p.cfg.SanitizeSVG {
		out, err := sanitizeSVG(nil, src)
		if err != nil {
			return nil, nil, options.Wrap(options.KindBrokenSVG, "sanitize svg", err)
		}
		return out, noRelease, nil
	}
	return src, noRelease, nil
}

// job is the state of one Process call.
type job struct {
	p    *Processor
	o    *options.Options
	src  []byte
	meta imagemeta.Meta
	ctx  context.Context

	out      options.Format
	animated bool
	frames   int
	t        orient
	g        geometry
	rawW     int // raw (unoriented) source size after trim and vector guard
	rawH     int
	smart    bool   // result crop uses smartcrop
	keepCMYK bool   // a CMYK source with a profile goes back to CMYK on output (strip_color_profile=false)
	cmykICC  []byte // that profile, saved by importColour
}

func (j *job) run(neg *options.Negotiation, res *options.ResultMeta) ([]byte, func(), error) {
	o, f := j.o, j.meta.Format
	animSrc := j.meta.Animated && j.meta.Frames > 1 && o.Limits.MaxAnimationFrames > 1 &&
		(f == options.FormatGIF || f == options.FormatWebP)
	// url-api.md §6: transparency is needed when the image has alpha or
	// padding/extend adds a canvas, and no background flattens it.
	needAlpha := (j.meta.HasAlpha || f == options.FormatSVG ||
		o.Padding.Enabled || o.Extend.Enabled || o.ExtendAspectRatio.Enabled) && !o.HasBackground
	j.out = chooseFormat(o.Format, f, neg, animSrc, needAlpha)
	if !canSave[j.out] {
		return nil, nil, options.Errorf(options.KindCannotSave, "cannot save %q", j.out)
	}
	j.animated = animSrc && supportsAnimation(j.out)
	j.frames = 1
	if j.animated {
		j.frames = min(j.meta.Frames, o.Limits.MaxAnimationFrames)
	}
	vector := f == options.FormatSVG || f == options.FormatPDF

	// Header (lazy load: no pixels decoded yet).
	hdr, err := j.p.load(j.src, f, loadParams{seq: true, n: j.frames})
	if err != nil {
		return nil, nil, err
	}
	im := hdr
	defer func() { im.close() }()
	rawW, rawH := im.width(), im.height()
	if j.animated {
		if ph := im.getInt("page-height", rawH); ph > 0 && rawH%ph == 0 {
			j.frames = rawH / ph
			rawH = ph
		}
	}
	orientation := im.getInt("orientation", 1)

	// Vector guard: shrink huge SVGs below the resolution limit.
	vscale := 1.0
	if vector {
		if mr := o.Limits.MaxSrcResolution; mr > 0 && int64(rawW)*int64(rawH) > mr {
			vscale = math.Sqrt(float64(mr) / (float64(rawW) * float64(rawH)))
			rawW, rawH = max(1, int(float64(rawW)*vscale)), max(1, int(float64(rawH)*vscale))
		}
	}

	// Trim runs on the full-size image and disables shrink-on-load.
	trimmed := false
	if o.Trim.Enabled && !j.animated {
		im.close()
		lp := loadParams{n: 1, scale: vscale}
		if im, err = j.p.load(j.src, f, lp); err != nil {
			return nil, nil, err
		}
		if err := j.trim(im); err != nil {
			return nil, nil, err
		}
		rawW, rawH = im.width(), im.height()
		trimmed = true
	}

	j.t = transformFor(o, orientation)
	ow, oh := rawW, rawH
	if j.t.swaps() {
		ow, oh = oh, ow
	}
	j.rawW, j.rawH = rawW, rawH
	j.g = computeGeometry(o, ow, oh, vector)
	// Smart crop runs per frame (processFrame), so each frame of an
	// animation gets its own attention window, as in imgproxy.
	j.smart = o.Gravity.Type == options.GravitySmart
	fw, fh := capSize(j.out, j.g.FinalW, j.g.FinalH)
	if j.out == options.FormatAVIF && min(fw, fh) < 16 {
		j.out = options.FormatJPEG
		if needAlpha {
			j.out = options.FormatPNG
		}
	}
	// With strip_color_profile=false imgproxy returns a CMYK source in
	// CMYK with its profile when the output stores CMYK: the pipeline
	// works in sRGB and the result is converted back with that profile.
	j.keepCMYK = !o.StripColorProfile && (j.out == options.FormatJPEG || j.out == options.FormatTIFF) && !j.animated
	if int64(j.g.FinalW)*int64(j.g.FinalH) > j.p.cfg.MaxResultPixels ||
		int64(j.g.ScaledW)*int64(j.g.ScaledH) > j.p.cfg.MaxResultPixels {
		return nil, nil, options.Errorf(options.KindResultTooBig, "result %dx%d is too big", j.g.FinalW, j.g.FinalH)
	}

	// Shrink-on-load: reopen with the decoder doing most of the downscale.
	if !trimmed {
		lp := j.shrinkOnLoad(vscale)
		if lp.shrink > 1 || lp.scale != 1 || lp.thumbnail || j.animated {
			im.close()
			if im, err = j.p.load(j.src, f, lp); err != nil {
				return nil, nil, err
			}
			if lp.thumbnail && !o.EnforceThumbnail && float64(im.width())/float64(rawW) < j.neededScale() {
				// the embedded thumbnail is too small; decode the full picture
				im.close()
				if im, err = j.p.load(j.src, f, loadParams{seq: true, n: 1}); err != nil {
					return nil, nil, err
				}
			}
		}
	}
	if err := interrupted(j.ctx); err != nil {
		return nil, nil, err
	}

	if j.animated {
		if err := j.processFrames(im); err != nil {
			return nil, nil, err
		}
	} else if err := j.processFrame(im, rawW, rawH); err != nil {
		return nil, nil, err
	}
	if err := interrupted(j.ctx); err != nil {
		return nil, nil, err
	}
	if err := j.finishColour(im); err != nil {
		return nil, nil, err
	}
	if err := im.copy(); err != nil {
		return nil, nil, err
	}
	stripMetadata(im, o)
	q := j.p.qualityFor(o, j.out)
	if o.MaxBytes > 0 && hasQuality(j.out) {
		if err := im.copyMemory(); err != nil {
			return nil, nil, err
		}
	}
	data, release, err := j.p.saveFitting(im, j.out, q, o.MaxBytes)
	if err != nil {
		return nil, nil, err
	}
	res.Format, res.Width, res.Height = j.out, im.width(), im.height()
	if j.animated {
		res.Height = im.getInt("page-height", im.height())
	}
	return data, release, nil
}

// shrinkOnLoad picks decoder-side downscaling for the geometry.
func (j *job) shrinkOnLoad(vscale float64) loadParams {
	lp := loadParams{seq: !j.animated, n: j.frames, scale: vscale, shrink: 1}
	f := j.meta.Format
	if f == options.FormatSVG || f == options.FormatPDF {
		// Vector: render directly at the needed scale.
		lp.scale = vscale * j.neededScale()
		return lp
	}
	if (f == options.FormatHEIC || f == options.FormatAVIF) && j.o.EnforceThumbnail {
		lp.thumbnail = true
		return lp
	}
	if j.p.cfg.DisableShrinkOnLoad || j.animated {
		return lp
	}
	scale := j.neededScale()
	if scale >= 1 {
		return lp
	}
	shrink := 1 / scale
	// A source crop must start on a whole pixel of the shrunk image, else
	// the result would be shifted by a fraction of a pixel: use a smaller
	// factor that divides the crop offset.
	r := j.t.rectToRaw(j.g.Crop, j.rawW, j.rawH)
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
func (j *job) neededScale() float64 {
	return math.Max(float64(j.g.ScaledW)/float64(j.g.Crop.W), float64(j.g.ScaledH)/float64(j.g.Crop.H))
}

// trim removes a uniform border (url-api.md §4 trim) from the full image.
func (j *job) trim(im *image) error {
	tr := j.o.Trim
	probe := &image{}
	// Work on a flattened 8-bit sRGB copy so colours compare as given; the
	// trim box is then cut from the original.
	var out *C.VipsImage
	if C.ie_copy(im.p, &out) != 0 {
		return vipsError("copy")
	}
	probe.p = out
	defer probe.close()
	if err := j.p.toSRGB8(probe); err != nil {
		return err
	}
	if probe.hasAlpha() {
		if err := probe.flatten([]float64{255, 0, 255}); err != nil {
			return err
		}
	}
	var bg []float64
	if tr.HasColor {
		bg = []float64{float64(tr.Color.R), float64(tr.Color.G), float64(tr.Color.B)}
	} else {
		px, err := probe.getpoint(0, 0)
		if err != nil {
			return err
		}
		bg = px[:min(3, len(px))]
	}
	l, t, w, h, err := probe.findTrim(tr.Threshold, bg)
	if err != nil {
		return err
	}
	if w <= 0 || h <= 0 {
		return nil // nothing but border: keep the image
	}
	W, H := im.width(), im.height()
	if tr.EqualHor {
		d := min(l, W-l-w)
		l, w = d, W-2*d
	}
	if tr.EqualVer {
		d := min(t, H-t-h)
		t, h = d, H-2*d
	}
	return im.extractArea(l, t, w, h)
}

// processFrames splits an animation into frames, runs each through the
// pipeline and joins them back, keeping delays and the loop count.
func (j *job) processFrames(im *image) error {
	w, h := im.width(), im.height()
	ph := im.getInt("page-height", h)
	n := h / ph
	delays := im.getIntArray("delay")
	loop := im.getInt("loop", 0)
	frames := make([]*image, 0, n)
	defer func() {
		for _, fr := range frames {
			fr.close()
		}
	}()
	for i := 0; i < n; i++ {
		var out *C.VipsImage
		if C.ie_extract_area(im.p, &out, 0, C.int(i*ph), C.int(w), C.int(ph)) != 0 {
			return vipsError("extract frame")
		}
		fr := &image{p: out}
		frames = append(frames, fr)
		if err := j.processFrame(fr, w, ph); err != nil {
			return err
		}
		if err := interrupted(j.ctx); err != nil {
			return err
		}
	}
	joined, err := arrayJoin(frames)
	if err != nil {
		return err
	}
	im.swap(joined.p)
	fh := frames[0].height()
	im.setInt("page-height", fh)
	d := make([]int, n)
	for i := range d {
		d[i] = 40
		if i < len(delays) && delays[i] > 0 {
			d[i] = delays[i]
		}
	}
	im.setIntArray("delay", d)
	im.setInt("loop", loop)
	return nil
}

// processFrame runs the per-frame pipeline of url-api.md §5 on im, whose
// full-resolution raw size is rawW×rawH (im may be smaller after
// shrink-on-load).
func (j *job) processFrame(im *image, rawW, rawH int) error {
	o, g, t := j.o, &j.g, j.t
	fx := float64(im.width()) / float64(rawW)
	fy := float64(im.height()) / float64(rawH)

	// Source crop, mapped to the raw orientation and the loaded scale.
	ow, oh := rawW, rawH
	if t.swaps() {
		ow, oh = oh, ow
	}
	if g.Crop.W != ow || g.Crop.H != oh {
		if g.CropGravity.Type == options.GravitySmart {
			cw, ch := g.Crop.W, g.Crop.H
			if t.swaps() {
				cw, ch = ch, cw
			}
			if err := im.copyMemory(); err != nil {
				return err
			}
			if err := im.smartcrop(max(1, round(float64(cw)*fx)), max(1, round(float64(ch)*fy))); err != nil {
				return err
			}
		} else {
			r := t.rectToRaw(g.Crop, rawW, rawH)
			x, y := min(round(float64(r.X)*fx), im.width()-1), min(round(float64(r.Y)*fy), im.height()-1)
			w, h := max(1, round(float64(r.W)*fx)), max(1, round(float64(r.H)*fy))
			w, h = min(w, im.width()-x), min(h, im.height()-y)
			if err := im.extractArea(x, y, w, h); err != nil {
				return err
			}
		}
	}

	cmykKeep := !o.StripColorProfile && im.interp() == C.VIPS_INTERPRETATION_CMYK && im.bands() == 4
	if cmykKeep && j.keepCMYK {
		j.cmykICC = im.getBlob("icc-profile-data")
	}
	if err := j.p.importColour(im, o, cmykKeep); err != nil {
		return err
	}

	// Resize to the scaled size (in raw orientation).
	tw, th := g.ScaledW, g.ScaledH
	if t.swaps() {
		tw, th = th, tw
	}
	if err := j.p.resizeTo(im, tw, th); err != nil {
		return err
	}

	// Orientation: EXIF, then the user's rotate and flip.
	if t.Angle != 0 || t.Flip {
		if err := im.copyMemory(); err != nil {
			return err
		}
		if err := im.rot(t.Angle); err != nil {
			return err
		}
		if t.Flip {
			if err := im.flip(false); err != nil {
				return err
			}
		}
	}

	// Result crop.
	if g.ResultW < im.width() || g.ResultH < im.height() {
		cw, ch := min(g.ResultW, im.width()), min(g.ResultH, im.height())
		if j.smart {
			if err := im.copyMemory(); err != nil {
				return err
			}
			if err := im.smartcrop(cw, ch); err != nil {
				return err
			}
		} else if err := im.extractArea(min(g.ResultX, im.width()-cw), min(g.ResultY, im.height()-ch), cw, ch); err != nil {
			return err
		}
	}

	// Effects.
	if o.Blur > 0 {
		if err := im.gaussblur(o.Blur); err != nil {
			return err
		}
	}
	if o.Sharpen > 0 {
		if err := j.p.sharpen(im, o.Sharpen); err != nil {
			return err
		}
	}
	if o.Pixelate > 1 {
		if err := pixelate(im, o.Pixelate); err != nil {
			return err
		}
	}

	// Extend, extend_aspect_ratio, padding.
	if g.ExtW != g.ResultW || g.ExtH != g.ResultH {
		if err := j.embed(im, g.ExtX, g.ExtY, g.ExtW, g.ExtH); err != nil {
			return err
		}
	}
	if g.ArW != g.ExtW || g.ArH != g.ExtH {
		if err := j.embed(im, g.ArX, g.ArY, g.ArW, g.ArH); err != nil {
			return err
		}
	}
	if g.PadT|g.PadR|g.PadB|g.PadL != 0 {
		if err := j.embed(im, g.PadL, g.PadT, im.width()+g.PadL+g.PadR, im.height()+g.PadT+g.PadB); err != nil {
			return err
		}
	}

	// Format size caps.
	if cw, ch := capSize(j.out, im.width(), im.height()); cw != im.width() || ch != im.height() {
		if err := j.p.resizeTo(im, cw, ch); err != nil {
			return err
		}
	}

	// Flatten.
	if im.hasAlpha() && (o.HasBackground || !supportsAlpha(j.out)) {
		bg := options.Color{R: 255, G: 255, B: 255}
		if o.HasBackground {
			bg = o.Background
		}
		vals, err := bgValues(im, bg, false)
		if err != nil {
			return err
		}
		if err := im.flatten(vals[:len(vals)-1]); err != nil {
			return err
		}
	}
	return j.p.watermark(im, o, g.DprScale)
}

// embed places im on a larger canvas filled per url-api.md §4 padding:
// transparent when the output has alpha and no background is set, else
// the background colour (white when unset).
func (j *job) embed(im *image, x, y, w, h int) error {
	transparent := supportsAlpha(j.out) && !j.o.HasBackground
	if transparent && !im.hasAlpha() {
		if err := im.addAlpha(); err != nil {
			return err
		}
	}
	bg := options.Color{R: 255, G: 255, B: 255}
	if j.o.HasBackground {
		bg = j.o.Background
	}
	vals, err := bgValues(im, bg, transparent)
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
		if err := im.colourspace(C.VIPS_INTERPRETATION_sRGB); err != nil {
			return nil, err
		}
		colour = true
	}
	scale := 1.0
	if im.bandFormat() == C.VIPS_FORMAT_USHORT {
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

// resizeTo resizes im to exactly w×h with lanczos3, premultiplying alpha
// and working in linear light when configured.
func (p *Processor) resizeTo(im *image, w, h int) error {
	if im.width() == w && im.height() == h {
		return nil
	}
	linear := p.cfg.UseLinearColorspace && im.interp() == C.VIPS_INTERPRETATION_sRGB
	if linear {
		if err := im.colourspace(C.VIPS_INTERPRETATION_scRGB); err != nil {
			return err
		}
	}
	alpha := im.hasAlpha()
	format := im.bandFormat()
	if alpha {
		if err := im.premultiply(); err != nil {
			return err
		}
	}
	if err := im.resize(float64(w)/float64(im.width()), float64(h)/float64(im.height())); err != nil {
		return err
	}
	if alpha {
		if err := im.unpremultiply(); err != nil {
			return err
		}
		if !linear {
			if err := im.cast(format); err != nil {
				return err
			}
		}
	}
	if linear {
		if err := im.colourspace(C.VIPS_INTERPRETATION_sRGB); err != nil {
			return err
		}
	}
	// vips_resize may round a side one pixel off; fix it exactly.
	if im.width() != w || im.height() != h {
		if im.width() < w || im.height() < h {
			if err := im.embed(0, 0, max(w, im.width()), max(h, im.height()), nil); err != nil {
				return err
			}
		}
		if err := im.extractArea(0, 0, w, h); err != nil {
			return err
		}
	}
	return nil
}

// sharpen applies libvips sharpen to the colour bands only.
func (p *Processor) sharpen(im *image, sigma float64) error {
	if !im.hasAlpha() {
		return im.sharpen(sigma)
	}
	alpha := &image{}
	var out *C.VipsImage
	if C.ie_extract_band(im.p, &out, C.int(im.bands()-1), 1) != 0 {
		return vipsError("extract_band")
	}
	alpha.p = out
	defer alpha.close()
	format := im.bandFormat()
	if err := im.extractBand(0, im.bands()-1); err != nil {
		return err
	}
	if err := im.sharpen(sigma); err != nil {
		return err
	}
	if err := im.cast(format); err != nil {
		return err
	}
	var joined *C.VipsImage
	if C.ie_bandjoin2(im.p, alpha.p, &joined) != 0 {
		return vipsError("bandjoin")
	}
	im.swap(joined)
	return nil
}

// pixelate replaces each block×block square by its average colour.
func pixelate(im *image, block int) error {
	w, h := im.width(), im.height()
	block = min(block, max(w, h))
	pw, ph := (w+block-1)/block*block, (h+block-1)/block*block
	if pw != w || ph != h {
		if err := im.embed(0, 0, pw, ph, nil); err != nil {
			return err
		}
	}
	format := im.bandFormat()
	if err := im.shrink(float64(block), float64(block)); err != nil {
		return err
	}
	if err := im.zoom(block, block); err != nil {
		return err
	}
	if err := im.cast(format); err != nil {
		return err
	}
	return im.extractArea(0, 0, w, h)
}

// importColour brings im into the working space (url-api.md §5
// "colourspace import"): sRGB (or grey) 8-bit, or 16-bit with preserve_hdr.
// An embedded sRGB profile, or any RGB/grey profile when
// strip_color_profile=false, is left alone (no needless transform).
//
// relative selects the relative colorimetric intent (a CMYK source that
// goes back to CMYK: the round trip then matches imgproxy's).
func (p *Processor) importColour(im *image, o *options.Options, relative bool) error {
	interp := im.interp()
	grey := interp == C.VIPS_INTERPRETATION_B_W || interp == C.VIPS_INTERPRETATION_GREY16
	rgb := interp == C.VIPS_INTERPRETATION_sRGB || interp == C.VIPS_INTERPRETATION_RGB16
	hdr := im.bandFormat() == C.VIPS_FORMAT_USHORT && o.PreserveHDR
	if icc := im.getBlob("icc-profile-data"); icc != nil {
		switch {
		case (rgb || grey) && !o.StripColorProfile:
			// keep the profile and the pixels as they are
		case (rgb || grey) && isSRGBProfile(icc):
			im.remove("icc-profile-data")
		default:
			depth := 8
			if hdr {
				depth = 16
			}
			if err := im.iccToSRGB(depth, relative); err != nil {
				// A broken profile should not fail the request: fall back
				// to libvips' own conversion.
				C.vips_error_clear()
				im.remove("icc-profile-data")
				return p.toWorkingSpace(im, grey, hdr)
			}
			if err := im.copy(); err != nil {
				return err
			}
			im.remove("icc-profile-data")
			if grey {
				return im.colourspace(greyFor(hdr))
			}
			return nil
		}
	}
	return p.toWorkingSpace(im, grey, hdr)
}

func greyFor(hdr bool) C.VipsInterpretation {
	if hdr {
		return C.VIPS_INTERPRETATION_GREY16
	}
	return C.VIPS_INTERPRETATION_B_W
}

func (p *Processor) toWorkingSpace(im *image, grey, hdr bool) error {
	interp := im.interp()
	switch {
	case interp == C.VIPS_INTERPRETATION_sRGB && im.bandFormat() == C.VIPS_FORMAT_UCHAR,
		interp == C.VIPS_INTERPRETATION_B_W && im.bandFormat() == C.VIPS_FORMAT_UCHAR:
		return nil
	case grey:
		return im.colourspace(greyFor(hdr))
	case hdr && interp == C.VIPS_INTERPRETATION_RGB16:
		return nil
	case hdr:
		return im.colourspace(C.VIPS_INTERPRETATION_RGB16)
	}
	return im.colourspace(C.VIPS_INTERPRETATION_sRGB)
}

// toSRGB8 converts any image to 8-bit sRGB (watermarks, trim probing).
func (p *Processor) toSRGB8(im *image) error {
	if im.interp() == C.VIPS_INTERPRETATION_sRGB && im.bandFormat() == C.VIPS_FORMAT_UCHAR {
		return nil
	}
	if err := im.colourspace(C.VIPS_INTERPRETATION_sRGB); err != nil {
		return err
	}
	return im.cast(C.VIPS_FORMAT_UCHAR)
}

// finishColour reduces the result to what the output format stores: 8-bit
// unless preserve_hdr and the format keeps 16 bits.
func (j *job) finishColour(im *image) error {
	if j.cmykICC != nil && im.bands() == 3 {
		if err := im.iccExportTo(j.cmykICC); err == nil {
			return nil
		}
		// Cannot go back (broken profile): fall through to sRGB.
		C.vips_error_clear()
		im.remove("icc-profile-data")
	}
	if im.bandFormat() == C.VIPS_FORMAT_UCHAR {
		switch im.interp() {
		case C.VIPS_INTERPRETATION_sRGB, C.VIPS_INTERPRETATION_B_W:
			return nil
		}
	}
	hdr := j.o.PreserveHDR && supportsHDR(j.out)
	grey := im.bands() <= 2
	switch {
	case grey:
		return im.colourspace(greyFor(hdr))
	case hdr:
		return im.colourspace(C.VIPS_INTERPRETATION_RGB16)
	}
	if err := im.colourspace(C.VIPS_INTERPRETATION_sRGB); err != nil {
		return err
	}
	return im.cast(C.VIPS_FORMAT_UCHAR)
}
