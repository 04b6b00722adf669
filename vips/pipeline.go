package vips

import (
	"context"

	"github.com/imgedge/imgedge/options"
	"github.com/imgedge/imgedge/vips/imagemeta"
)

// Processing is three ordered lists of named steps, read top to bottom
// (docs/processing.md describes each step):
//
//   - mainPipeline runs once on the whole image: it prepares the source
//     (vector guard, trim), plans the geometry, reloads with
//     shrink-on-load, then runs framePipeline;
//   - framePipeline runs on the whole image, or once per frame of an
//     animation (frames.go splits and joins them);
//   - finalizePipeline brings the result to what the output format
//     stores.
//
// Loading the header comes before the lists (load.go) and saving after
// them (save.go). A step takes the shared state, changes st.im (or the
// plan) and returns an error; a step that has nothing to do for the
// request returns nil at once. Adding a processing option is one entry here
// and one file with its step. The context is checked between steps.
var mainPipeline = []step{
	{"vector guard", vectorGuard},
	{"trim", trim},
	{"plan", plan},
	{"scale on load", scaleOnLoad},
	{"shared decode", sharedDecode},
	{"pages", stackPages},
	{"frames", frames},
}

var framePipeline = []step{
	{"crop", crop},
	{"import colour", importColour},
	{"flatten early", flattenEarly},
	{"resize", resize},
	{"orient", orientImage},
	{"blur areas", blurAreas},
	{"result crop", cropToResult},
	{"adjust", adjust},
	{"monochrome", monochrome},
	{"duotone", duotone},
	{"blur", blur},
	{"sharpen", sharpen},
	{"unsharp masking", unsharpMasking},
	{"progressive blur", progressiveBlur},
	{"pixelate", pixelate},
	{"extend", extend},
	{"extend aspect ratio", extendAspectRatio},
	{"padding", padding},
	{"fix size", fixSize},
	{"flatten", flatten},
	{"colorize", colorize},
	{"gradient", gradient},
	{"watermark", watermark},
}

var finalizePipeline = []step{
	{"export colour", exportColour},
	{"strip metadata", strip},
	{"color profile", colorProfile},
	{"dpi", dpi},
}

// step is one named processing step.
type step struct {
	name string
	run  func(st *state) error
}

// runSteps runs steps in order on st, stopping at the first error or when
// st.ctx ends.
func runSteps(st *state, steps []step) error {
	for _, s := range steps {
		if err := interrupted(st.ctx); err != nil {
			return err
		}
		if err := s.run(st); err != nil {
			return err
		}
	}
	return nil
}

// state is what the steps of one Process call share. It lives on the
// goroutine (and locked OS thread) of that call.
type state struct {
	p    *Processor
	ctx  context.Context
	o    *options.Options
	src  []byte         // source bytes; images loaded from them borrow them
	meta imagemeta.Meta // what the pure-Go probe read from the header

	// im is the working image: the whole image in mainPipeline and
	// finalizePipeline, the current frame in framePipeline. Steps replace
	// its content (image methods swap); reloading steps replace it.
	im *image

	out       options.Format // output format
	needAlpha bool           // the result keeps transparency (alpha source or added canvas, no background)
	animated  bool           // processed frame by frame and saved animated
	frames    int            // frames loaded
	page      int            // first page of a still result (pages.go)
	pages     int            // pages stacked for a still result; 0 = no page selection
	vector    bool           // SVG or PDF: rendered at the needed scale

	orientation int         // EXIF orientation libvips read (1 = none)
	vscale      float64     // vector guard's render scale (1 = none)
	trimmed     bool        // trim reloaded the full image; no shrink-on-load
	shrunk      *loadParams // the shrinking load loadShrunk made before the plan; nil = none
	loaded      loadParams  // how st.im was last loaded (reload)

	// rawW×rawH is the full-resolution source (one frame) before
	// orientation, after the vector guard and trim. Steps map the plan onto
	// st.im, which shrink-on-load may have made smaller.
	rawW, rawH int
	t          orient   // EXIF orientation, rotate and flip as one transform
	g          geometry // the plan: crop, scaled, result, extend, padding sizes
	smart      bool     // the result crop uses smartcrop

	keepCMYK bool   // a CMYK source with a profile goes back to CMYK on output (strip_color_profile=false)
	cmykICC  []byte // that profile, saved by importColour

	wmData   map[string][]byte  // the watermark_url images' bytes by URL (options.Source.Watermarks)
	wmark    *image             // the mark prepared for this image (watermark.go); closed by run
	wmarkFor *options.Options   // the pipeline wmark was prepared for
	pipes    []*options.Options // a chained request's pipelines, first to last (chain.go); nil = one
	finalOut options.Format     // the output format while earlier pipelines run
	best     []options.Format   // format best: the candidates (best.go)
}

// reload replaces st.im by a new load of the source with lp.
func (st *state) reload(lp loadParams) error {
	st.im.close()
	st.loaded = lp
	var err error
	st.im, err = st.p.load(st.src, st.meta.Format, lp)
	return err
}

// background is the fill colour: the background option, white when unset.
func (st *state) background() options.Color {
	if st.o.HasBackground {
		return st.o.Background
	}
	return options.Color{R: 255, G: 255, B: 255}
}
