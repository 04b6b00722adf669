package fetch

import (
	"context"
	"io"
	"net/url"
	"slices"
	"strings"

	"github.com/imgedge/imgedge/options"
)

// objectRef names an object of a bucket store: scheme://bucket/key[?version].
type objectRef struct {
	bucket, key string
	// version is the S3 versionId or GCS generation ("" = latest). The
	// "query" is the bare value (as in imgproxy) or, when it starts with
	// "versionId=" / "generation=", a query string holding it.
	version string
}

// object is an opened object: metadata plus the body (nil when the store
// answered the conditional with "not modified").
type object struct {
	body               io.ReadCloser
	size               int64 // -1 = unknown
	etag, lastModified string
	contentType        string
	cacheControl       string
	expires            string
	contentEncoding    string
	notModified        bool
}

// objectSource is one bucket store (S3, GCS, Azure). Implementations map
// their SDK errors to *options.Error (not found → KindUpstreamStatus 404).
type objectSource interface {
	name() string
	allowed(bucket string) bool
	// open starts reading ref, forwarding cond to the store.
	open(ctx context.Context, ref objectRef, cond *options.Conditional) (*object, error)
}

// parseObjectRef splits "bucket/key[<sep>query]".
func parseObjectRef(rest, sep, versionParam string) (objectRef, error) {
	var ref objectRef
	if sep != "" {
		var q string
		rest, q, _ = strings.Cut(rest, sep)
		if q != "" {
			if strings.HasPrefix(q, versionParam+"=") {
				vals, err := url.ParseQuery(q)
				if err != nil {
					return ref, options.Wrap(options.KindUnreachable, "invalid source query", err)
				}
				q = vals.Get(versionParam)
			}
			ref.version = q
		}
	}
	bucket, key, _ := strings.Cut(rest, "/")
	if bucket == "" {
		return ref, errorKind(options.KindUnreachable, "source URL has no bucket")
	}
	k, err := url.PathUnescape(key)
	if err != nil {
		return ref, options.Wrap(options.KindUnreachable, "invalid object key", err)
	}
	if k == "" {
		return ref, &options.Error{Kind: options.KindUpstreamStatus, UpstreamStatus: 404, Msg: "source URL has no object key"}
	}
	ref.bucket, ref.key = bucket, k
	return ref, nil
}

// bucketAllowed: in allowed (when non-empty) and not in denied (docs/config.md).
func bucketAllowed(allowed, denied []string, bucket string) bool {
	if len(allowed) > 0 && !slices.Contains(allowed, bucket) {
		return false
	}
	return !slices.Contains(denied, bucket)
}

func versionParam(src objectSource) string {
	if src.name() == "gs" {
		return "generation"
	}
	return "versionId"
}

// openObject parses rest, checks the bucket lists and opens the object.
func (f *Fetcher) openObject(ctx context.Context, src objectSource, rest string, cond *options.Conditional) (*object, error) {
	ref, err := parseObjectRef(rest, f.cfg.SourceURLQuerySeparator, versionParam(src))
	if err != nil {
		return nil, err
	}
	if !src.allowed(ref.bucket) {
		return nil, options.Errorf(options.KindUnreachable, "%s bucket %q is not allowed", src.name(), ref.bucket)
	}
	obj, err := src.open(ctx, ref, cond)
	if err != nil {
		return nil, err
	}
	// Stores that ignore a validator are checked here as well.
	if !obj.notModified && notModified(cond, obj.etag, obj.lastModified) {
		obj.notModified = true
	}
	if obj.notModified && obj.body != nil {
		obj.body.Close()
		obj.body = nil
	}
	if !obj.notModified && obj.body == nil {
		return nil, options.Errorf(options.KindUnreachable, "%s store returned no body for %s/%s", src.name(), ref.bucket, ref.key)
	}
	return obj, nil
}

// fetchObject reads an object into a pooled buffer.
func (f *Fetcher) fetchObject(ctx context.Context, src objectSource, rest string, cond *options.Conditional, meta *options.SourceMeta, limit int64) (*buffer, error) {
	obj, err := f.openObject(ctx, src, rest, cond)
	if err != nil {
		return nil, err
	}
	meta.ETag = obj.etag
	meta.LastModified = obj.lastModified
	meta.ContentType = obj.contentType
	meta.CacheControl = obj.cacheControl
	meta.Expires = obj.expires
	if obj.notModified {
		meta.NotModified = true
		return nil, nil
	}
	defer obj.body.Close()
	var buf *buffer
	if obj.size >= 0 {
		buf, err = readKnown(ctx, obj.body, obj.size, limit)
	} else {
		buf, err = readUnknown(ctx, obj.body, limit, 0)
	}
	if err != nil {
		*meta = options.SourceMeta{}
		return nil, err
	}
	return buf, nil
}
