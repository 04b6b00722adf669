package vips

import (
	"math"

	"github.com/imgedge/imgedge/options"
)

// supportsAlpha reports whether f can store transparency (BMP: 32-bit
// with an alpha mask, as imgproxy writes it).
func supportsAlpha(f options.Format) bool {
	return f != options.FormatJPEG
}

// supportsAnimation reports whether imgedge writes f animated.
func supportsAnimation(f options.Format) bool {
	return f == options.FormatGIF || f == options.FormatWebP
}

// hasQuality reports whether f's encoder has a quality knob (max_bytes
// re-encodes only those, docs/processing.md).
func hasQuality(f options.Format) bool {
	switch f {
	case options.FormatJPEG, options.FormatWebP, options.FormatAVIF, options.FormatHEIC, options.FormatJXL, options.FormatTIFF:
		return true
	}
	return false
}

// supportsHDR reports whether f is saved with 16 bits per channel when
// preserve_hdr keeps them.
func supportsHDR(f options.Format) bool {
	return f == options.FormatPNG || f == options.FormatTIFF
}

// enforcePriority is the ENFORCE_*/AUTO_* preference order
// (docs/processing.md, "Output format").
var enforcePriority = [...]options.Format{options.FormatJXL, options.FormatAVIF, options.FormatWebP}

// pickNegotiated returns the best format in set that can be saved (and
// animated when needed), or FormatUnknown.
func pickNegotiated(set options.FormatSet, animated bool) options.Format {
	for _, f := range enforcePriority {
		if !set.Has(f) || !canSave[f] {
			continue
		}
		if animated && (f == options.FormatAVIF || f == options.FormatJXL) {
			continue
		}
		return f
	}
	return options.FormatUnknown
}

// chooseFormat implements the output format rules of docs/url-format.md
// ("Output format") and docs/processing.md. requested is the format option
// (FormatUnknown = auto); src the source format; animated and alpha
// describe what the result needs.
func chooseFormat(requested, src options.Format, neg *options.Negotiation, animated, alpha bool) options.Format {
	var n options.Negotiation
	if neg != nil {
		n = *neg
	}
	if requested != options.FormatUnknown {
		if f := pickNegotiated(n.Enforce, animated); f != options.FormatUnknown {
			return f
		}
		return requested
	}
	if f := pickNegotiated(n.Auto|n.Enforce, animated); f != options.FormatUnknown {
		return f
	}
	preferred := n.Preferred
	if len(preferred) == 0 {
		preferred = []options.Format{options.FormatJPEG, options.FormatPNG, options.FormatGIF}
	}
	for _, f := range preferred {
		if f == src && canSave[f] {
			return f
		}
	}
	for _, f := range preferred {
		if !canSave[f] || (animated && !supportsAnimation(f)) || (alpha && !supportsAlpha(f)) {
			continue
		}
		return f
	}
	return preferred[0]
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
