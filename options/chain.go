package options

// Chained pipelines (docs/options.md "Chained pipelines"): a "-" segment
// among the processing options starts a new pipeline, run on the result of
// the previous one. The parser produces one Options per pipeline, linked
// through Options.Previous, with the request's own Options the last one.
//
// Options that describe the request rather than one pipeline's pixels
// (output format, quality, metadata, limits, expiry, file name, ...) are
// request fields: wherever they appear in the URL they apply to the whole
// request, the last value written winning, and every pipeline of the
// parse carries the same values (copyRequestFields lists them).

// MaxPipelines caps the pipelines of one request, presets included
// (IMGPROXY_MAX_CHAINED_PIPELINES may set a lower limit for the URL).
const MaxPipelines = 8

// isChainSep reports whether a path segment starts a new pipeline.
func isChainSep(seg []byte) bool { return len(seg) == 1 && seg[0] == '-' }

// nextPipeline moves the parse to the pipeline after the current one,
// creating it from the server defaults when it does not exist yet (a
// preset may already have created it: its pipelines merge with the URL's).
func (st *parseState) nextPipeline() error {
	next := st.cur + 1
	if next == st.npipes {
		if st.npipes == MaxPipelines {
			return invalid("more than %d chained pipelines", MaxPipelines)
		}
		o := &st.extra[st.npipes-1]
		*o = st.p.defaults
		st.pipes[st.npipes] = o
		st.npipes++
	}
	st.switchPipeline(next)
	return nil
}

// urlPipeline is a "-" segment of the URL: it also counts against
// IMGPROXY_MAX_CHAINED_PIPELINES, which presets are exempt from.
func (st *parseState) urlPipeline() error {
	st.urlPipes++
	if m := st.p.maxChained; m > 0 && st.urlPipes > m {
		return invalid("too many chained pipelines: more than %d", m)
	}
	return st.nextPipeline()
}

// switchPipeline makes pipeline i the one options apply to; the request
// fields written so far travel with the parse.
func (st *parseState) switchPipeline(i int) {
	if i == st.cur {
		return
	}
	to := st.pipes[i]
	to.copyRequestFields(st.o)
	st.cur, st.o = i, to
}

// finishChain links the pipelines of a chained parse into dst.Options
// (the last pipeline, Previous pointing back) after giving every pipeline
// the final request fields. A single pipeline is left as it is.
func (st *parseState) finishChain(dst *Options) {
	if st.npipes == 1 {
		return
	}
	last := st.pipes[st.npipes-1]
	if st.o != last {
		last.copyRequestFields(st.o)
	}
	var prev *Options
	for _, o := range st.pipes[:st.npipes-1] {
		c := new(Options)
		*c = *o
		c.copyRequestFields(last)
		c.Previous = prev
		prev = c
	}
	l := *last
	l.Previous = prev
	*dst = l
}

// copyRequestFields copies the request fields of from into o. Every field
// of Options is either copied here or a pipeline field listed in
// chain_test.go; the test fails for a field that is neither.
func (o *Options) copyRequestFields(from *Options) {
	o.StripMetadata = from.StripMetadata
	o.KeepCopyright = from.KeepCopyright
	o.StripColorProfile = from.StripColorProfile
	o.PreserveHDR = from.PreserveHDR
	o.EnforceThumbnail = from.EnforceThumbnail
	o.Quality = from.Quality
	o.FormatQuality = from.FormatQuality
	o.MaxBytes = from.MaxBytes
	o.Format = from.Format
	o.BestFormat = from.BestFormat
	o.Autoquality = from.Autoquality
	o.SkipProcessing = from.SkipProcessing
	o.Raw = from.Raw
	o.CacheBuster = from.CacheBuster
	o.Expires = from.Expires
	o.Filename = from.Filename
	o.ReturnAttachment = from.ReturnAttachment
	o.Limits = from.Limits
	o.copyProSourceFields(from)
	// imgproxy Pro's image options that load the source or encode the result.
	o.Page, o.Pages, o.DisableAnimation = from.Page, from.Pages, from.DisableAnimation
	o.ColorProfile, o.DPI, o.Encoding = from.ColorProfile, from.DPI, from.Encoding
}

// Pipelines returns the pipelines of a parsed request in the order they
// run: the first one first, o (the last) at the end. It allocates; o and
// its pipelines are not changed.
func (o *Options) Pipelines() []*Options {
	n := 0
	for p := o; p != nil; p = p.Previous {
		n++
	}
	out := make([]*Options, n)
	for p := o; p != nil; p = p.Previous {
		n--
		out[n] = p
	}
	return out
}
