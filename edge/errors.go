package edge

import (
	"errors"
	"html"
	"strings"

	"github.com/imgedge/imgedge/options"
)

// errType is the `type` label of errors_total (docs/metrics.md).
type errType uint8

const (
	errTypePathParsing errType = iota
	errTypeSecurity
	errTypeQueue
	errTypeDownload
	errTypeProcessing
	errTypeTimeout
	errTypeStreaming
	errTypeIO
	errTypeImageDataSize
	errTypeUnexpected
	numErrTypes
)

var errTypeNames = [numErrTypes]string{"path_parsing", "security", "queue", "download", "processing",
	"timeout", "streaming", "IO", "image_data_size", "unexpected"}

// errInfo is one row of the error table.
type errInfo struct {
	status int
	msg    string // public message: the whole body in production mode
	typ    errType
}

// errTable is THE mapping from options.ErrorKind to status, public message
// and metric type (docs/http.md "Errors"). KindUpstreamStatus's status is
// refined by statusOf.
var errTable = [options.NumErrorKinds]errInfo{
	options.KindUnexpected:        {500, "Internal error", errTypeUnexpected},
	options.KindInvalidURL:        {404, "Invalid URL", errTypePathParsing},
	options.KindSecurityOption:    {403, "Invalid URL", errTypeSecurity},
	options.KindSignatureIsOption: {403, "The signature appears to be a processing option. The signature section should always be present in the URL.", errTypeSecurity},
	options.KindForbidden:         {403, "Forbidden", errTypeSecurity},
	options.KindSourceNotAllowed:  {404, "Invalid source URL", errTypeSecurity},
	options.KindUnreachable:       {404, "Source is unreachable", errTypeDownload},
	options.KindUpstreamStatus:    {404, "Source is unreachable", errTypeDownload},
	options.KindDownloadTimeout:   {504, "Source is unreachable", errTypeDownload},
	options.KindIncomplete:        {422, "Source response is incomplete", errTypeDownload},
	options.KindSourceTooBig:      {422, "Invalid source image", errTypeImageDataSize},
	options.KindInvalidImage:      {422, "Invalid source image", errTypeDownload},
	options.KindUnsupportedFormat: {422, "Invalid URL", errTypeProcessing},
	options.KindCannotSave:        {422, "Invalid URL", errTypeProcessing},
	options.KindBrokenImage:       {422, "Broken or unsupported image", errTypeProcessing},
	options.KindBrokenSVG:         {422, "Broken or unsupported SVG image", errTypeProcessing},
	options.KindQueueFull:         {429, "Too many requests", errTypeQueue},
	options.KindTimeout:           {503, "Timeout", errTypeTimeout},
	options.KindCanceled:          {499, "Cancelled", errTypeTimeout},
	options.KindResultTooBig:      {422, "Invalid URL", errTypeProcessing},
	options.KindHashsumMismatch:   {422, "Invalid source image", errTypeDownload},
}

// classify returns the kind, the HTTP status and the table row of err.
func classify(err error) (options.ErrorKind, int, *errInfo) {
	kind := options.KindOf(err)
	if int(kind) >= len(errTable) {
		kind = options.KindUnexpected
	}
	info := &errTable[kind]
	status := info.status
	if kind == options.KindUpstreamStatus {
		status = upstreamStatus(err)
	}
	return kind, status, info
}

// upstreamStatus: origin 4xx → same, 5xx → 502, anything else → 404.
func upstreamStatus(err error) int {
	var s int
	var e *options.Error
	if errors.As(err, &e) {
		s = e.UpstreamStatus
	}
	switch {
	case s >= 400 && s < 500:
		return s
	case s >= 500 && s < 600:
		return 502
	}
	return 404
}

// isFetchStage reports whether a fallback image may replace the error
// (docs/http.md "Errors", the fallback image): failures of the fetch stage only.
func isFetchStage(kind options.ErrorKind) bool {
	switch kind {
	case options.KindUnreachable, options.KindUpstreamStatus, options.KindDownloadTimeout,
		options.KindIncomplete, options.KindSourceTooBig, options.KindInvalidImage:
		return true
	}
	return false
}

// devBody renders the development-mode error page.
func devBody(dst []byte, status int, kind options.ErrorKind, public string, err error, asHTML bool) []byte {
	detail := ""
	if err != nil {
		detail = err.Error()
	}
	if !asHTML {
		dst = append(dst, public...)
		dst = append(dst, "\n\nkind: "...)
		dst = append(dst, kind.String()...)
		dst = append(dst, "\nerror: "...)
		dst = append(dst, detail...)
		return append(dst, '\n')
	}
	dst = append(dst, "<!DOCTYPE html><html><head><title>"...)
	dst = appendInt(dst, status)
	dst = append(dst, ' ')
	dst = append(dst, html.EscapeString(public)...)
	dst = append(dst, "</title></head><body><h1>"...)
	dst = append(dst, html.EscapeString(public)...)
	dst = append(dst, "</h1><p>kind: <code>"...)
	dst = append(dst, kind.String()...)
	dst = append(dst, "</code></p><pre>"...)
	dst = append(dst, html.EscapeString(detail)...)
	return append(dst, "</pre></body></html>"...)
}

func wantsHTML(accept []byte) bool {
	return strings.Contains(b2s(accept), "text/html")
}
