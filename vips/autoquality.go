package vips

import (
	"math"

	"github.com/imgedge/imgedge/options"
	"github.com/imgedge/imgedge/vips/analyze"
)

// Autoquality (docs/options.md "Autoquality"): instead of a fixed quality,
// a bounded binary search over [min, max] finds the quality that meets a
// target. Every attempt encodes the same computed image (in memory), so
// the source is decoded once; the search stops after at most
// log2(max-min+1)+1 encodes.

// AutoqualityConfig holds the IMGPROXY_AUTOQUALITY_* defaults. A URL's
// autoquality option overrides each of them.
type AutoqualityConfig struct {
	// Method is IMGPROXY_AUTOQUALITY_METHOD (none, size or dssim).
	Method options.AutoqualityMethod
	// Target is IMGPROXY_AUTOQUALITY_TARGET: bytes for size, DSSIM for
	// dssim (default 0.02).
	Target float64
	// Min and Max are IMGPROXY_AUTOQUALITY_MIN/MAX (70, 80); FormatMin and
	// FormatMax are the per-format IMGPROXY_AUTOQUALITY_FORMAT_MIN/MAX
	// (0 = Min/Max; AVIF 60 and 65 by default).
	Min, Max             int
	FormatMin, FormatMax [options.NumFormats]int
	// AllowedError is IMGPROXY_AUTOQUALITY_ALLOWED_ERROR (0.002): a DSSIM
	// within this distance below the target ends the search.
	AllowedError float64
	// MaxResolution is IMGPROXY_AUTOQUALITY_MAX_RESOLUTION in pixels:
	// larger results are saved with the usual quality; 0 = no limit.
	MaxResolution int64
}

// DefaultAutoqualityConfig returns the documented defaults.
func DefaultAutoqualityConfig() AutoqualityConfig {
	c := AutoqualityConfig{Method: options.AutoqualityNone, Target: 0.02, Min: 70, Max: 80, AllowedError: 0.002}
	c.FormatMin[options.FormatAVIF], c.FormatMax[options.FormatAVIF] = 60, 65
	return c
}

// Validate checks the ranges; errors name the variable.
func (c *AutoqualityConfig) Validate() error {
	switch {
	case c.Method == options.AutoqualityDefault:
		return options.ConfigErrorf("IMGPROXY_AUTOQUALITY_METHOD", "must be none, size or dssim")
	case !(c.Target > 0):
		return options.ConfigErrorf("IMGPROXY_AUTOQUALITY_TARGET", "must be > 0; got %g", c.Target)
	case c.Min < 1 || c.Min > 100:
		return options.ConfigErrorf("IMGPROXY_AUTOQUALITY_MIN", "must be in 1..100; got %d", c.Min)
	case c.Max < c.Min || c.Max > 100:
		return options.ConfigErrorf("IMGPROXY_AUTOQUALITY_MAX", "must be in IMGPROXY_AUTOQUALITY_MIN..100; got %d", c.Max)
	case c.AllowedError < 0 || c.AllowedError > 1:
		return options.ConfigErrorf("IMGPROXY_AUTOQUALITY_ALLOWED_ERROR", "must be in 0..1; got %g", c.AllowedError)
	case c.MaxResolution < 0:
		return options.ConfigErrorf("IMGPROXY_AUTOQUALITY_MAX_RESOLUTION", "must be >= 0")
	}
	for f := range c.FormatMin {
		if c.FormatMin[f] < 0 || c.FormatMin[f] > 100 {
			return options.ConfigErrorf("IMGPROXY_AUTOQUALITY_FORMAT_MIN", "%s must be in 1..100", options.Format(f))
		}
		if c.FormatMax[f] < 0 || c.FormatMax[f] > 100 {
			return options.ConfigErrorf("IMGPROXY_AUTOQUALITY_FORMAT_MAX", "%s must be in 1..100", options.Format(f))
		}
	}
	return nil
}

// aqPlan is the autoquality search resolved for one output format.
type aqPlan struct {
	method   options.AutoqualityMethod
	target   float64
	min, max int
	allowed  float64
}

// autoqualityFor resolves the URL's autoquality over the server's for
// format f; ok is false when the usual quality applies: method none, a
// format without a quality setting, an explicit quality in the URL with
// the method left to the server, or a result over MaxResolution.
func (p *Processor) autoqualityFor(o *options.Options, f options.Format, pixels int64) (aqPlan, bool) {
	c, u := &p.cfg.Autoquality, &o.Autoquality
	m := u.Method
	if m == options.AutoqualityDefault {
		if o.Quality > 0 {
			return aqPlan{}, false
		}
		m = c.Method
	}
	switch f {
	case options.FormatJPEG, options.FormatWebP, options.FormatAVIF, options.FormatHEIC, options.FormatJXL:
	default:
		return aqPlan{}, false
	}
	if m != options.AutoqualitySize && m != options.AutoqualityDSSIM || c.MaxResolution > 0 && pixels > c.MaxResolution {
		return aqPlan{}, false
	}
	pick := func(url, format, global int) int {
		switch {
		case url > 0:
			return url
		case format > 0:
			return format
		}
		return global
	}
	pl := aqPlan{method: m, target: u.Target, allowed: c.AllowedError,
		min: pick(u.Min, c.FormatMin[f], c.Min), max: pick(u.Max, c.FormatMax[f], c.Max)}
	if pl.target == 0 {
		pl.target = c.Target
	}
	if u.HasAllowedError {
		pl.allowed = u.AllowedError
	}
	if pl.min > pl.max {
		pl.min = pl.max
	}
	return pl, true
}

// saveAutoFitting runs the autoquality search on the finished image (in
// memory); max_bytes still caps the result, lowering the quality further
// from where the search ended.
func (st *state) saveAutoFitting(f options.Format, pl aqPlan) (options.Output, error) {
	if err := st.im.copyMemory(); err != nil {
		return options.Output{}, err
	}
	out, q, err := st.p.saveAuto(st.im, f, pl, &st.o.Encoding)
	if err != nil || st.o.MaxBytes <= 0 || len(out.Data) <= st.o.MaxBytes || q <= 10 {
		return out, err
	}
	next := nextQuality(q, len(out.Data), st.o.MaxBytes)
	out.Release()
	return st.p.saveFitting(st.im, f, next, st.o.MaxBytes, &st.o.Encoding)
}

// saveAuto encodes im as f with the quality the plan's search finds (im
// is in memory). The result is the attempt the search settles on; the
// other attempts are released.
func (p *Processor) saveAuto(im *image, f options.Format, pl aqPlan, enc *options.Encoding) (options.Output, int, error) {
	var ref *analyze.Image
	if pl.method == options.AutoqualityDSSIM {
		var err error
		if ref, err = im.rgba(); err != nil {
			return options.Output{}, 0, err
		}
	}
	var best options.Output
	bestQ := 0
	keep := func(out options.Output, q int) {
		best.Release()
		best, bestQ = out, q
	}
	lo, hi := pl.min, pl.max
	for lo < hi {
		var mid int
		if pl.method == options.AutoqualitySize {
			mid = (lo + hi + 1) / 2 // highest quality that fits
		} else {
			mid = (lo + hi) / 2 // lowest quality that looks right
		}
		out, err := p.save(im, f, mid, enc)
		if err != nil {
			best.Release()
			return options.Output{}, 0, err
		}
		ok, done, err := p.aqJudge(out, f, ref, pl)
		if err != nil {
			out.Release()
			best.Release()
			return options.Output{}, 0, err
		}
		switch {
		case ok && pl.method == options.AutoqualitySize:
			keep(out, mid)
			lo = mid
		case ok:
			keep(out, mid)
			hi = mid
		case pl.method == options.AutoqualitySize:
			out.Release()
			hi = mid - 1
		default:
			out.Release()
			lo = mid + 1
		}
		if done {
			return best, bestQ, nil
		}
	}
	if bestQ == lo {
		return best, bestQ, nil
	}
	// The bound itself: never tried (it is the fallback when nothing
	// else met the target).
	best.Release()
	out, err := p.save(im, f, lo, enc)
	return out, lo, err
}

// aqJudge says whether an attempt meets the target and whether it is
// close enough (DSSIM within the allowed error) to stop.
func (p *Processor) aqJudge(out options.Output, f options.Format, ref *analyze.Image, pl aqPlan) (ok, done bool, err error) {
	if pl.method == options.AutoqualitySize {
		return float64(len(out.Data)) <= pl.target, false, nil
	}
	d, err := p.dssimOf(out.Data, f, ref)
	if err != nil {
		return false, false, err
	}
	ok = d <= pl.target
	return ok, ok && pl.target-d <= pl.allowed, nil
}

// dssimOf decodes an encoded attempt and measures it against ref.
func (p *Processor) dssimOf(data []byte, f options.Format, ref *analyze.Image) (float64, error) {
	dec, err := p.load(data, f, loadParams{})
	if err != nil {
		return 0, err
	}
	defer dec.close()
	got, err := dec.rgba()
	if err != nil {
		return 0, err
	}
	if got.W != ref.W || got.H != ref.H {
		return math.Inf(1), nil
	}
	return analyze.DSSIM(ref, got)
}
