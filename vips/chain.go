package vips

import (
	"github.com/imgedge/imgedge/options"
	"github.com/imgedge/imgedge/vips/imagemeta"
)

// Chained pipelines (docs/options.md "Chained pipelines"): a request whose
// options have a Previous runs one pipeline per Options, first to last.
// The first pipeline loads the source as usual (mainPipeline); each later
// one starts from the previous result, kept as an image in memory (never
// encoded in between), and runs chainPipeline. Only the last one is
// finalised and saved. While the earlier pipelines run the output format
// is left open (st.out is FormatUnknown): nothing is flattened or capped
// for a format until the last pipeline.

// chainPipeline is mainPipeline for a pipeline after the first: there is
// no source to load or shrink, and trim works on the image in memory.
var chainPipeline = []step{
	{"trim", trimInMemory},
	{"plan", plan},
	{"frames", frames},
}

// chainAlpha is needAlpha for a chained request: a canvas adds
// transparency and a background removes it, pipeline after pipeline.
func chainAlpha(meta imagemeta.Meta, last *options.Options) bool {
	alpha := meta.HasAlpha || meta.Format == options.FormatSVG
	for _, o := range last.Pipelines() {
		alpha = (alpha || o.Padding.Enabled || o.Extend.Enabled || o.ExtendAspectRatio.Enabled) && !o.FlattensAlpha()
	}
	return alpha
}

// beginChain prepares a chained request before loading: st.pipes lists
// the pipelines, st.o becomes the first one and the output format is held
// back until the last.
func (st *state) beginChain() {
	if st.o.Previous == nil {
		return
	}
	st.pipes = st.o.Pipelines()
	st.finalOut, st.out = st.out, options.FormatUnknown
	st.o = st.pipes[0]
}

// runChained runs the pipelines after the first, each on the result of
// the one before; the last one gets the output format back.
func (st *state) runChained() error {
	if len(st.pipes) < 2 {
		return nil
	}
	for i, o := range st.pipes[1:] {
		if i == len(st.pipes)-2 {
			st.out = st.finalOut
		}
		if err := interrupted(st.ctx); err != nil {
			return err
		}
		if err := st.startPipeline(o); err != nil {
			return err
		}
		if err := runSteps(st, chainPipeline); err != nil {
			return err
		}
	}
	return nil
}

// startPipeline makes the current result the source of pipeline o: it is
// computed into memory (the steps may read it more than once; its size is
// bounded by the previous plan) and its size becomes the raw size. The
// EXIF orientation was applied by the first pipeline.
func (st *state) startPipeline(o *options.Options) error {
	if err := st.im.copyMemory(); err != nil {
		return err
	}
	st.o = o
	st.rawW, st.rawH = st.im.width(), st.im.height()
	if st.animated {
		if ph := st.im.getInt("page-height", st.rawH); ph > 0 && st.rawH%ph == 0 {
			st.rawH = ph
		}
	}
	st.orientation, st.vector, st.vscale, st.trimmed = 1, false, 1, true
	st.keepCMYK, st.cmykICC = false, nil
	return nil
}

// trimInMemory is trim for a pipeline after the first: the image is
// already in memory at its working size.
func trimInMemory(st *state) error {
	if !st.o.Trim.Enabled || st.animated {
		return nil
	}
	if err := trimBorder(st.im, st.o.Trim); err != nil {
		return err
	}
	st.rawW, st.rawH = st.im.width(), st.im.height()
	return nil
}
