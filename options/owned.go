package options

// Values with a lifetime that cross edge's interfaces (edge.Fetcher,
// edge.Processor): a fetched Source and a processed Output. Each owns its
// bytes through a Releaser and is moved, not shared, from fetch to vips to
// edge, so a request has one owner chain and one release call (see
// docs/architecture.md, "Ownership").

// Releaser is implemented by whatever owns the bytes of a Source or an
// Output (a pooled fetch buffer, libvips' encoder memory). Release is
// called exactly once, when the bytes are no longer read.
type Releaser interface {
	Release()
}

// Source is a fetched source image: its bytes and what the source said
// about them. It owns the bytes, which stay valid until Release. A Source
// is moved, not copied: a function that takes one says so and releases it
// (or hands it on). A Source made as a literal (the fallback image's bytes)
// owns nothing and its Release only clears Data. Not safe for concurrent
// use.
type Source struct {
	Data []byte
	Meta SourceMeta
	// Watermarks holds the images of the request's watermark_url options
	// (one per URL; a chained request may have several), fetched by edge
	// along with the source; nil = none. The bytes are immutable and may
	// be shared (edge keeps them in a cache): nobody writes or releases
	// them.
	Watermarks map[string][]byte
	owner      Releaser
}

// NewSource returns a Source whose data is owned by owner (nil: owned by
// nobody, e.g. bytes that live as long as the process).
func NewSource(data []byte, owner Releaser) Source {
	return Source{Data: data, owner: owner}
}

// Release gives the bytes back to their owner and clears Data; Meta stays.
// Calling it again does nothing.
func (s *Source) Release() {
	if s.owner != nil {
		s.owner.Release()
		s.owner = nil
	}
	s.Data = nil
}

// Output is a processed result: the encoded bytes and what they are. The
// bytes may live in C memory (libvips' encoder buffer) or be the source's
// own bytes (skip_processing, SVG passthrough); either way they stay valid
// until Release, which frees them and, when they alias the source, releases
// the source too. An Output is moved, not copied. Not safe for concurrent
// use (edge shares one between coalesced requests behind a reference count).
type Output struct {
	Data  []byte
	Meta  ResultMeta
	owner Releaser
	src   Releaser // owner of the source bytes Data aliases; nil = none
}

// NewOutput returns an Output whose data is owned by owner (nil: Go memory
// left to the garbage collector).
func NewOutput(data []byte, owner Releaser) Output {
	return Output{Data: data, owner: owner}
}

// KeepSource makes o the owner of src's bytes, which o.Data aliases: src
// owns nothing afterwards (its Data is cleared, Meta stays) and o.Release
// releases them.
func (o *Output) KeepSource(src *Source) {
	if o.src != nil {
		panic("BUG: options: Output already keeps a source")
	}
	o.src, src.owner, src.Data = src.owner, nil, nil
}

// Release frees the bytes and the source they alias, and clears Data;
// Meta stays. Calling it again does nothing.
func (o *Output) Release() {
	if o.owner != nil {
		o.owner.Release()
		o.owner = nil
	}
	if o.src != nil {
		o.src.Release()
		o.src = nil
	}
	o.Data = nil
}
