package vips

import (
	"fmt"
	"strconv"
)

// PDF output (imgproxy Pro's pdf format): libvips 8.14 has no PDF saver
// and the ImageMagick one stays blocked, so imgedge writes the smallest
// valid PDF itself: one page the size of the image (1 pixel = 1 point,
// i.e. 72 dpi) showing the result as a JPEG image (DCTDecode). The image
// has no transparency: the pipeline flattens it first (PDF is not a
// format with alpha, options.Format.SupportsAlpha).

// wrapPDF returns a PDF document showing jpeg, a baseline JPEG of w×h
// pixels with the given number of colour bands (1 grey, 3 RGB). It is
// PDF 1.4 with a classic cross-reference table.
func wrapPDF(jpeg []byte, w, h, bands int) []byte {
	cs := "/DeviceRGB"
	if bands == 1 {
		cs = "/DeviceGray"
	}
	content := fmt.Sprintf("q %d 0 0 %d 0 0 cm /Im0 Do Q\n", w, h)
	out := make([]byte, 0, len(jpeg)+1024)
	out = append(out, "%PDF-1.4\n%\xe2\xe3\xcf\xd3\n"...)
	var offsets []int
	obj := func(body string, stream []byte) {
		offsets = append(offsets, len(out))
		out = strconv.AppendInt(out, int64(len(offsets)), 10)
		out = append(out, " 0 obj\n"...)
		out = append(out, body...)
		if stream != nil {
			out = append(out, "\nstream\n"...)
			out = append(out, stream...)
			out = append(out, "\nendstream"...)
		}
		out = append(out, "\nendobj\n"...)
	}
	obj("<< /Type /Catalog /Pages 2 0 R >>", nil)
	obj("<< /Type /Pages /Kids [3 0 R] /Count 1 >>", nil)
	obj(fmt.Sprintf("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %d %d] /Resources << /XObject << /Im0 4 0 R >> >> /Contents 5 0 R >>", w, h), nil)
	obj(fmt.Sprintf("<< /Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace %s /BitsPerComponent 8 /Filter /DCTDecode /Length %d >>",
		w, h, cs, len(jpeg)), jpeg)
	obj(fmt.Sprintf("<< /Length %d >>", len(content)), []byte(content))
	xref := len(out)
	out = append(out, fmt.Sprintf("xref\n0 %d\n0000000000 65535 f \n", len(offsets)+1)...)
	for _, off := range offsets {
		out = append(out, fmt.Sprintf("%010d 00000 n \n", off)...)
	}
	out = append(out, fmt.Sprintf("trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(offsets)+1, xref)...)
	return out
}
