package vips

// Colour management: sources are brought into a working space (sRGB or
// grey, 8-bit or 16-bit with preserve_hdr) by importColour, and the
// result is brought to what the output format stores by exportColour.
// docs/processing.md, "Colour", has the rules.

// importColour is the colour import step: into the working space, with
// the embedded profile when there is one. A CMYK source that goes back to
// CMYK (plan's keepCMYK) has its profile saved for exportColour and is
// converted with the relative colorimetric intent, so that the round trip
// matches imgproxy's.
func importColour(st *state) error {
	im := st.im
	cmykKeep := !st.o.StripColorProfile && im.interp() == interpCMYK && im.bands() == 4
	if cmykKeep && st.keepCMYK {
		st.cmykICC = im.getBlob("icc-profile-data")
	}
	return toWorking(im, st.o.StripColorProfile, st.o.PreserveHDR, cmykKeep)
}

// toWorking brings im into the working space: sRGB (or grey) 8-bit, or
// 16-bit with hdr (preserve_hdr on a 16-bit source). An embedded sRGB
// profile, or any RGB/grey profile when the profile is kept (strip=false),
// is left alone (no needless transform). relative selects the relative
// colorimetric intent.
func toWorking(im *image, strip, preserveHDR, relative bool) error {
	interp := im.interp()
	grey := interp == interpBW || interp == interpGrey16
	rgb := interp == interpSRGB || interp == interpRGB16
	hdr := im.bandFormat() == formatUshort && preserveHDR
	icc := im.getBlob("icc-profile-data")
	switch {
	case icc == nil:
		return toWorkingSpace(im, grey, hdr)
	case (rgb || grey) && !strip:
		return toWorkingSpace(im, grey, hdr) // keep the profile and the pixels as they are
	case rgb || grey:
		if isSRGBProfile(icc) {
			im.remove("icc-profile-data")
			return toWorkingSpace(im, grey, hdr)
		}
	}
	return importProfile(im, grey, hdr, relative)
}

// importProfile converts im to sRGB (or grey) with its embedded profile
// and drops the profile. A broken profile does not fail the request:
// libvips' own conversion is used instead.
func importProfile(im *image, grey, hdr, relative bool) error {
	depth := 8
	if hdr {
		depth = 16
	}
	if err := im.iccToSRGB(depth, relative); err != nil {
		clearError()
		im.remove("icc-profile-data")
		return toWorkingSpace(im, grey, hdr)
	}
	if err := im.copy(); err != nil {
		return err
	}
	im.remove("icc-profile-data")
	if grey {
		return im.colourspace(greyFor(hdr))
	}
	return nil
}

func greyFor(hdr bool) interpretation {
	if hdr {
		return interpGrey16
	}
	return interpBW
}

// toWorkingSpace converts with libvips' built-in colour spaces (no
// profile).
func toWorkingSpace(im *image, grey, hdr bool) error {
	interp := im.interp()
	switch {
	case interp == interpSRGB && im.bandFormat() == formatUchar,
		interp == interpBW && im.bandFormat() == formatUchar:
		return nil
	case grey:
		return im.colourspace(greyFor(hdr))
	case hdr && interp == interpRGB16:
		return nil
	case hdr:
		return im.colourspace(interpRGB16)
	}
	return im.colourspace(interpSRGB)
}

// toSRGB8 converts any image to 8-bit sRGB (watermarks, trim probing).
func toSRGB8(im *image) error {
	if im.interp() == interpSRGB && im.bandFormat() == formatUchar {
		return nil
	}
	if err := im.colourspace(interpSRGB); err != nil {
		return err
	}
	return im.cast(formatUchar)
}

// exportColour reduces the result to what the output format stores:
// 8-bit unless preserve_hdr and the format keeps 16 bits; back to CMYK with
// the source's profile when plan decided so.
func exportColour(st *state) error {
	im := st.im
	if st.cmykICC != nil && im.bands() == 3 {
		if err := im.iccExportTo(st.cmykICC); err == nil {
			return nil
		}
		// Cannot go back (broken profile): fall through to sRGB.
		clearError()
		im.remove("icc-profile-data")
	}
	if im.bandFormat() == formatUchar {
		switch im.interp() {
		case interpSRGB, interpBW:
			return nil
		}
	}
	hdr := st.o.PreserveHDR && supportsHDR(st.out)
	switch {
	case im.bands() <= 2:
		return im.colourspace(greyFor(hdr))
	case hdr:
		return im.colourspace(interpRGB16)
	}
	if err := im.colourspace(interpSRGB); err != nil {
		return err
	}
	return im.cast(formatUchar)
}
