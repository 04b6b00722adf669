package vips

import (
	"math"

	"github.com/imgedge/imgedge/options"
	"github.com/imgedge/imgedge/vips/analyze"
)

// Autoquality (docs/options.md "Autoquality"): instead of a fixed quality,
// a short search over [min, max] finds the quality that meets a target.
// Every attempt encodes the same computed image (in memory), so the source
// is decoded once. The search starts at the format's usual quality and
// steers by secant steps on the logarithm of the measure (DSSIM falls and
// size grows roughly exponentially with quality), so it usually ends
// within two or three encodes and never makes more than aqMaxEncodes.

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
	start    int // the first quality tried: the format's usual one, within [min, max]
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
	pl.start = min(max(p.qualityFor(o, f), pl.min), pl.max)
	return pl, true
}

// Bounds of the work (docs/options.md "Autoquality").
const (
	// aqMaxEncodes caps the encodes of one search, its fallback to a
	// bound included.
	aqMaxEncodes = 5
	// aqBestEncodes caps the encodes of format best with autoquality:
	// each of n lossy candidates searches with aqBestEncodes/n of them
	// (at least 2, at most aqMaxEncodes).
	aqBestEncodes = 9
	// aqMeasurePixels: DSSIM is measured on at most this many pixels; a
	// larger result and each decoded attempt are shrunk alike first.
	aqMeasurePixels = 640 * 480
)

// aqSlope is how fast the logarithm of the measure typically moves per
// quality step for format f (log DSSIM falls, log bytes grows), used for
// the second attempt before the search has two points to steer by: the
// means over qualities 60..90 of the photo corpus at 640 pixels wide
// (BENCHMARKS.md "format best and autoquality").
func aqSlope(m options.AutoqualityMethod, f options.Format) float64 {
	var bytes, dssim float64
	switch f {
	case options.FormatWebP:
		bytes, dssim = 0.025, 0.040
	case options.FormatAVIF, options.FormatHEIC:
		bytes, dssim = 0.044, 0.067
	default: // JPEG; JPEG XL alike
		bytes, dssim = 0.032, 0.056
	}
	if m == options.AutoqualitySize {
		return bytes
	}
	return dssim
}

// saveAutoFitting runs the autoquality search on the finished image (in
// memory) with at most budget encodes; max_bytes still caps the result,
// lowering the quality further from where the search ended. meter is the
// DSSIM reference, made on first use and shared by the candidates of
// format best.
func (st *state) saveAutoFitting(f options.Format, pl aqPlan, meter *aqMeter, budget int) (options.Output, error) {
	if err := st.im.copyMemory(); err != nil {
		return options.Output{}, err
	}
	out, q, err := st.p.saveAuto(st.im, f, pl, &st.o.Encoding, meter, budget)
	if err != nil || st.o.MaxBytes <= 0 || len(out.Data) <= st.o.MaxBytes || q <= 10 {
		return out, err
	}
	next := nextQuality(q, len(out.Data), st.o.MaxBytes)
	out.Release()
	return st.p.saveFitting(st.im, f, next, st.o.MaxBytes, &st.o.Encoding)
}

// aqPoint is one attempt of a search: u is the quality oriented so that
// the attempts meeting the target are those with u above some threshold
// (u = q for dssim, −q for size), v the measure (DSSIM or bytes).
type aqPoint struct {
	u int
	v float64
}

// saveAuto encodes im as f with the quality the plan's search finds (im
// is in memory) and returns it with that quality. The search looks for
// the lowest u that meets the target (the lowest quality within the DSSIM
// target, the highest within the size target) inside [min, max]: it keeps
// the tightest bracket (the lowest u that met the target, the highest
// that did not), tries next where the secant through them (or the
// typical slope from a single point) puts the aim, and stops when the
// bracket closes, when a DSSIM is within the allowed error below the
// target, or when the budget is spent. When no attempt meets the target,
// the bound nearest to it (max for dssim, min for size) is the answer.
func (p *Processor) saveAuto(im *image, f options.Format, pl aqPlan, enc *options.Encoding, meter *aqMeter, budget int) (options.Output, int, error) {
	dir := 1
	aim := math.Log(pl.target) // where the measure should land
	if pl.method == options.AutoqualitySize {
		dir = -1
	} else {
		aim = math.Log(max(pl.target-pl.allowed/2, pl.target/2))
	}
	lo, hi := min(dir*pl.min, dir*pl.max), max(dir*pl.min, dir*pl.max) // the answer's range in u
	top := hi                                                          // the fallback
	var pass, fail, prev *aqPoint
	var best, fallback options.Output
	release := func() { best.Release(); fallback.Release() }
	next := dir * pl.start
	n := 1
	for ; ; n++ {
		out, err := p.save(im, f, dir*next, enc)
		if err != nil {
			release()
			return options.Output{}, 0, err
		}
		v, err := p.aqMeasure(out.Data, f, pl.method, meter)
		if err != nil {
			out.Release()
			release()
			return options.Output{}, 0, err
		}
		pt := aqPoint{next, max(v, 1e-9)}
		switch {
		case v <= pl.target:
			best.Release()
			best, pass = out, &pt
			hi = next - 1
			if pl.method == options.AutoqualityDSSIM && pl.target-v <= pl.allowed {
				hi = lo - 1 // close enough
			}
		case next == top:
			fallback, fail = out, &pt
			lo = next + 1
		default:
			out.Release()
			fail, lo = &pt, next+1
		}
		reserve := 0 // an encode kept for the fallback
		if pass == nil && fallback.Data == nil {
			reserve = 1
		}
		if lo > hi || n+reserve >= budget {
			break
		}
		if pass != nil && fail != nil {
			next = aqNext(pass, fail, true, aim, aqSlope(pl.method, f))
		} else {
			next = aqNext(&pt, prev, false, aim, aqSlope(pl.method, f))
		}
		next = min(max(next, lo), hi)
		prev = &pt
	}
	if pass != nil {
		fallback.Release()
		aqObserve(f, dir*pass.u, n)
		return best, dir * pass.u, nil
	}
	if fallback.Data != nil {
		aqObserve(f, dir*top, n)
		return fallback, dir * top, nil
	}
	aqObserve(f, dir*top, n+1)
	out, err := p.save(im, f, dir*top, enc)
	return out, dir * top, err
}

// aqObserver, when not nil, is told the outcome of every search (format,
// quality, encodes); the corpus benchmarks set it while no other
// processing runs.
var aqObserver func(f options.Format, q, encodes int)

func aqObserve(f options.Format, q, encodes int) {
	if aqObserver != nil {
		aqObserver(f, q, encodes)
	}
}

// aqNext is where the search tries next: the u at which the measure is
// expected to reach aim, rounded up (towards meeting the target). The
// logarithm of the measure falls as u grows, at the rate of the line
// through from and other (the bracket's ends, or the last two attempts),
// else at the typical rate k. A bracket whose ends do not fall is
// bisected.
func aqNext(from, other *aqPoint, bracket bool, aim, k float64) int {
	if other != nil && other.u != from.u {
		s := (math.Log(other.v) - math.Log(from.v)) / float64(from.u-other.u)
		switch {
		case s > 0:
			k = s
		case bracket:
			return (from.u + other.u + 1) / 2
		}
	}
	u := float64(from.u) + (math.Log(from.v)-aim)/k
	return int(math.Ceil(max(min(u, 1000), -1000) - 1e-9))
}

// aqMeasure is the measure of an attempt: its size, or its DSSIM.
func (p *Processor) aqMeasure(data []byte, f options.Format, m options.AutoqualityMethod, meter *aqMeter) (float64, error) {
	if m == options.AutoqualitySize {
		return float64(len(data)), nil
	}
	return meter.measure(p, data, f)
}

// aqMeter measures DSSIM against one finished image (the reference): it
// is made on first use (measure) and released by whoever declared it.
// Not safe for concurrent use.
type aqMeter struct {
	im    *image // the finished image; borrowed
	ref   *analyze.DSSIMReference
	scale float64 // < 1: both sides are shrunk by it before measuring
}

// measure decodes an encoded attempt and returns its DSSIM against the
// reference (+Inf when its size differs).
func (m *aqMeter) measure(p *Processor, data []byte, f options.Format) (float64, error) {
	if m.ref == nil {
		m.scale = 1
		if px := float64(m.im.width()) * float64(m.im.height()); px > aqMeasurePixels {
			m.scale = math.Sqrt(aqMeasurePixels / px)
		}
		a, err := m.im.measureRGBA(m.scale)
		if err != nil {
			return 0, err
		}
		if m.ref, err = analyze.NewDSSIMReference(a); err != nil {
			return 0, options.Wrap(options.KindCannotSave, "dssim", err)
		}
	}
	dec, err := p.load(data, f, loadParams{})
	if err != nil {
		return 0, err
	}
	defer dec.close()
	got, err := dec.measureRGBA(m.scale)
	if err != nil {
		return 0, err
	}
	d, err := m.ref.Compare(got)
	if err != nil {
		return math.Inf(1), nil // the decoded attempt has another size
	}
	return d, nil
}

// release frees the reference; m may be measured with again (it is
// made anew).
func (m *aqMeter) release() {
	m.ref.Release()
	m.ref = nil
}

// measureRGBA returns im as RGBA for DSSIM, shrunk by scale when it is
// below 1 (im is unchanged).
func (im *image) measureRGBA(scale float64) (*analyze.Image, error) {
	if scale >= 1 {
		return im.rgba()
	}
	c, err := im.clone()
	if err != nil {
		return nil, err
	}
	defer c.close()
	if err := c.resize(scale, scale); err != nil {
		return nil, err
	}
	return c.rgba()
}
