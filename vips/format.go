package vips

import (
	"math"

	"github.com/imgedge/imgedge/options"
)

// supportsAlpha reports whether f can store transparency.
func supportsAlpha(f options.Format) bool { return f.SupportsAlpha() }

// supportsAnimation reports whether imgedge writes f animated.
func supportsAnimation(f options.Format) bool { return f.SupportsAnimation() }

// hasQuality reports whether f's encoder has a quality knob (max_bytes
// re-encodes only those, docs/processing.md).
func hasQuality(f options.Format) bool {
	switch f {
	case options.FormatJPEG, options.FormatWebP, options.FormatAVIF, options.FormatHEIC, options.FormatJXL, options.FormatTIFF, options.FormatPDF:
		return true
	}
	return false
}

// supportsHDR reports whether f is saved with 16 bits per channel when
// preserve_hdr keeps them.
func supportsHDR(f options.Format) bool {
	return f == options.FormatPNG || f == options.FormatTIFF
}

// chooseFormat decides the output format with options.ChooseFormat (the
// one implementation of docs/url-format.md "Output format"), given the
// formats this libvips can save.
func chooseFormat(requested, src options.Format, neg *options.Negotiation, animated, alpha bool) options.Format {
	var savable options.FormatSet
	for f, ok := range canSave {
		if ok {
			savable = savable.With(options.Format(f))
		}
	}
	return options.ChooseFormat(requested, src, neg, animated, alpha, savable)
}

// qualityFor implements the quality fallback chain (docs/processing.md,
// "save").
func (p *Processor) qualityFor(o *options.Options, f options.Format) int {
	if o.Quality > 0 {
		return o.Quality
	}
	if q := o.FormatQuality[f]; q > 0 {
		return q
	}
	if q := p.cfg.FormatQuality[f]; q > 0 {
		return q
	}
	return p.cfg.Quality
}

// nextQuality is one step of the max_bytes loop (docs/processing.md).
func nextQuality(q, size, limit int) int {
	ratio := float64(size) / float64(limit)
	var nq int
	switch {
	case ratio > 3:
		nq = int(math.Round(float64(q) * 0.25))
	case ratio > 1.5:
		nq = int(math.Round(float64(q) * 0.5))
	default:
		nq = int(math.Round(float64(q) * 0.75))
	}
	return max(1, min(q-1, nq))
}
