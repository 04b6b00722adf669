// Package testimage makes source files for tests in code, so that tests
// run from a plain clone without binary fixtures. It is test support only:
// nothing in the server imports it.
package testimage

import (
	"bytes"
	"fmt"
)

// PDF returns a minimal valid one-page PDF: a w×h pt white page with a red
// rectangle inset by 10 pt, its cross-reference offsets computed as it is
// written. The caller owns the bytes.
func PDF(w, h int) []byte {
	content := fmt.Sprintf("1 0 0 rg 10 10 %d %d re f\n", w-20, h-20)
	objs := []string{
		"<< /Type /Catalog /Pages 2 0 R >>",
		"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		fmt.Sprintf("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %d %d] /Contents 4 0 R /Resources << >> >>", w, h),
		fmt.Sprintf("<< /Length %d >>\nstream\n%sendstream", len(content), content),
	}
	return writePDF(objs)
}

// writePDF writes the objects (numbered from 1, the first the catalog)
// with a cross-reference table whose offsets are computed as it writes.
func writePDF(objs []string) []byte {
	var b bytes.Buffer
	b.WriteString("%PDF-1.4\n")
	offs := make([]int, len(objs))
	for i, o := range objs {
		offs[i] = b.Len()
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", i+1, o)
	}
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", len(objs)+1)
	for _, o := range offs {
		fmt.Fprintf(&b, "%010d 00000 n \n", o)
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(objs)+1, xref)
	return b.Bytes()
}

// PDFPages returns a minimal valid PDF of w×h pt pages, one per colour
// (RGB components 0..1), each filled with its colour. The caller owns the
// bytes.
func PDFPages(w, h int, colours ...[3]float64) []byte {
	n := len(colours)
	kids := ""
	for i := range n {
		kids += fmt.Sprintf("%d 0 R ", 3+2*i)
	}
	objs := []string{
		"<< /Type /Catalog /Pages 2 0 R >>",
		fmt.Sprintf("<< /Type /Pages /Kids [%s] /Count %d >>", kids, n),
	}
	for i, c := range colours {
		content := fmt.Sprintf("%g %g %g rg 0 0 %d %d re f\n", c[0], c[1], c[2], w, h)
		objs = append(objs,
			fmt.Sprintf("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %d %d] /Contents %d 0 R /Resources << >> >>", w, h, 4+2*i),
			fmt.Sprintf("<< /Length %d >>\nstream\n%sendstream", len(content), content))
	}
	return writePDF(objs)
}
