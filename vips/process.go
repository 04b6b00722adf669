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

// Process runs the pipeline of docs/processing.md on src and encodes the
// result.
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
	meta, err := p.probe(src, res)
	if err != nil {
		return nil, nil, err
	}
	if p.passesThrough(meta.Format, o) {
		return p.passthrough(src, meta, res)
	}
	if err := p.checkRequest(ctx, meta, o); err != nil {
		return nil, nil, err
	}
	cancel := startCancel(ctx)
	defer cancel.close()
	st := &state{p: p, ctx: ctx, o: o, src: src, meta: meta}
	data, release, err = st.run(neg, res)
	if err != nil {
		clearError()
		if ierr := interrupted(ctx); ierr != nil {
			return nil, nil, ierr
		}
		if _, ok := err.(*options.Error); !ok {
			err = options.Wrap(options.KindBrokenImage, "processing", err)
		}
	}
	return data, release, err
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
	if f != options.FormatPDF && o.SkipProcessing.Has(f) && (o.Format == options.FormatUnknown || o.Format == f) {
		return true
	}
	return f == options.FormatSVG && (o.Format == options.FormatSVG || (o.Format == options.FormatUnknown && !p.cfg.AlwaysRasterizeSVG))
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

// checkRequest refuses what cannot be processed before any decoding: an
// output format this build cannot save and a source over the resolution
// limits (as the probe read it; loadHeader checks again with libvips).
func (p *Processor) checkRequest(ctx context.Context, meta imagemeta.Meta, o *options.Options) error {
	if o.Format == options.FormatSVG {
		return options.Errorf(options.KindCannotSave, "svg output needs an svg source")
	}
	if o.Format != options.FormatUnknown && !canSave[o.Format] {
		return options.Errorf(options.KindCannotSave, "cannot save %q", o.Format)
	}
	if err := imagemeta.CheckLimits(meta, o.Limits); err != nil {
		return err
	}
	return interrupted(ctx)
}

// run loads the source, runs the step lists and saves the result.
func (st *state) run(neg *options.Negotiation, res *options.ResultMeta) ([]byte, func(), error) {
	if err := st.chooseOutput(neg); err != nil {
		return nil, nil, err
	}
	defer func() { st.im.close() }()
	if err := st.loadHeader(); err != nil {
		return nil, nil, err
	}
	if err := runSteps(st, mainPipeline); err != nil {
		return nil, nil, err
	}
	if err := runSteps(st, finalizePipeline); err != nil {
		return nil, nil, err
	}
	data, release, err := st.save()
	if err != nil {
		return nil, nil, err
	}
	res.Format, res.Width, res.Height = st.out, st.im.width(), st.im.height()
	if st.animated {
		res.Height = st.im.getInt("page-height", st.im.height())
	}
	return data, release, nil
}

// chooseOutput decides the output format and whether the source is
// processed as an animation (docs/url-format.md, "Output format").
func (st *state) chooseOutput(neg *options.Negotiation) error {
	o, f := st.o, st.meta.Format
	animSrc := st.meta.Animated && st.meta.Frames > 1 && o.Limits.MaxAnimationFrames > 1 &&
		(f == options.FormatGIF || f == options.FormatWebP)
	// Transparency is needed when the image has alpha or padding/extend
	// adds a canvas, and no background flattens it.
	st.needAlpha = (st.meta.HasAlpha || f == options.FormatSVG ||
		o.Padding.Enabled || o.Extend.Enabled || o.ExtendAspectRatio.Enabled) && !o.HasBackground
	st.out = chooseFormat(o.Format, f, neg, animSrc, st.needAlpha)
	if !canSave[st.out] {
		return options.Errorf(options.KindCannotSave, "cannot save %q", st.out)
	}
	st.animated = animSrc && supportsAnimation(st.out)
	st.frames = 1
	if st.animated {
		st.frames = min(st.meta.Frames, o.Limits.MaxAnimationFrames)
	}
	st.vector = f == options.FormatSVG || f == options.FormatPDF
	return nil
}
