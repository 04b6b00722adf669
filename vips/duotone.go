package vips

import "github.com/imgedge/imgedge/options"

// duotone maps the luminance of the image from the dark colour (black)
// to the light colour (white), mixed with the original by the intensity
// (the duotone option); alpha is left alone.
func duotone(st *state) error {
	d := st.o.Duotone
	if d.Intensity <= 0 {
		return nil
	}
	return tone(st.im, d.Intensity, d.Dark, d.Light)
}

// tone replaces the colour of im by dark + (light - dark) × luminance,
// mixed with the original colour by intensity. The result is colour
// (sRGB or RGB16) in im's band format.
func tone(im *image, intensity float64, dark, light options.Color) error {
	return colourOnly(im, func(c *image) error {
		format := c.bandFormat()
		lum, err := c.clone()
		if err != nil {
			return err
		}
		defer lum.close()
		if err := lum.colourspace(greyFor(format == formatUshort)); err != nil {
			return err
		}
		// Luminance 0..255 (or 0..65535) to each colour channel: the
		// multiplier is the same for both depths, the offset scales.
		scale := sampleScale(c)
		d, l := rgb(dark), rgb(light)
		a, b := make([]float64, 3), make([]float64, 3)
		for i := range a {
			a[i] = (l[i] - d[i]) / 255
			b[i] = d[i] * scale
		}
		if err := lum.linear(a, b, false); err != nil {
			return err
		}
		if err := lum.cast(format); err != nil {
			return err
		}
		if err := lum.copy(); err != nil {
			return err
		}
		lum.setInterp(colourInterp(format))
		if err := toColour(c); err != nil {
			return err
		}
		return blendConst(c, lum, intensity)
	})
}

// rgb returns c's channels as numbers.
func rgb(c options.Color) [3]float64 { return [3]float64{float64(c.R), float64(c.G), float64(c.B)} }

// colourInterp is the colour interpretation for a band format: RGB16 for
// 16-bit, sRGB otherwise.
func colourInterp(f bandFormat) interpretation {
	if f == formatUshort {
		return interpRGB16
	}
	return interpSRGB
}
