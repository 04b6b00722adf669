package vips

import (
	"slices"

	"github.com/imgedge/imgedge/options"
	"github.com/imgedge/imgedge/vips/analyze"
)

// Format best (docs/options.md "Best format"): the result is computed
// once into memory and encoded in each candidate format; the smallest
// encoding is answered. The candidates are IMGPROXY_PREFERRED_FORMATS plus
// the WebP, AVIF and JPEG XL that IMGPROXY_AUTO_*/ENFORCE_* enable and the
// client accepts (so the answer depends on Accept exactly when detection
// is on, and edge then sends Vary: Accept). Each lossy candidate is
// encoded as a request for that format alone would be: at the URL's
// quality, else its own IMGPROXY_FORMAT_QUALITY (AVIF 63, WebP 79, ...),
// or by autoquality with a shared encode budget. The image's complexity
// decides which kinds compete: above the threshold only lossy encodings
// (JPEG, WebP, AVIF, JPEG XL, HEIC); below it the lossless ones (PNG,
// lossless WebP and JPEG XL, GIF when the image has at most 256 colours)
// as well, the smallest of all winning. A colour count calls smooth
// gradients and narrow-palette photos simple, yet no lossless coder
// shrinks their noise: there the lossy encodings stay far smaller, while
// real graphics come out smaller (and exact) lossless.

// BestFormatConfig holds the IMGPROXY_BEST_FORMAT_* settings
// (IMGPROXY_BEST_FORMAT_BY_DEFAULT is a parser default instead).
type BestFormatConfig struct {
	// ComplexityThreshold is IMGPROXY_BEST_FORMAT_COMPLEXITY_THRESHOLD
	// (5.5): images below it (analyze.Complexity) get lossless encodings.
	ComplexityThreshold float64
	// MaxResolution is IMGPROXY_BEST_FORMAT_MAX_RESOLUTION in pixels: a
	// larger result is encoded once, in the candidate that usually wins
	// for its kind; 0 = always try every candidate.
	MaxResolution int64
	// AllowSkips is IMGPROXY_BEST_FORMAT_ALLOW_SKIPS: with best, SVG and
	// IMGPROXY_SKIP_PROCESSING_FORMATS sources are still passed through.
	AllowSkips bool
}

// DefaultBestFormatConfig returns the documented defaults.
func DefaultBestFormatConfig() BestFormatConfig {
	return BestFormatConfig{ComplexityThreshold: 5.5}
}

// Validate checks the ranges; errors name the variable.
func (c *BestFormatConfig) Validate() error {
	if c.ComplexityThreshold < 0 {
		return options.ConfigErrorf("IMGPROXY_BEST_FORMAT_COMPLEXITY_THRESHOLD", "must be >= 0; got %g", c.ComplexityThreshold)
	}
	if c.MaxResolution < 0 {
		return options.ConfigErrorf("IMGPROXY_BEST_FORMAT_MAX_RESOLUTION", "must be >= 0")
	}
	return nil
}

// Orders in which a single candidate is picked when the result is over
// MaxResolution: the formats that usually win for each kind first.
var (
	lossyOrder    = []options.Format{options.FormatJXL, options.FormatAVIF, options.FormatWebP, options.FormatHEIC, options.FormatJPEG}
	losslessOrder = []options.Format{options.FormatWebP, options.FormatJXL, options.FormatPNG, options.FormatGIF}
)

// lossyKind and losslessKind report which kind of encoding a format offers
// here.
func lossyKind(f options.Format) bool { return slices.Contains(lossyOrder, f) }

func losslessKind(f options.Format) bool { return slices.Contains(losslessOrder, f) }

// chooseBest lists the candidates of format best and sets the format the
// pipeline works towards: one that keeps transparency when the result
// needs it (nothing is flattened for a candidate that could keep it).
func (st *state) chooseBest(neg *options.Negotiation, animated bool) {
	var n options.Negotiation
	if neg != nil {
		n = *neg
	}
	pref := n.Preferred
	if len(pref) == 0 {
		pref = options.DefaultPreferredFormats()
	}
	var cands []options.Format
	add := func(f options.Format) {
		if !canSave[f] || slices.Contains(cands, f) || animated && !supportsAnimation(f) ||
			st.needAlpha && !supportsAlpha(f) || !lossyKind(f) && !losslessKind(f) {
			return
		}
		cands = append(cands, f)
	}
	for _, f := range pref {
		add(f)
	}
	for _, f := range []options.Format{options.FormatJXL, options.FormatAVIF, options.FormatWebP} {
		if (n.Auto | n.Enforce).Has(f) {
			add(f)
		}
	}
	if len(cands) == 0 {
		return // st.out stays the usual choice
	}
	st.best = cands
	st.out = cands[0]
	if st.needAlpha {
		st.out = options.FormatPNG // keeps alpha, no size cap
	} else if !animated {
		st.out = options.FormatJPEG // flattened: no candidate keeps alpha
	}
	if !canSave[st.out] || animated {
		st.out = cands[0]
	}
}

// saveBest encodes the finished image in each candidate and keeps the
// smallest; st.out becomes its format.
func (st *state) saveBest() (options.Output, error) {
	im := st.im
	if err := im.copyMemory(); err != nil {
		return options.Output{}, err
	}
	cfg := &st.p.cfg.BestFormat
	simple, palette, err := st.simpleImage(cfg.ComplexityThreshold)
	if err != nil {
		return options.Output{}, err
	}
	small := min(im.width(), st.im.getInt("page-height", im.height())) < 16
	var lossy, lossless []options.Format
	for _, f := range st.best {
		if lossyKind(f) && !(small && f == options.FormatAVIF) {
			lossy = append(lossy, f)
		}
		if losslessKind(f) && (f != options.FormatGIF || palette || st.animated) {
			lossless = append(lossless, f)
		}
	}
	// A candidate is a format and whether it is encoded losslessly.
	type candidate struct {
		f        options.Format
		lossless bool
	}
	var try []candidate
	if simple || len(lossy) == 0 {
		for _, f := range lossless {
			try = append(try, candidate{f, true})
		}
	}
	for _, f := range lossy {
		try = append(try, candidate{f, false})
	}
	if len(try) == 0 {
		try = []candidate{{st.best[0], !lossyKind(st.best[0])}}
	}
	if px := int64(im.width()) * int64(im.height()); cfg.MaxResolution > 0 && px > cfg.MaxResolution && len(try) > 1 {
		// One candidate: the format that usually wins, of the kind the
		// complexity suggests.
		order, kind := lossyOrder, false
		if simple && len(lossless) > 0 {
			order, kind = losslessOrder, true
		}
	pick:
		for _, f := range order {
			for _, c := range try {
				if c.f == f && c.lossless == kind {
					try = []candidate{c}
					break pick
				}
			}
		}
	}
	// Autoquality shares one DSSIM reference and aqBestEncodes encodes
	// among the lossy candidates.
	meter := aqMeter{im: im}
	defer meter.release()
	budget := aqMaxEncodes
	if n := len(lossy); n > 1 {
		budget = min(max(aqBestEncodes/n, 2), aqMaxEncodes)
	}
	var best options.Output
	bestF := options.FormatUnknown
	for _, c := range try {
		if err := interrupted(st.ctx); err != nil {
			best.Release()
			return options.Output{}, err
		}
		var out options.Output
		var err error
		if c.lossless {
			out, err = st.p.saveLossless(st.im, c.f, &st.o.Encoding)
		} else {
			out, err = st.saveQualityWith(c.f, &meter, budget)
		}
		if err != nil {
			best.Release()
			return options.Output{}, err
		}
		if bestF == options.FormatUnknown || len(out.Data) < len(best.Data) {
			best.Release()
			best, bestF = out, c.f
		} else {
			out.Release()
		}
	}
	st.out = bestF
	return best, nil
}

// simpleImage measures the complexity of the result on a copy at most
// 256 pixels wide or high, and whether that copy has at most 256 colours
// (so that GIF can keep them).
func (st *state) simpleImage(threshold float64) (simple, palette bool, err error) {
	m, err := st.im.thumbnailRGBA(256)
	if err != nil {
		return false, false, err
	}
	return analyze.Complexity(m) < threshold, analyze.CountColours(m, 256) <= 256, nil
}

// thumbnailRGBA returns im (its first frame) reduced to fit side×side,
// as 8-bit RGBA in Go memory; im is unchanged.
func (im *image) thumbnailRGBA(side int) (*analyze.Image, error) {
	c, err := im.clone()
	if err != nil {
		return nil, err
	}
	defer c.close()
	if ph := c.getInt("page-height", c.height()); ph > 0 && ph < c.height() {
		if err := c.extractArea(0, 0, c.width(), ph); err != nil {
			return nil, err
		}
	}
	if s := float64(side) / float64(max(c.width(), c.height())); s < 1 {
		if err := c.resize(s, s); err != nil {
			return nil, err
		}
	}
	return c.rgba()
}
