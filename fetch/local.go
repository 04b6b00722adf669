package fetch

import (
	"context"
	"errors"
	"io/fs"
	"mime"
	"net/url"
	"os"
	"path"
	"strconv"
	"strings"

	"github.com/imgedge/imgedge/options"
)

// Local sources (local:///path) are opened through an os.Root, the
// root-confined file API: "..", absolute names and symlinks that would leave
// IMGPROXY_LOCAL_FILESYSTEM_ROOT fail inside the kernel-facing lookup instead
// of being filtered as text.

// localName turns the part after "local://" into a root-relative name.
func (f *Fetcher) localName(rest string) (string, error) {
	if f.root == nil {
		return "", errorKind(options.KindUnreachable, "local sources are disabled (IMGPROXY_LOCAL_FILESYSTEM_ROOT)")
	}
	if sep := f.cfg.SourceURLQuerySeparator; sep != "" {
		rest, _, _ = strings.Cut(rest, sep)
	}
	p, err := url.PathUnescape(rest)
	if err != nil {
		return "", options.Wrap(options.KindUnreachable, "invalid local source path", err)
	}
	if strings.IndexByte(p, 0) >= 0 {
		return "", errorKind(options.KindUnreachable, "invalid local source path")
	}
	name := strings.TrimLeft(p, "/")
	if name == "" {
		return "", &options.Error{Kind: options.KindUpstreamStatus, UpstreamStatus: 404, Msg: "local source path is empty"}
	}
	return name, nil
}

// openLocal opens a regular file inside the root.
func (f *Fetcher) openLocal(rest string) (*os.File, fs.FileInfo, string, error) {
	name, err := f.localName(rest)
	if err != nil {
		return nil, nil, "", err
	}
	// Stat first so that a FIFO or device is never opened (open(2) on a
	// FIFO would block).
	fi, err := f.root.Stat(name)
	if err != nil {
		return nil, nil, "", localErr(name, err)
	}
	if !fi.Mode().IsRegular() {
		return nil, nil, "", &options.Error{Kind: options.KindUpstreamStatus, UpstreamStatus: 404,
			Msg: "local source " + strconv.Quote(name) + " is not a regular file"}
	}
	file, err := f.root.Open(name)
	if err != nil {
		return nil, nil, "", localErr(name, err)
	}
	if fi, err = file.Stat(); err != nil || !fi.Mode().IsRegular() {
		file.Close()
		return nil, nil, "", &options.Error{Kind: options.KindUpstreamStatus, UpstreamStatus: 404,
			Msg: "local source " + strconv.Quote(name) + " changed while opening"}
	}
	return file, fi, name, nil
}

func localErr(name string, err error) error {
	if errors.Is(err, fs.ErrNotExist) {
		return &options.Error{Kind: options.KindUpstreamStatus, UpstreamStatus: 404,
			Msg: "local source " + strconv.Quote(name) + " not found", Err: err}
	}
	// Escapes from the root, permission errors, loops: the client learns
	// nothing more than "unreachable" (404).
	return options.Wrap(options.KindUnreachable, "cannot open local source "+strconv.Quote(name), err)
}

// localMeta fills meta from file info: Last-Modified = mtime, ETag = hash of
// path, size and mtime (docs/cdn.md, "Revalidation and 304").
func localMeta(meta *options.SourceMeta, name string, fi fs.FileInfo) {
	mt := fi.ModTime()
	h := fnv64(fnvOffset, name)
	h = fnv64(h, strconv.FormatInt(fi.Size(), 36))
	h = fnv64(h, strconv.FormatInt(mt.UnixNano(), 36))
	meta.ETag = `"` + strconv.FormatUint(h, 16) + `"`
	meta.LastModified = httpTime(mt)
	meta.ContentType = mime.TypeByExtension(path.Ext(name))
}

const (
	fnvOffset = 14695981039346656037
	fnvPrime  = 1099511628211
)

// fnv64 folds s (and a separator) into an FNV-1a hash without allocating.
func fnv64(h uint64, s string) uint64 {
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= fnvPrime
	}
	h ^= 0
	h *= fnvPrime
	return h
}

// fetchLocal reads a local source into a pooled buffer of its exact size.
func (f *Fetcher) fetchLocal(ctx context.Context, rest string, cond *options.Conditional, meta *options.SourceMeta, limit int64) (*buffer, error) {
	file, fi, name, err := f.openLocal(rest)
	if err != nil {
		return nil, err
	}
	defer file.Close()
	localMeta(meta, name, fi)
	if notModified(cond, meta.ETag, meta.LastModified) {
		meta.NotModified = true
		return nil, nil
	}
	buf, err := readKnown(ctx, file, fi.Size(), limit)
	if err != nil {
		*meta = options.SourceMeta{}
		return nil, err
	}
	return buf, nil
}
