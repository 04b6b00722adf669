package fetch

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/imgedge/imgedge/options"
)

// Fetcher fetches sources. It is safe for concurrent use by any number of
// goroutines; build one with New at startup and Close it at shutdown.
type Fetcher struct {
	cfg       Config
	policy    addrPolicy
	transport *http.Transport
	client    *http.Client
	userAgent string
	root      *os.Root // nil = local:/// disabled
	s3        *s3Source
	gcs       *gcsSource
	abs       *absSource
	swift     *swiftSource
	cache     *sourceCache // nil = off
	// cookieBase is Config.CookieBaseURL parsed; nil = from the request.
	cookieBase *url.URL
	closeOnce  sync.Once
}

// errDownloadTimeout is the cause of the per-fetch deadline, so that its
// expiry (504) is told apart from the request's own deadline (503).
var errDownloadTimeout = errors.New("fetch: download timeout")

// New validates cfg and builds a Fetcher: the shared HTTP client, the
// local root and the enabled cloud clients (credentials are loaded once
// here and cached by the SDKs).
func New(cfg Config) (*Fetcher, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	f := &Fetcher{
		cfg: cfg,
		policy: addrPolicy{
			loopback:  cfg.AllowLoopback,
			linkLocal: cfg.AllowLinkLocal,
			private:   cfg.AllowPrivate,
		},
		userAgent: strings.ReplaceAll(cfg.UserAgent, "%current_version", Version),
	}
	f.initHTTP()
	ok := false
	defer func() {
		if !ok {
			f.Close()
		}
	}()
	if cfg.LocalRoot != "" {
		root, err := os.OpenRoot(cfg.LocalRoot)
		if err != nil {
			return nil, errorf("IMGPROXY_LOCAL_FILESYSTEM_ROOT: cannot open %q: %w", cfg.LocalRoot, err)
		}
		f.root = root
	}
	var err error
	if cfg.UseS3 {
		if f.s3, err = newS3Source(&f.cfg); err != nil {
			return nil, err
		}
	}
	if cfg.UseGCS {
		if f.gcs, err = newGCSSource(&f.cfg); err != nil {
			return nil, err
		}
	}
	if cfg.UseABS {
		if f.abs, err = newABSSource(&f.cfg); err != nil {
			return nil, err
		}
	}
	if cfg.UseSwift {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		f.swift, err = newSwiftSource(ctx, &f.cfg)
		cancel()
		if err != nil {
			return nil, err
		}
	}
	if cfg.CookieBaseURL != "" {
		f.cookieBase, _ = url.Parse(cfg.CookieBaseURL) // checked by Validate
	}
	if cfg.SourceCacheSize > 0 {
		f.cache = newSourceCache(cfg.SourceCacheSize, cfg.SourceCacheTTL)
	}
	ok = true
	return f, nil
}

// Close releases idle connections, the local root and the cloud clients.
// Buffers already handed out stay valid until released. Fetch must not be
// called after Close; calling Close again does nothing.
func (f *Fetcher) Close() {
	f.closeOnce.Do(f.close)
}

func (f *Fetcher) close() {
	if f.transport != nil {
		f.transport.CloseIdleConnections()
	}
	if f.root != nil {
		f.root.Close()
	}
	if f.gcs != nil {
		f.gcs.close()
	}
	if f.cache != nil {
		f.cache.purge()
	}
}

// Fetch downloads the source at url.
//
// On success the returned Source owns the whole source in a pooled buffer,
// valid until its Release, which the caller (or whoever it hands the Source
// to) calls exactly once; src.Meta holds the source's validators and cache
// headers. When cond matched the source's validators, src.Meta.NotModified
// is true and src.Data is empty. Errors are *options.Error. maxSize is the
// request's size limit in bytes (options.Limits.MaxSrcFileSize, whose
// server-wide default is IMGPROXY_MAX_SRC_FILE_SIZE; 0 = unlimited). The
// download is bounded by Config.DownloadTimeout (→ KindDownloadTimeout) and
// by ctx (→ KindTimeout / KindCanceled).
func (f *Fetcher) Fetch(ctx context.Context, url string, cond *options.Conditional, maxSize int64) (options.Source, error) {
	return f.fetchSource(ctx, url, cond, maxSize, true)
}

// FetchUncached is Fetch without the source cache's copy (the bypass_cache
// option, docs/options.md): the source is always downloaded, and the
// download then replaces the cached copy. Ownership and errors as Fetch.
func (f *Fetcher) FetchUncached(ctx context.Context, url string, cond *options.Conditional, maxSize int64) (options.Source, error) {
	return f.fetchSource(ctx, url, cond, maxSize, false)
}

func (f *Fetcher) fetchSource(ctx context.Context, url string, cond *options.Conditional, maxSize int64, cached bool) (options.Source, error) {
	var meta options.SourceMeta
	buf, err := f.fetch(ctx, url, cond, &meta, maxSize, cached)
	if err != nil {
		return options.Source{}, err
	}
	if buf == nil { // not modified
		return options.Source{Meta: meta}, nil
	}
	src := options.NewSource(buf.b, buf)
	src.Meta = meta
	return src, nil
}

// fetch returns the source in a buffer holding one reference for the
// caller, or nil when meta.NotModified. cached=false skips reading the
// source cache (its entry is still refreshed).
func (f *Fetcher) fetch(ctx context.Context, url string, cond *options.Conditional, meta *options.SourceMeta, limit int64, cached bool) (*buffer, error) {
	scheme, rest := splitScheme(url)
	var cookie string
	if scheme == "http" || scheme == "https" {
		cookie = f.sourceCookies(ctx, url)
	}
	key := cacheKey(url, cookie)
	if f.cache != nil && cached {
		// Serve from the cache, or wait once for a download of the same URL
		// already in flight and look again; fetch ourselves if it left
		// nothing (error, 304, too big to cache).
		for waited := false; ; waited = true {
			if buf, ok := f.cache.get(key, meta); ok {
				return f.fromCache(buf, cond, meta, limit)
			}
			if waited {
				break
			}
			wait, leader := f.cache.begin(key)
			if leader {
				defer f.cache.end(key)
				break
			}
			select {
			case <-wait:
			case <-ctx.Done():
				return nil, classifyErr(ctx, ctx, ctx.Err())
			}
		}
	}
	dctx, cancel := context.WithTimeoutCause(ctx, f.cfg.DownloadTimeout, errDownloadTimeout)
	defer cancel()

	var buf *buffer
	var err error
	switch scheme {
	case "http", "https":
		buf, err = f.fetchHTTP(dctx, url, cookie, cond, meta, limit)
	case "local":
		buf, err = f.fetchLocal(rest, cond, meta, limit)
	case "s3":
		if f.s3 == nil {
			return nil, errorKind(options.KindUnreachable, "s3 sources are disabled (IMGPROXY_USE_S3)")
		}
		buf, err = f.fetchObject(dctx, f.s3, rest, cond, meta, limit)
	case "gs":
		if f.gcs == nil {
			return nil, errorKind(options.KindUnreachable, "gs sources are disabled (IMGPROXY_USE_GCS)")
		}
		buf, err = f.fetchObject(dctx, f.gcs, rest, cond, meta, limit)
	case "abs":
		if f.abs == nil {
			return nil, errorKind(options.KindUnreachable, "abs sources are disabled (IMGPROXY_USE_ABS)")
		}
		buf, err = f.fetchObject(dctx, f.abs, rest, cond, meta, limit)
	case "swift":
		if f.swift == nil {
			return nil, errorKind(options.KindUnreachable, "swift sources are disabled (IMGPROXY_USE_SWIFT)")
		}
		buf, err = f.fetchObject(dctx, f.swift, rest, cond, meta, limit)
	default:
		return nil, options.Errorf(options.KindUnreachable, "unknown source scheme %q", scheme)
	}
	if err != nil {
		if buf != nil {
			buf.Release()
		}
		return nil, classifyErr(ctx, dctx, err)
	}
	if buf != nil && f.cache != nil {
		f.cache.add(key, buf, meta)
	}
	return buf, nil
}

// fromCache serves a cached buffer (already retained by cache.get).
func (f *Fetcher) fromCache(buf *buffer, cond *options.Conditional, meta *options.SourceMeta, limit int64) (*buffer, error) {
	if limit > 0 && int64(len(buf.b)) > limit {
		buf.Release()
		*meta = options.SourceMeta{}
		return nil, options.Errorf(options.KindSourceTooBig, "source is %d bytes; limit is %d", len(buf.b), limit)
	}
	if notModified(cond, meta.ETag, meta.LastModified) {
		buf.Release()
		meta.NotModified = true
		return nil, nil
	}
	return buf, nil
}

// splitScheme splits "scheme://rest" and lower-cases the scheme.
func splitScheme(url string) (scheme, rest string) {
	i := strings.Index(url, "://")
	if i <= 0 {
		return "", url
	}
	return strings.ToLower(url[:i]), url[i+3:]
}

// classifyErr turns any fetch failure into an *options.Error. A deadline
// or cancellation wins over what the reader saw when it was cut short.
func classifyErr(parent, dctx context.Context, err error) error {
	var oe *options.Error
	if errors.As(err, &oe) {
		switch oe.Kind {
		case options.KindUnreachable, options.KindIncomplete, options.KindUnexpected:
		default:
			return oe
		}
	}
	if perr := parent.Err(); perr != nil {
		if errors.Is(perr, context.Canceled) {
			return options.Wrap(options.KindCanceled, "source download canceled", err)
		}
		return options.Wrap(options.KindTimeout, "request deadline reached while downloading the source", err)
	}
	if dctx.Err() != nil && errors.Is(context.Cause(dctx), errDownloadTimeout) {
		return options.Wrap(options.KindDownloadTimeout, "source download timed out", err)
	}
	if oe != nil {
		return oe
	}
	if errors.Is(err, errAddrForbidden) {
		return options.Wrap(options.KindSourceNotAllowed, "source address refused", err)
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() || errors.Is(err, os.ErrDeadlineExceeded) {
		return options.Wrap(options.KindDownloadTimeout, "source download timed out", err)
	}
	return options.Wrap(options.KindUnreachable, "source is unreachable", err)
}

func errorKind(kind options.ErrorKind, msg string) *options.Error {
	return &options.Error{Kind: kind, Msg: msg}
}

// errorf is for configuration errors returned by New.
func errorf(format string, args ...any) error {
	return options.Errorf(options.KindUnexpected, format, args...)
}

// readKnown reads exactly size bytes from r into a pooled buffer. A body
// that ends early is KindIncomplete.
func readKnown(r io.Reader, size, limit int64) (*buffer, error) {
	if limit > 0 && size > limit {
		return nil, options.Errorf(options.KindSourceTooBig, "source is %d bytes; limit is %d", size, limit)
	}
	if size > int64(maxInt) || limit <= 0 && size > maxInflated { // never preallocate an unbounded announced size
		return nil, options.Errorf(options.KindSourceTooBig, "source is %d bytes", size)
	}
	buf := getBuffer(int(size))
	buf.b = buf.b[:size]
	n, err := io.ReadFull(r, buf.b)
	if err != nil {
		buf.Release()
		if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
			return nil, options.Errorf(options.KindIncomplete, "source body ended after %d of %d bytes", n, size)
		}
		return nil, err
	}
	return buf, nil
}

const maxInt = int(^uint(0) >> 1)

// hardMaxSize bounds a body of unknown length when IMGPROXY_MAX_SRC_FILE_SIZE
// is 0 (unlimited): the same bound as a decompressed body. A variable so
// tests can lower it.
var hardMaxSize int64 = maxInflated

// readUnknown reads r to EOF into a pooled buffer that grows by size
// classes. limit > 0 caps the size (KindSourceTooBig); hint sizes the first
// buffer.
func readUnknown(r io.Reader, limit int64, hint int) (*buffer, error) {
	if limit <= 0 || limit > hardMaxSize {
		// No configured limit still means a bounded read: an endless body
		// must not take the process's memory with it (docs/security.md,
		// "How much work: limits").
		limit = hardMaxSize
	}
	if hint <= 0 {
		hint = 64 << 10
	}
	if limit > 0 && int64(hint) > limit+1 {
		hint = int(limit + 1)
	}
	buf := getBuffer(hint)
	for {
		if len(buf.b) == cap(buf.b) {
			buf = buf.grow(1)
		}
		room := buf.b[len(buf.b):cap(buf.b)]
		if limit > 0 {
			if over := int64(len(buf.b)) + int64(len(room)) - (limit + 1); over > 0 {
				room = room[:int64(len(room))-over]
			}
		}
		n, err := r.Read(room)
		buf.b = buf.b[:len(buf.b)+n]
		if limit > 0 && int64(len(buf.b)) > limit {
			buf.Release()
			return nil, options.Errorf(options.KindSourceTooBig, "source is over the %d bytes limit", limit)
		}
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			buf.Release()
			if errors.Is(err, io.ErrUnexpectedEOF) {
				return nil, options.Wrap(options.KindIncomplete, "source body ended early", err)
			}
			return nil, err
		}
	}
}
