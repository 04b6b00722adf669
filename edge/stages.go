package edge

import (
	"context"
	"time"

	"github.com/imgedge/imgedge/options"
)

// A job goes through two stages (docs/architecture.md, "edge"):
//
//  1. the download stage (workers.Downloads): a download slot, then the
//     source travels into memory, its buffer reserved from the stage's
//     bytes as it arrives; the slot is given back as soon as the bytes are
//     in memory (or the source cache had them);
//  2. the worker pool: the job is admitted with the processor's estimate of
//     its working memory against the pool's memory budget, and only then
//     takes a worker. The download reservation is handed back when the
//     worker starts (the estimate counts the source from there).
//
// A worker is never held while bytes travel, and neither stage grows
// without bound: the slots and the bytes bound the first, the worker
// count, the queue size and the memory budget the second. One deadline
// (IMGPROXY_TIMEOUT) covers both.

// runJob downloads and processes r. On success r holds one reference
// (Init) whose release frees the Output; on failure r.err is set and
// nothing is held.
func (s *Server) runJob(ctx context.Context, r *result) {
	queued := time.Now()
	if err := s.download(ctx, r); err != nil {
		r.err = err
	} else if !r.meta.NotModified {
		s.processOnPool(ctx, r)
	}
	r.ticket.Release()
	s.observeJob(r, queued)
	if r.err != nil {
		r.src.Release()
		r.out.Release() // a panic after processing left an Output; else a no-op
		return
	}
	r.keepTTL = s.keepFor(r, time.Now())
	r.Init(r.out.Release)
}

// download runs the first stage: it leaves r.src holding the source (or
// the fallback image, or nothing for a 304) and r.ticket its reservation.
// A request the pool would refuse now (queue full, deadline out of reach)
// is refused before its download.
func (s *Server) download(ctx context.Context, r *result) error {
	if err := s.deps.Pool.Admit(ctx); err != nil {
		return err
	}
	t0 := time.Now()
	err := s.downloads.Enter(ctx, &r.ticket)
	t1 := time.Now()
	r.queue = t1.Sub(t0)
	if err != nil {
		return err
	}
	r.downloaded = true
	src, err := s.fetch(ctx, r)
	r.ticket.Leave()
	r.download = time.Since(t1)
	if err != nil {
		return err
	}
	r.meta = src.Meta
	if r.meta.NotModified {
		src.Release()
		return nil
	}
	r.src = src
	if s.budgeted == nil && !r.fallback {
		// A Fetcher that does not reserve as it reads is accounted now.
		if err := r.ticket.Grow(ctx, int64(len(src.Data))-r.ticket.Held()); err != nil {
			return err
		}
	}
	return nil
}

// fetch returns the source or, when a fetch-stage error meets a configured
// fallback image, the fallback bytes as a Source that owns nothing (they
// live as long as the server) without the origin's validators or expiry.
func (s *Server) fetch(ctx context.Context, r *result) (options.Source, error) {
	var src options.Source
	var err error
	if s.budgeted != nil {
		src, err = s.budgeted.FetchBudget(ctx, r.url, &r.cond, r.opts.Limits.MaxSrcFileSize, &r.ticket)
	} else {
		src, err = s.deps.Fetcher.Fetch(ctx, r.url, &r.cond, r.opts.Limits.MaxSrcFileSize)
	}
	if err == nil {
		return src, nil
	}
	if s.cfg.FallbackImage == nil || !isFetchStage(options.KindOf(err)) || ctx.Err() != nil {
		return options.Source{}, err
	}
	r.fallback, r.fetchErr = true, err
	r.ticket.Release() // a failed download holds no bytes
	return options.NewSource(s.cfg.FallbackImage, nil), nil
}

// processOnPool runs the second stage: r.src goes to the processor, which
// releases it or hands it to the Output r keeps.
func (s *Server) processOnPool(ctx context.Context, r *result) {
	var est int64
	if s.estimator != nil {
		// Errors are the processor's to report, with the right kind, when
		// it runs; the job is then admitted by count alone.
		est, _ = s.estimator.Estimate(r.src.Data, &r.opts, &r.neg)
	}
	q := time.Now()
	err := s.deps.Pool.DoSized(ctx, est, func() {
		r.ran = true
		r.queue += time.Since(q)
		r.ticket.Release() // the estimate counts the source from here on
		t := time.Now()
		if err := ctx.Err(); err != nil {
			r.err = options.Wrap(options.KindOf(err), "request deadline reached after download", err)
			return
		}
		r.srcLen = len(r.src.Data)
		var perr error
		r.out, perr = s.deps.Processor.Process(ctx, &r.src, &r.opts, &r.neg)
		r.processing = time.Since(t)
		if perr != nil {
			if r.fallback {
				perr = r.fetchErr // the fallback failed too: report why we needed it
			}
			r.err = perr
		}
	})
	if !r.ran {
		r.queue += time.Since(q)
	}
	if err != nil && r.err == nil {
		r.err = err
	}
}

// observeJob records the spans of a job: the time it waited in the two
// queues, and the download and processing spans when they happened.
func (s *Server) observeJob(r *result, queued time.Time) {
	if !r.downloaded && !r.ran && r.queue == 0 {
		observe(s.m.spanQueue, time.Since(queued))
		return
	}
	observe(s.m.spanQueue, r.queue)
	if r.downloaded {
		observe(s.m.spanDownload, r.download)
		observe(s.m.v3Download, r.download)
	}
	if r.srcLen > 0 && !r.fallback {
		s.m.bufferDownload.Update(float64(r.srcLen))
	}
	if r.processing > 0 {
		observe(s.m.spanProcessing, r.processing)
		observe(s.m.v3Processing, r.processing)
	}
}
