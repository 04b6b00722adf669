package options

import "testing"

func TestChooseFormat(t *testing.T) {
	all := FormatSet(0)
	for f := FormatJPEG; f < FormatPDF; f++ {
		all = all.With(f)
	}
	noAVIF := all &^ FormatSet(0).With(FormatAVIF)
	webp := FormatSet(0).With(FormatWebP)
	avifWebP := webp.With(FormatAVIF)
	for _, tc := range []struct {
		name            string
		req, src        Format
		neg             *Negotiation
		animated, alpha bool
		canSave         FormatSet
		want            Format
	}{
		{"requested", FormatPNG, FormatJPEG, nil, false, false, all, FormatPNG},
		{"enforce replaces requested", FormatPNG, FormatJPEG, &Negotiation{Enforce: webp}, false, false, all, FormatWebP},
		{"auto does not replace requested", FormatPNG, FormatJPEG, &Negotiation{Auto: webp}, false, false, all, FormatPNG},
		{"avif before webp", 0, FormatJPEG, &Negotiation{Auto: avifWebP}, false, false, all, FormatAVIF},
		{"avif not savable", 0, FormatJPEG, &Negotiation{Auto: avifWebP}, false, false, noAVIF, FormatWebP},
		{"no animated avif", 0, FormatGIF, &Negotiation{Enforce: avifWebP}, true, false, all, FormatWebP},
		{"default preferred keeps png source", 0, FormatPNG, nil, false, false, all, FormatPNG},
		{"source outside preferred", 0, FormatTIFF, nil, false, false, all, FormatJPEG},
		{"alpha skips jpeg", 0, FormatTIFF, nil, false, true, all, FormatPNG},
		{"animation needs gif", 0, FormatWebP, nil, true, false, all, FormatGIF},
		{"configured preferred", 0, FormatTIFF, &Negotiation{Preferred: []Format{FormatWebP, FormatPNG}}, false, false, all, FormatWebP},
		{"nothing fits: first preferred", 0, FormatTIFF, &Negotiation{Preferred: []Format{FormatJPEG}}, false, true, all, FormatJPEG},
	} {
		if got := ChooseFormat(tc.req, tc.src, tc.neg, tc.animated, tc.alpha, tc.canSave); got != tc.want {
			t.Errorf("%s: got %v; want %v", tc.name, got, tc.want)
		}
	}
	if d := DefaultPreferredFormats(); len(d) != 3 || d[0] != FormatJPEG || d[1] != FormatPNG || d[2] != FormatGIF {
		t.Errorf("DefaultPreferredFormats: got %v; want [jpeg png gif]", d)
	}
}
