package vips

import "github.com/imgedge/imgedge/options"

// The page, pages and disable_animation options (docs/options.md): a
// still result of a paged source (TIFF, PDF, GIF, WebP) is made from the
// page-th page, or from pages pages stacked vertically (libvips lays them
// out left-aligned). An animated result ignores both and uses every
// frame; disable_animation makes the result still.

// pagedFormat reports whether f has pages libvips can pick.
func pagedFormat(f options.Format) bool {
	switch f {
	case options.FormatTIFF, options.FormatPDF, options.FormatGIF, options.FormatWebP:
		return true
	}
	return false
}

// choosePages records the page selection for a still result (st.pages 0
// = the first page, as without the options). chooseOutput calls it once
// the result is known to be still or animated.
func (st *state) choosePages() {
	o := st.o
	if st.animated || !pagedFormat(st.meta.Format) || (o.Page == 0 && o.Pages <= 1) {
		return
	}
	st.page, st.pages = o.Page, max(1, o.Pages)
}

// withPages sets lp to load the selected pages.
func (st *state) withPages(lp loadParams) loadParams {
	if st.pages > 0 {
		lp.page, lp.n = st.page, st.pages
	}
	return lp
}

// countPages opens the source's header to learn its number of pages: a
// page past the end answers 404, and pages is cut to the pages that
// exist. The stacked size is checked against the resolution limits by
// loadHeader before any page is decoded.
func (st *state) countPages() error {
	if st.pages == 0 {
		return nil
	}
	if err := st.reload(loadParams{seq: true, n: 1}); err != nil {
		return err
	}
	n := max(1, st.im.getInt("n-pages", 1))
	if st.page >= n {
		return options.Errorf(options.KindInvalidURL, "page %d is past the last page of the source (%d pages)", st.page, n)
	}
	st.pages = min(st.pages, n-st.page)
	return nil
}

// stackPages makes a stack of pages a still image: the frame fields would
// make a GIF or WebP encoder write an animation.
func stackPages(st *state) error {
	if st.pages <= 1 {
		return nil
	}
	if err := st.im.copy(); err != nil {
		return err
	}
	for _, f := range []string{"page-height", "delay", "loop", "gif-loop"} {
		st.im.remove(f)
	}
	return nil
}
