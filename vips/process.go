package vips

import (
	"context"
	"runtime"

	"github.com/imgedge/imgedge/options"
	"github.com/imgedge/imgedge/vips/imagemeta"
)

// Processor runs the processing pipeline. Create it with NewProcessor after
// Startup; it is safe for concurrent use by many goroutines (each call
// works on its own images; the shared watermark is immutable). Close it
// before Shutdown.
type Processor struct {
	cfg   Config
	wm    *image       // decoded watermark: sRGB with alpha, in memory; nil = none
	marks *markCache   // watermark_url and watermark_text marks (marks.go)
	dc    *decodeCache // recently decoded sources (decodecache.go); nil = off

	profiles profileCache // ICC files of IMGPROXY_COLOR_PROFILES_DIR (color_profile.go)
}

// NewProcessor validates cfg, starts libvips if needed and decodes the
// watermark once.
func NewProcessor(cfg Config) (*Processor, error) {
	if err := Startup(cfg); err != nil {
		return nil, err
	}
	p := &Processor{cfg: cfg, marks: newMarkCache(cfg.WatermarksCacheSize)}
	if cfg.WatermarkFontsDir != "" {
		if err := loadFonts(cfg.WatermarkFontsDir); err != nil {
			return nil, err
		}
	}
	if cfg.DecodeCacheSize > 0 {
		p.dc = newDecodeCache(cfg.DecodeCacheSize, cfg.DecodeCacheTTL, cfg.DecodeCacheEvent)
	}
	if len(cfg.WatermarkData) > 0 {
		wm, err := p.loadWatermark(cfg.WatermarkData)
		if err != nil {
			return nil, err
		}
		p.wm = wm
	}
	return p, nil
}

// Close releases the watermarks and the decoded-source cache. The
// Processor must not be used afterwards.
func (p *Processor) Close() {
	p.marks.close()
	if p.dc != nil {
		p.dc.close()
	}
	if p.wm != nil {
		p.wm.close()
		p.wm = nil
	}
}

// Process runs the pipeline of docs/processing.md on src and encodes the
// result.
//
// Process takes over src whatever happens: it releases it once libvips no
// longer reads it, or, when the result is the source itself
// (skip_processing, SVG passthrough), hands it to the Output. The Output's
// bytes live in C memory (zero-copy), in Go memory or in the source; they
// are valid until out.Release(), which the caller calls exactly once.
// out.Meta describes the result. Errors are *options.Error and come with an
// empty Output. o must not be nil; neg may be nil (no Accept negotiation,
// default preferred formats).
//
// Process locks its goroutine to the OS thread for the duration of the
// call (libvips' error buffer). ctx is checked between pipeline steps and
// also stops a running libvips computation (copy to memory, encoding): the
// error is then ctx's kind (KindTimeout or KindCanceled). Safe for
// concurrent use.
func (p *Processor) Process(ctx context.Context, src *options.Source, o *options.Options, neg *options.Negotiation) (options.Output, error) {
	defer src.Release() // after every image made from it is closed; a no-op once an Output keeps it
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	var res options.ResultMeta
	src.Data = svgUTF8(src.Data) // the source's owner still frees the original bytes
	meta, err := p.probe(src.Data, &res)
	if err != nil {
		return options.Output{}, err
	}
	if src.Data, err = styleSVG(src.Data, meta.Format, o.Style); err != nil { // the owner still frees the original
		return options.Output{}, err
	}
	if p.passesThrough(meta.Format, o) {
		return p.passthrough(src, meta, o.Limits, res)
	}
	if err := p.checkRequest(ctx, src.Data, meta, o); err != nil {
		return options.Output{}, err
	}
	cancel := startCancel(ctx)
	defer cancel.close()
	st := &state{p: p, ctx: ctx, o: o, src: src.Data, meta: meta, wmData: src.Watermarks}
	out, err := st.run(neg, res)
	if err != nil {
		clearError()
		if ierr := interrupted(ctx); ierr != nil {
			return options.Output{}, ierr
		}
		if _, ok := err.(*options.Error); !ok {
			err = options.Wrap(options.KindBrokenImage, "processing", err)
		}
	}
	return out, err
}

// probe identifies src from its header (pure Go, before libvips sees it)
// and checks that this build may load it.
func (p *Processor) probe(src []byte, res *options.ResultMeta) (imagemeta.Meta, error) {
	meta, err := imagemeta.ProbeWith(src, p.cfg.MaxSVGCheckBytes)
	if err != nil {
		return meta, err
	}
	f := meta.Format
	if f == options.FormatPDF && !p.cfg.EnablePDF {
		return meta, options.Errorf(options.KindInvalidImage, "pdf sources are not supported")
	}
	res.SrcFormat, res.SrcWidth, res.SrcHeight = f, meta.Width, meta.Height
	if !canLoad[f] {
		return meta, options.Errorf(options.KindUnsupportedFormat, "cannot load %q sources", f)
	}
	return meta, nil
}

// passesThrough reports whether the source is returned as it is:
// skip_processing for its format (when no other output format is asked
// for), or an SVG that stays SVG.
func (p *Processor) passesThrough(f options.Format, o *options.Options) bool {
	if o.BestFormat && !p.cfg.BestFormat.AllowSkips {
		return false // format best processes every source (IMGPROXY_BEST_FORMAT_ALLOW_SKIPS)
	}
	if f != options.FormatPDF && o.SkipProcessing.Has(f) && (o.Format == options.FormatUnknown || o.Format == f) {
		return true
	}
	return f == options.FormatSVG && (o.Format == options.FormatSVG || (o.Format == options.FormatUnknown && !p.cfg.AlwaysRasterizeSVG))
}

// passthrough returns the source itself: the Output keeps src and its
// bytes, or, for a sanitised SVG, holds the sanitised copy in Go memory.
// The source resolution limit still applies (to one frame, as imgproxy
// checks what it loaded for a skip), so an image bomb is not handed to the
// client either; vector sources are exempt as when processing.
func (p *Processor) passthrough(src *options.Source, meta imagemeta.Meta, l options.Limits, res options.ResultMeta) (options.Output, error) {
	first := meta
	first.Frames = 1
	if err := imagemeta.CheckLimits(first, l); err != nil {
		return options.Output{}, err
	}
	res.Format, res.Width, res.Height, res.Passthrough = meta.Format, meta.Width, meta.Height, true
	if meta.Format == options.FormatSVG && p.cfg.SanitizeSVG {
		clean, err := sanitizeSVG(nil, src.Data)
		if err != nil {
			return options.Output{}, options.Wrap(options.KindBrokenSVG, "sanitize svg", err)
		}
		out := options.NewOutput(clean, nil)
		out.Meta = res
		return out, nil
	}
	out := options.NewOutput(src.Data, nil)
	out.Meta = res
	out.KeepSource(src)
	return out, nil
}

// checkRequest refuses what cannot be processed before any decoding: an
// output format this build cannot save and a source over the resolution
// limits (as the probe read it; loadHeader checks again with libvips).
func (p *Processor) checkRequest(ctx context.Context, src []byte, meta imagemeta.Meta, o *options.Options) error {
	if o.Format == options.FormatSVG {
		return options.Errorf(options.KindCannotSave, "svg output needs an svg source")
	}
	if o.Format != options.FormatUnknown && !canSave[o.Format] {
		return options.Errorf(options.KindCannotSave, "cannot save %q", o.Format)
	}
	if err := imagemeta.CheckLimits(meta, o.Limits); err != nil {
		return err
	}
	if err := checkSVGRender(src, meta, o); err != nil {
		return err
	}
	return interrupted(ctx)
}

// run loads the source, runs the step lists and saves the result.
func (st *state) run(neg *options.Negotiation, res options.ResultMeta) (options.Output, error) {
	if err := st.chooseOutput(neg); err != nil {
		return options.Output{}, err
	}
	st.beginChain()
	defer func() { st.im.close(); st.wmark.close() }()
	if err := st.loadHeader(); err != nil {
		return options.Output{}, err
	}
	if err := runSteps(st, mainPipeline); err != nil {
		return options.Output{}, err
	}
	if err := st.runChained(); err != nil {
		return options.Output{}, err
	}
	if err := runSteps(st, finalizePipeline); err != nil {
		return options.Output{}, err
	}
	out, err := st.save()
	if err != nil {
		return options.Output{}, err
	}
	res.Format, res.Width, res.Height = st.out, st.im.width(), st.im.height()
	if st.animated {
		res.Height = st.im.getInt("page-height", st.im.height())
	}
	out.Meta = res
	return out, nil
}

// chooseOutput decides the output format and whether the source is
// processed as an animation (docs/url-format.md, "Output format").
func (st *state) chooseOutput(neg *options.Negotiation) error {
	o, f := st.o, st.meta.Format
	animSrc := st.meta.Animated && st.meta.Frames > 1 && o.Limits.MaxAnimationFrames > 1 &&
		(f == options.FormatGIF || f == options.FormatWebP) && !o.DisableAnimation
	// Transparency is needed when the image has alpha or padding/extend
	// adds a canvas, and no opaque background flattens it.
	st.needAlpha = (st.meta.HasAlpha || f == options.FormatSVG ||
		o.Padding.Enabled || o.Extend.Enabled || o.ExtendAspectRatio.Enabled) && !o.FlattensAlpha()
	if o.Previous != nil {
		st.needAlpha = chainAlpha(st.meta, o)
	}
	st.out = chooseFormat(o.Format, f, neg, animSrc, st.needAlpha)
	if o.BestFormat {
		st.chooseBest(neg, animSrc)
	}
	if !canSave[st.out] {
		return options.Errorf(options.KindCannotSave, "cannot save %q", st.out)
	}
	st.animated = animSrc && supportsAnimation(st.out)
	st.frames = 1
	if st.animated {
		st.frames = min(st.meta.Frames, o.Limits.MaxAnimationFrames)
	}
	st.choosePages()
	st.vector = f == options.FormatSVG || f == options.FormatPDF
	return nil
}
