package options

// The plain structs below are the vocabulary edge/ uses to talk to fetch/
// and vips/ through the interfaces it declares (edge.Fetcher,
// edge.Processor), so that edge never imports either package.

// Conditional carries the client's validators forwarded to the source
// (docs/http.md "Validators and 304"). Empty strings mean "not sent".
type Conditional struct {
	IfNoneMatch     string
	IfModifiedSince string
}

// SourceMeta describes a fetched source. Strings are empty when unknown.
type SourceMeta struct {
	ETag         string
	LastModified string
	CacheControl string // origin Cache-Control (for IMGPROXY_CACHE_CONTROL_PASSTHROUGH)
	Expires      string // origin Expires (converted to max-age on passthrough)
	ContentType  string
	// NotModified is true when the source answered the Conditional with
	// "not modified": the Source's Data is then empty and no processing
	// may happen.
	NotModified bool
}

// Negotiation is the format-choice input derived from the Accept header
// and the server's AUTO_*/ENFORCE_*/PREFERRED_FORMATS settings
// (docs/url-format.md "Output format"). The choice itself needs the source
// (animation, alpha), so vips/ calls ChooseFormat with it.
type Negotiation struct {
	// Auto: formats the client accepts AND whose IMGPROXY_AUTO_* is on.
	Auto FormatSet
	// Enforce: formats the client accepts AND whose IMGPROXY_ENFORCE_* is on.
	Enforce FormatSet
	// Preferred is IMGPROXY_PREFERRED_FORMATS in order (default jpeg,png,gif).
	Preferred []Format
}

// ResultMeta describes a produced image (for headers and logs).
type ResultMeta struct {
	Format              Format
	Width, Height       int
	SrcFormat           Format
	SrcWidth, SrcHeight int
	// Passthrough is true when the result is the source as it is
	// (skip_processing, SVG passthrough, sanitised or not).
	Passthrough bool
}

// StreamRequest carries the client headers forwarded to the origin for the
// `raw` option (docs/http.md "raw"). Empty strings mean "not sent".
type StreamRequest struct {
	IfNoneMatch     string
	IfModifiedSince string
	AcceptEncoding  string
	Range           string
}

// StreamResponse is the origin's answer for the `raw` option: its status and
// the headers passed through to the client. Strings are empty when absent.
type StreamResponse struct {
	Status          int
	ContentLength   int64 // -1 = unknown
	ContentType     string
	ContentEncoding string
	ContentRange    string
	AcceptRanges    string
	LastModified    string
	ETag            string
	CacheControl    string
	Expires         string
}
