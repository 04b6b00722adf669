package vips

import (
	"math"

	"github.com/imgedge/imgedge/options"
	"github.com/imgedge/imgedge/vips/imagemeta"
)

// Memory estimate: what a Process call will allocate, computed before
// anything is decoded, so that the worker pool can admit jobs against a
// memory budget (docs/tuning.md, "Memory"). It runs the same decisions as
// the pipeline — output format (chooseOutput), vector guard, the geometry
// plan (plan) and shrink-on-load (shrinkOnLoad) — on the sizes the pure-Go
// probe read from the header, so the two cannot drift apart: a change to
// how the pipeline shrinks on load changes the estimate with it.

// Estimate returns the working memory in bytes that Process is expected to
// need for src with o and neg: the source bytes, the decoded image at the
// size it is loaded at (after shrink-on-load; every frame of an
// animation), what the decoder keeps besides (a progressive JPEG's
// coefficients), the copies the pipeline makes of it (smart crop,
// rotation, trim, max_bytes; the intermediate results of chained
// pipelines), the result, and what its encoding takes (the AVIF/HEIC
// encoder's memory; autoquality's and format best's in-memory result and
// DSSIM measurement). Selected pages of a multi-page source count
// as loaded stacked. Errors are those Process would report
// from the header (unknown format, source over the limits, a result too
// big), as *options.Error. It decodes nothing, does not retain src and is
// safe for concurrent use; neg may be nil.
func (p *Processor) Estimate(src []byte, o *options.Options, neg *options.Negotiation) (int64, error) {
	m, err := p.memoryPlan(src, o, neg)
	if err != nil {
		return 0, err
	}
	return m.total(), nil
}

// memPlan is the memory a request takes, by part.
type memPlan struct {
	src int64 // source bytes

	// The image as loaded: loadW × loadH per frame (frames stacked), with
	// bands samples of bpb bytes. lp is the shrink-on-load chosen.
	lp                    loadParams
	loadW, loadH, frames  int
	bands, bpb            int
	decoder               int64 // what the decoder keeps besides the pixels (progressive JPEG coefficients)
	decodedCopies         int   // extra full copies of the decoded image (Go decoders, trim)
	frameCopy             int64 // one loaded frame copied for smart crop (0 = none)
	scaledCopies          int   // copies of the resized image (rotation, smart result crop)
	scaledW, scaledH      int
	chained               int64 // intermediate results kept in memory between chained pipelines
	finalW, finalH, outBs int   // result size and bands
	finalCopy             bool  // the result is computed into memory before saving (max_bytes, autoquality, best)
	encoder               int64 // what the encoder keeps besides the pixels (AVIF/HEIC)
	measure               int64 // autoquality's DSSIM reference and measurements
	passthrough           bool
}

// decoded returns the bytes of the decoded image.
func (m *memPlan) decoded() int64 {
	return int64(m.loadW) * int64(m.loadH) * int64(m.frames) * int64(m.bands) * int64(m.bpb)
}

func (m *memPlan) total() int64 {
	if m.passthrough {
		return 2 * m.src // the source, and a sanitised copy at most
	}
	t := m.src + m.decoder + m.decoded()*int64(1+m.decodedCopies) + m.frameCopy
	scaled := int64(m.scaledW) * int64(m.scaledH) * int64(m.bands) * int64(m.bpb)
	t += scaled*int64(m.scaledCopies) + m.chained
	final := int64(m.finalW) * int64(m.finalH) * int64(m.outBs) * int64(m.frames)
	t += final // the result: the encoded bytes stay below the pixels
	if m.finalCopy {
		t += final
	}
	return t + m.encoder + m.measure
}

// memoryPlan runs the pipeline's decisions on the probe's reading of src.
func (p *Processor) memoryPlan(src []byte, o *options.Options, neg *options.Negotiation) (memPlan, error) {
	m := memPlan{src: int64(len(src))}
	var res options.ResultMeta
	src = svgUTF8(src)
	meta, err := p.probe(src, &res)
	if err != nil {
		return m, err
	}
	if p.passesThrough(meta.Format, o) {
		m.passthrough = true
		return m, nil
	}
	if err := imagemeta.CheckLimits(meta, o.Limits); err != nil {
		return m, err
	}
	st := &state{p: p, o: o, src: src, meta: meta}
	if err := st.chooseOutput(neg); err != nil {
		return m, err
	}
	st.beginChain() // the first pipeline decides the load
	st.rawW, st.rawH = meta.Width, meta.Height
	if st.pages > 1 {
		st.rawH *= st.pages // selected pages load stacked (at most this many exist)
	}
	if st.vector && (st.rawW <= 0 || st.rawH <= 0) {
		// Unknown intrinsic size (PDF pages, SVG in percent): a vector is
		// rendered at the size it is needed at, so assume a modest page.
		st.rawW, st.rawH = unknownVectorSide, unknownVectorSide
	}
	st.orientation = max(meta.Orientation, 1)
	if err := vectorGuard(st); err != nil {
		return m, err
	}
	st.trimmed = o.Trim.Enabled && !st.animated // trim reloads at full size: no shrink-on-load
	if err := plan(st); err != nil {
		return m, err
	}
	m.lp = loadParams{n: st.frames, shrink: 1, scale: st.vscale}
	if !st.trimmed {
		m.lp = st.shrinkOnLoad()
	}
	m.frames = st.frames
	m.loadW, m.loadH = loadedSize(meta, st, m.lp)
	m.bands, m.bpb = decodedBands(meta)
	if meta.Format == options.FormatJPEG && meta.Progressive {
		// libjpeg buffers every coefficient of a progressive file (64
		// shorts per block), whatever it scales the output to.
		m.decoder = meta.Blocks * 128
	}
	if f := meta.Format; f == options.FormatBMP || f == options.FormatICO && meta.Channels == 0 {
		m.decodedCopies++ // decoded in Go, then copied into libvips
	}
	if st.trimmed {
		m.decodedCopies++ // the 8-bit probe copy trim searches
	}
	g := &st.g
	if g.CropGravity.Type == options.GravitySmart && (g.Crop.W != st.rawW || g.Crop.H != st.rawH) {
		m.frameCopy = int64(m.loadW) * int64(m.loadH) * int64(m.bands) * int64(m.bpb)
	}
	m.scaledW, m.scaledH = g.ScaledW, g.ScaledH
	if st.t.Angle != 0 || st.t.Flip {
		m.scaledCopies++
	}
	if st.smart && (g.ResultW < g.ScaledW || g.ResultH < g.ScaledH) {
		m.scaledCopies++
	}
	m.outBs = 3
	if st.needAlpha {
		m.outBs = 4
	}
	// Chained pipelines: each later one starts from the previous result,
	// computed into memory (chain.go, startPipeline).
	for i, po := range st.pipes[min(1, len(st.pipes)):] {
		if i == len(st.pipes)-2 {
			st.out = st.finalOut
		}
		prevW, prevH := st.g.FinalW, st.g.FinalH
		m.chained += int64(prevW) * int64(prevH) * int64(m.outBs) * int64(m.frames)
		st.o = po
		st.rawW, st.rawH = prevW, prevH
		st.orientation, st.vector, st.vscale, st.trimmed = 1, false, 1, true
		if err := plan(st); err != nil {
			return m, err
		}
		if st.t.Angle != 0 || st.t.Flip || st.smart {
			m.chained += int64(st.g.ScaledW) * int64(st.g.ScaledH) * int64(m.outBs) * int64(m.frames)
		}
	}
	m.finalW, m.finalH = capSize(st.out, st.g.FinalW, st.g.FinalH)
	m.finalCopy = o.MaxBytes > 0 && hasQuality(st.out)
	// The encoders: the largest candidate's own memory; autoquality and
	// format best encode one in-memory result several times.
	px := int64(m.finalW) * int64(m.finalH) * int64(m.frames)
	outs := []options.Format{st.out}
	if len(st.best) > 0 {
		outs = st.best
	}
	for _, f := range outs {
		m.encoder = max(m.encoder, encoderMemory(f, px))
		if pl, ok := p.autoqualityFor(o, f, px); ok {
			m.finalCopy = true
			if pl.method == options.AutoqualityDSSIM {
				m.measure = aqMeasureBytesPerPixel * min(px, aqMeasurePixels)
			}
		}
	}
	if len(outs) > 1 {
		m.finalCopy = true
	}
	return m, nil
}

// encoderMemory is what encoding px pixels as f takes besides the image
// and the encoded bytes: libheif and libaom keep YUV planes and the
// encoder's own buffers, about 20 bytes per pixel plus a few MiB (measured
// with VmHWM on libvips 8.14's heifsave at the default speed); the other
// encoders work through the image in strips.
func encoderMemory(f options.Format, px int64) int64 {
	if f == options.FormatAVIF || f == options.FormatHEIC {
		return 4<<20 + 20*px
	}
	return 0
}

// aqMeasureBytesPerPixel is the working memory of autoquality's DSSIM per
// measured pixel: the reference's float planes over five scales (about 47
// bytes), one comparison's (about 41) and the two RGBA copies, as
// analyze.NewDSSIMReference and Compare size their scratch memory.
const aqMeasureBytesPerPixel = 96

// unknownVectorSide is the side assumed for a vector source whose header
// gives no size.
const unknownVectorSide = 1024

// loadedSize is the size (one frame) libvips loads meta's image at with
// lp: JPEG shrink rounds down, WebP scales round half to even, SVG and PDF
// half up (as libvips' loaders do). An embedded HEIF thumbnail may be replaced by the
// full image when it is too small (scaleOnLoad), so the full size counts.
func loadedSize(meta imagemeta.Meta, st *state, lp loadParams) (int, int) {
	w, h := st.rawW, st.rawH
	switch {
	case st.vector:
		// rawW×rawH is the guarded size (vscale applied); the loader
		// renders the intrinsic size at lp.scale.
		iw, ih := float64(w)/st.vscale, float64(h)/st.vscale
		return max(1, int(math.Round(iw*lp.scale))), max(1, int(math.Round(ih*lp.scale)))
	case meta.Format == options.FormatJPEG && lp.shrink > 1:
		return max(1, w/lp.shrink), max(1, h/lp.shrink)
	case meta.Format == options.FormatWebP && lp.scale > 0 && lp.scale != 1:
		// rint: half to even
		return max(1, int(math.RoundToEven(float64(w)*lp.scale))), max(1, int(math.RoundToEven(float64(h)*lp.scale)))
	}
	return w, h
}

// decodedBands returns the bands and bytes per band libvips 8.14's loader
// (or imgedge's Go decoder) produces for meta.
func decodedBands(meta imagemeta.Meta) (bands, bpb int) {
	alpha := 3
	if meta.HasAlpha {
		alpha = 4
	}
	switch meta.Format {
	case options.FormatJPEG:
		return max(meta.Channels, 1), 1
	case options.FormatPNG, options.FormatICO:
		if meta.Channels == 0 { // an ICO's DIB entry (a PNG entry has its channels)
			return alpha, 1
		}
		return meta.Channels, max(meta.BitDepth/8, 1)
	case options.FormatTIFF:
		if meta.Palette {
			return 3, 1
		}
		return max(meta.Channels, 1), max(meta.BitDepth/8, 1)
	case options.FormatSVG, options.FormatPDF:
		return 4, 1
	}
	return alpha, 1 // GIF, WebP, HEIF, AVIF, JXL, BMP
}
