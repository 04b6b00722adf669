package options

// The plain structs below are the vocabulary edge/ uses to talk to fetch/
// and vips/ through the interfaces it declares (edge.Fetcher,
// edge.Processor), so that edge never imports either package.

// Conditional carries the client's validators forwarded to the source
// (http-behaviour.md §3). Empty strings mean "not sent".
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
	// "not modified": Data is then empty and no processing may happen.
	NotModified bool
}

// Negotiation is the format-choice input derived from the Accept header
// and the server's AUTO_*/ENFORCE_*/PREFERRED_FORMATS settings
// (url-api.md §6). The choice itself needs the source (animation, alpha),
// so vips/ makes it.
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
	// Passthrough is true when Data are the source bytes (skip_processing,
	// sanitised SVG passthrough).
	Passthrough bool
}
