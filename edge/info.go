package edge

import (
	"bytes"
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"io"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/imgedge/imgedge/options"
)

// The /info endpoint (docs/info.md): "{prefix}/info/{signature}/{info
// options}/{source}" answers JSON about the source image. Signing, the
// parser (info presets, allowed info options, security options), the
// worker pool, the fetcher and the error table are the processing
// route's. The source is read only as far as the fields need: with a
// Streamer, the first infoHeadBytes are read and the rest only when the
// InfoProcessor asks for it.

// InfoProcessor answers /info requests (implemented by *vips.Processor).
// whole says whether src.Data is the whole source or its start; with a
// start it returns options.ErrNeedWholeSource when the fields need more.
// It does not take over src. Errors are *options.Error otherwise.
type InfoProcessor interface {
	Info(ctx context.Context, src *options.Source, whole bool, req *options.InfoOptions) (options.Info, error)
}

// infoHeadBytes is how much of a source is read before asking whether
// the header suffices (JPEG metadata segments are at most 64 KiB each).
const infoHeadBytes = 128 << 10

// maxInfoBytes bounds a source read for /info without a size limit, as
// the fetcher bounds its bodies.
const maxInfoBytes = 256 << 20

var infoPrefix = []byte(options.InfoPrefix + "/")

// isInfoPath reports whether path (below the prefix) is an /info URL.
func (s *Server) isInfoPath(path []byte) bool {
	return s.deps.Info != nil && bytes.HasPrefix(path[len(s.prefix):], infoPrefix)
}

// handleInfo serves one /info request.
func (s *Server) handleInfo(ctx *fasthttp.RequestCtx) {
	s.served.Add(1)
	defer s.served.Done()
	st := acquireState()
	defer releaseState(st)
	st.start = time.Now()
	s.m.requests.Inc()
	s.m.inProgress.Add(1)
	defer s.m.inProgress.Add(-1)
	s.setCommon(ctx, st)
	s.setCORS(ctx)
	defer s.finish(ctx, st)
	if err := s.info(ctx, st); err != nil {
		st.err = err
		s.writeError(ctx, st, err)
	}
}

func (s *Server) info(ctx *fasthttp.RequestCtx, st *reqState) error {
	if s.authHeader != nil && subtle.ConstantTimeCompare(ctx.Request.Header.Peek("Authorization"), s.authHeader) != 1 {
		return &options.Error{Kind: options.KindForbidden, Msg: "invalid or missing Authorization header for IMGPROXY_SECRET"}
	}
	uri := ctx.RequestURI()
	// Drop "/info" after the prefix; the rest is a processing-shaped URL.
	stripped := append(append([]byte(nil), uri[:len(s.prefix)]...), uri[len(s.prefix)+len(options.InfoPrefix):]...)
	sig, path, err := s.deps.Parser.Split(stripped)
	if err != nil {
		return err
	}
	st.path = path
	if err := s.deps.Verifier.Verify(sig, path); err != nil {
		return err
	}
	var req options.InfoRequest
	if err := s.deps.Parser.ParseInfo(path, options.Hints{Now: st.start}, &req); err != nil {
		return err
	}
	st.req.SourceURL = req.SourceURL
	rctx, cancel := context.WithDeadline(context.Background(), st.start.Add(s.cfg.RequestTimeout))
	defer cancel()
	defer watchClient(ctx.Conn(), cancel, clientWatchInterval)()
	var res options.Info
	var meta options.SourceMeta
	queued := time.Now()
	var jobErr error
	if err := s.deps.Pool.Do(rctx, func() {
		st.queue = time.Since(queued)
		res, meta, jobErr = s.infoJob(rctx, st, &req)
	}); err != nil {
		return err
	}
	if jobErr != nil {
		return jobErr
	}
	body, err := json.Marshal(&res)
	if err != nil {
		return options.Wrap(options.KindUnexpected, "info json", err)
	}
	st.status = 200
	ctx.SetStatusCode(200)
	h := &ctx.Response.Header
	h.SetContentType("application/json")
	opts := options.Options{Expires: req.Options.Expires}
	if cc := s.appendCacheControl(st.buf[:0], 200, &opts, &meta, false, time.Now()); len(cc) > 0 {
		h.SetBytesV("Cache-Control", cc)
	}
	s.setServerTiming(ctx, st)
	st.bytes = len(body)
	ctx.SetBody(body)
	return nil
}

// infoJob reads the source (as little as the fields need) and asks the
// InfoProcessor; it runs on a worker.
func (s *Server) infoJob(ctx context.Context, st *reqState, req *options.InfoRequest) (options.Info, options.SourceMeta, error) {
	t0 := time.Now()
	defer func() { st.processing = time.Since(t0) - st.download }()
	limit := req.Options.Limits.MaxSrcFileSize
	if s.deps.Streamer == nil {
		src, err := s.deps.Fetcher.Fetch(ctx, req.SourceURL, &options.Conditional{}, limit)
		st.download = time.Since(t0)
		if err != nil {
			return options.Info{}, options.SourceMeta{}, err
		}
		defer src.Release()
		info, err := s.answerInfo(ctx, &src, true, int64(len(src.Data)), req)
		return info, src.Meta, err
	}
	var resp options.StreamResponse
	body, err := s.deps.Streamer.Stream(ctx, req.SourceURL, &options.StreamRequest{AcceptEncoding: "identity"}, &resp)
	if err != nil {
		st.download = time.Since(t0)
		return options.Info{}, options.SourceMeta{}, err
	}
	defer body.Close()
	meta := options.SourceMeta{ETag: resp.ETag, LastModified: resp.LastModified, CacheControl: resp.CacheControl, Expires: resp.Expires, ContentType: resp.ContentType}
	if resp.Status < 200 || resp.Status > 299 {
		return options.Info{}, meta, &options.Error{Kind: options.KindUpstreamStatus, UpstreamStatus: resp.Status, Msg: "source answered /info with a non-2xx status"}
	}
	if limit > 0 && resp.ContentLength > limit {
		return options.Info{}, meta, options.Errorf(options.KindSourceTooBig, "source is %d bytes, limit is %d", resp.ContentLength, limit)
	}
	head := make([]byte, infoHeadBytes)
	n, rerr := io.ReadFull(body, head)
	data := head[:n]
	whole := rerr == io.EOF || rerr == io.ErrUnexpectedEOF
	if rerr != nil && !whole {
		st.download = time.Since(t0)
		return options.Info{}, meta, options.Wrap(options.KindIncomplete, "reading the source", rerr)
	}
	size := resp.ContentLength
	if whole {
		size = int64(n)
	}
	if !whole && (size < 0 && req.Options.Size) {
		// The size is only known by reading to the end.
		data, err = readRest(body, data, limit)
		whole, size = err == nil, int64(len(data))
		if err != nil {
			return options.Info{}, meta, err
		}
	}
	st.download = time.Since(t0)
	src := options.NewSource(data, nil)
	info, err := s.answerInfo(ctx, &src, whole, size, req)
	if errors.Is(err, options.ErrNeedWholeSource) && !whole {
		t1 := time.Now()
		data, err = readRest(body, data, limit)
		st.download += time.Since(t1)
		if err != nil {
			return options.Info{}, meta, err
		}
		src = options.NewSource(data, nil)
		info, err = s.answerInfo(ctx, &src, true, int64(len(data)), req)
	}
	return info, meta, err
}

// answerInfo calls the InfoProcessor and adds the size.
func (s *Server) answerInfo(ctx context.Context, src *options.Source, whole bool, size int64, req *options.InfoRequest) (options.Info, error) {
	info, err := s.deps.Info.Info(ctx, src, whole, &req.Options)
	if err == nil && req.Options.Size && size >= 0 {
		info.Size = &size
	}
	return info, err
}

// readRest reads the remainder of body after data, within limit (0 =
// maxInfoBytes).
func readRest(body io.Reader, data []byte, limit int64) ([]byte, error) {
	if limit <= 0 || limit > maxInfoBytes {
		limit = maxInfoBytes
	}
	buf := bytes.NewBuffer(data)
	n, err := io.Copy(buf, io.LimitReader(body, limit-int64(len(data))+1))
	if err != nil {
		return nil, options.Wrap(options.KindIncomplete, "reading the source", err)
	}
	if int64(len(data))+n > limit {
		return nil, options.Errorf(options.KindSourceTooBig, "source is over %d bytes", limit)
	}
	return buf.Bytes(), nil
}
