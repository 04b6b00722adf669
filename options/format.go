package options

// The output format decision (docs/options.md, "Output format"). It is a
// pure function of the request, the negotiation inputs edge derives from
// the Accept header, what the source needs (animation, alpha) and which
// formats the server can encode, so that vips calls it with what it learns
// from the source and tests can call it without libvips.

// DefaultPreferredFormats returns the default of IMGPROXY_PREFERRED_FORMATS
// (jpeg, png, gif) as a fresh slice the caller owns. It is the only place
// that list is written: the configuration table derives its documented
// default from it, and ChooseFormat uses it when Negotiation.Preferred is
// empty.
func DefaultPreferredFormats() []Format {
	return append([]Format(nil), defaultPreferred[:]...)
}

var defaultPreferred = [...]Format{FormatJPEG, FormatPNG, FormatGIF}

// SupportsAlpha reports whether f can store transparency (BMP: 32-bit
// with an alpha mask, as imgproxy writes it; PDF output holds a JPEG).
func (f Format) SupportsAlpha() bool { return f != FormatJPEG && f != FormatPDF }

// SupportsAnimation reports whether imgedge writes f animated.
func (f Format) SupportsAnimation() bool { return f == FormatGIF || f == FormatWebP }

// negotiatedPriority is the order in which IMGPROXY_ENFORCE_* and
// IMGPROXY_AUTO_* formats are preferred when the client accepts several.
var negotiatedPriority = [...]Format{FormatJXL, FormatAVIF, FormatWebP}

// pickNegotiated returns the first format of negotiatedPriority in set that
// can be saved (and animated when needed), or FormatUnknown.
func pickNegotiated(set FormatSet, animated bool, canSave FormatSet) Format {
	for _, f := range negotiatedPriority {
		if !set.Has(f) || !canSave.Has(f) {
			continue
		}
		if animated && !f.SupportsAnimation() {
			continue
		}
		return f
	}
	return FormatUnknown
}

// ChooseFormat decides the output format. requested is the format option
// or extension (FormatUnknown = automatic); src is the source format;
// animated and alpha say whether the result is animated and has (or needs)
// transparency; canSave is the set of formats this server can encode. neg
// may be nil (no negotiation, default preferred formats).
//
//  1. A requested format is used, unless an IMGPROXY_ENFORCE_* format the
//     client accepts replaces it (JXL, then AVIF, then WebP; AVIF and JXL
//     never for animated results).
//  2. Otherwise an accepted IMGPROXY_AUTO_* or IMGPROXY_ENFORCE_* format,
//     in the same order; else the source format when it is a preferred
//     format; else the first preferred format that can hold the animation
//     and the alpha; else the first preferred format.
func ChooseFormat(requested, src Format, neg *Negotiation, animated, alpha bool, canSave FormatSet) Format {
	var n Negotiation
	if neg != nil {
		n = *neg
	}
	if requested != FormatUnknown {
		if f := pickNegotiated(n.Enforce, animated, canSave); f != FormatUnknown {
			return f
		}
		return requested
	}
	if f := pickNegotiated(n.Auto|n.Enforce, animated, canSave); f != FormatUnknown {
		return f
	}
	preferred := n.Preferred
	if len(preferred) == 0 {
		preferred = defaultPreferred[:]
	}
	for _, f := range preferred {
		if f == src && canSave.Has(f) {
			return f
		}
	}
	for _, f := range preferred {
		if !canSave.Has(f) || (animated && !f.SupportsAnimation()) || (alpha && !f.SupportsAlpha()) {
			continue
		}
		return f
	}
	return preferred[0]
}
