package vips

import "github.com/imgedge/imgedge/options"

// flatten composes an image with alpha onto the background colour when
// the background option is set or the output format has no alpha (white
// when unset); onto a translucent one with background_alpha
// (background_alpha.go).
func flatten(st *state) error {
	if !st.flattens() {
		return nil
	}
	if st.translucentBackground() {
		return flattenTranslucent(st)
	}
	im := st.im
	vals, err := bgValues(im, st.background(), false)
	if err != nil {
		return err
	}
	return im.flatten(vals[:len(vals)-1])
}

// flattens reports whether the flatten step composes st.im onto the
// background (opaque, or translucent with background_alpha).
func (st *state) flattens() bool {
	return st.im.hasAlpha() && (st.o.HasBackground || !supportsAlpha(st.out))
}

// flattenEarly runs flatten before resize when the result is flattened
// anyway and the steps in between give the same pixels either way.
// Resizing with premultiplied alpha and then flattening onto a colour b
// yields Σw·a·c + b·(1 − Σw·a) per pixel; flattening first and resizing
// yields Σw·(a·c + b·(1 − a)), the same value because the filter's weights
// w sum to one. Flattened first, the image is resized as three 8-bit bands
// instead of four float ones (premultiplying makes floats), which is most
// of the cost of an alpha PNG turned into a JPEG. The results differ only
// by rounding (a unit of the last bit at most).
func flattenEarly(st *state) error {
	if !st.flattensEarly() {
		return nil
	}
	return flatten(st)
}

// flattensEarly reports whether flattenEarly applies: onto an opaque
// background (a translucent one keeps alpha), 8-bit pixels, not resized in
// linear light (flattening is not linear there), and none of the options
// whose steps treat the colour bands apart from alpha, so that a
// background under them would change their result. Every step that runs
// between it and flatten must be listed in flattenCommutes
// (pipeline_test.go checks the list).
func (st *state) flattensEarly() bool {
	o := st.o
	if !st.flattens() || st.translucentBackground() || st.im.bandFormat() != formatUchar ||
		st.p.cfg.UseLinearColorspace || st.smart {
		return false
	}
	a, u := o.Adjust, o.UnsharpMasking
	adjusted := a.Brightness != 0 || orOne(a.Contrast) != 1 || orOne(a.Saturation) != 1
	unsharp := u.Mode != options.UnsharpNone && u.Weight > 0 && u.Divider > 0
	return o.Blur <= 0 && o.Sharpen <= 0 && o.Pixelate <= 1 && !adjusted && !unsharp &&
		(o.BlurAreas.Sigma <= 0 || o.BlurAreas.N == 0) && o.Monochrome.Intensity <= 0 && o.Duotone.Intensity <= 0 &&
		o.ProgressiveBlur.Sigma <= 0
}

// flattenCommutes names the frame steps that may run between flattenEarly
// and flatten, with why flattening first leaves their result unchanged or
// which condition of flattensEarly excludes them.
var flattenCommutes = map[string]string{
	"resize":              "linear with weights summing to one (sRGB only: linear light is excluded)",
	"orient":              "moves pixels only",
	"result crop":         "cuts pixels only (smart crop, which looks at alpha, is excluded)",
	"blur areas":          "excluded when blur_areas is set",
	"adjust":              "excluded when brightness, contrast or saturation is set",
	"monochrome":          "excluded when monochrome is set",
	"duotone":             "excluded when duotone is set",
	"blur":                "excluded when blur is set",
	"sharpen":             "excluded when sharpen is set",
	"unsharp masking":     "excluded when it may run (mode auto or always with a weight)",
	"progressive blur":    "excluded when progressive_blur is set",
	"pixelate":            "excluded when pixelate is set",
	"extend":              "the canvas is the opaque background whenever the result is flattened",
	"extend aspect ratio": "the canvas is the opaque background whenever the result is flattened",
	"padding":             "the canvas is the opaque background whenever the result is flattened",
	"fix size":            "a resize: linear with weights summing to one",
}
