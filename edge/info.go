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
	"github.com/imgedge/imgedge/workers"
)

// The /info endpoint (docs/info.md): "{prefix}/info/{signature}/{info
// options}/{source}" answers JSON about the source image. Signing, the
// parser (info presets, allowed info options, security options), the
// download stage, the worker pool, the fetcher and the error table are
// the processing route's. The source is read only as far as the fields need: with a
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
	st := s.beginCounted(ctx)
	defer s.endCounted(st)
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
	if err := s.deps.Pool.Admit(rctx); err != nil {
		return err
	}
	var t workers.Ticket
	defer t.Release()
	res, meta, err := s.infoJob(rctx, st, &req, &t)
	if err != nil {
		return err
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

// infoJob reads the source (as little as the fields need) in the
// download stage, as a processing request's download, holding t, and asks
// the InfoProcessor on a worker: a worker is never held while bytes travel.
func (s *Server) infoJob(ctx context.Context, st *reqState, req *options.InfoRequest, t *workers.Ticket) (options.Info, options.SourceMeta, error) {
	limit := req.Options.Limits.MaxSrcFileSize
	t0 := time.Now()
	if err := s.downloads.Enter(ctx, t); err != nil {
		return options.Info{}, options.SourceMeta{}, err
	}
	if s.deps.Streamer == nil {
		src, err := s.deps.Fetcher.Fetch(ctx, req.SourceURL, &options.Conditional{}, limit)
		t.Leave()
		st.download = time.Since(t0)
		if err != nil {
			return options.Info{}, options.SourceMeta{}, err
		}
		defer src.Release()
		if err := t.Grow(ctx, int64(len(src.Data))); err != nil {
			return options.Info{}, src.Meta, err
		}
		info, err := s.infoOnWorker(ctx, st, &src, true, int64(len(src.Data)), req)
		return info, src.Meta, err
	}
	defer func() { st.download = time.Since(t0) - st.queue - st.processing }()
	var resp options.StreamResponse
	body, err := s.deps.Streamer.Stream(ctx, req.SourceURL, &options.StreamRequest{AcceptEncoding: "identity"}, &resp)
	if err != nil {
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
	if err := t.Grow(ctx, infoHeadBytes); err != nil {
		return options.Info{}, meta, err
	}
	head := make([]byte, infoHeadBytes)
	n, rerr := io.ReadFull(body, head)
	data := head[:n]
	whole := rerr == io.EOF || rerr == io.ErrUnexpectedEOF
	if rerr != nil && !whole {
		return options.Info{}, meta, options.Wrap(options.KindIncomplete, "reading the source", rerr)
	}
	size := resp.ContentLength
	if whole {
		size = int64(n)
	}
	if !whole && (size < 0 && req.Options.Size) {
		// The size is only known by reading to the end.
		if data, err = s.readRestBudget(ctx, t, body, data, limit); err != nil {
			return options.Info{}, meta, err
		}
		whole, size = true, int64(len(data))
	}
	t.Leave()
	src := options.NewSource(data, nil)
	info, err := s.infoOnWorker(ctx, st, &src, whole, size, req)
	if errors.Is(err, options.ErrNeedWholeSource) && !whole {
		// Back to the download stage for the rest.
		t.Release()
		if err := s.downloads.Enter(ctx, t); err != nil {
			return options.Info{}, meta, err
		}
		if data, err = s.readRestBudget(ctx, t, body, data, limit); err != nil {
			return options.Info{}, meta, err
		}
		t.Leave()
		src = options.NewSource(data, nil)
		info, err = s.infoOnWorker(ctx, st, &src, true, int64(len(data)), req)
	}
	return info, meta, err
}

// infoOnWorker runs answerInfo on a worker, counting the wait as the
// queue span and the call as processing.
func (s *Server) infoOnWorker(ctx context.Context, st *reqState, src *options.Source, whole bool, size int64, req *options.InfoRequest) (options.Info, error) {
	var info options.Info
	var err error
	q := time.Now()
	ran := false
	if perr := s.deps.Pool.Do(ctx, func() {
		ran = true
		st.queue += time.Since(q)
		t := time.Now()
		info, err = s.answerInfo(ctx, src, whole, size, req)
		st.processing += time.Since(t)
	}); perr != nil {
		if !ran {
			st.queue += time.Since(q)
		}
		return options.Info{}, perr
	}
	return info, err
}

// readRestBudget is readRest with the bytes read reserved from t.
func (s *Server) readRestBudget(ctx context.Context, t *workers.Ticket, body io.Reader, data []byte, limit int64) ([]byte, error) {
	data, err := readRest(body, data, limit)
	if err != nil {
		return nil, err
	}
	if extra := int64(cap(data)) - t.Held(); extra > 0 {
		if err := t.Grow(ctx, extra); err != nil {
			return nil, err
		}
	}
	return data, nil
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
