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
//     in memory (or the source cache had them). Time spent waiting for a
//     slot counts as download time;
//  2. the worker pool: the job is admitted with the processor's estimate of
//     its working memory against the pool's memory budget, and only then
//     takes a worker (the queue span, as imgproxy's: waiting for a worker).
//     The download reservation is handed back when the worker starts (the
//     estimate counts the source from there).
//
// A worker is never held while bytes travel, and neither stage grows
// without bound: the slots and the bytes bound the first, the worker
// count, the queue size and the memory budget the second. One deadline
// (IMGPROXY_TIMEOUT) covers both.

// runJob downloads and processes r. On success r holds one reference
// (Init) whose release frees the Output; on failure r.err is set and
// nothing is held.
func (s *Server) runJob(ctx context.Context, r *result) {
	if err := s.download(ctx, r); err != nil {
		r.err = err
	} else if !r.meta.NotModified {
		s.processOnPool(ctx, r)
	}
	r.ticket.Release()
	s.observeJob(r)
	if r.err != nil {
		r.src.Release()
		r.out.Release() // a panic after processing left an Output; else a no-op
		return
	}
	r.keepTTL = s.keepFor(r, time.Now())
	r.Init(r.out.Release)
}

// download runs the first stage, as the "Downloading source image" span:
// it leaves r.src holding the source (or a fallback image, or nothing for
// a 304) and r.ticket its reservation. r.download counts the wait for a
// slot too. A request the pool would refuse now (queue full, deadline out
// of reach) is refused before its download.
func (s *Server) download(ctx context.Context, r *result) error {
	if err := s.deps.Pool.Admit(ctx); err != nil {
		return err
	}
	t0 := time.Now()
	defer func() { r.download = time.Since(t0) }()
	fctx, endSpan := ctx, func() {}
	if s.deps.Tracer != nil {
		fctx, endSpan = s.deps.Tracer.StartSpan(ctx, stageDownload, attrSourceURL, r.url, attrSourceOrigin, sourceOrigin(r.url))
	}
	defer endSpan()
	r.downloaded = true
	if err := s.downloads.Enter(fctx, &r.ticket); err != nil {
		return err
	}
	src, err := s.fetch(fctx, r)
	r.ticket.Leave()
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

// fetch returns the source (reserving its bytes from r.ticket when the
// Fetcher can), checked against the hashsum option, or, when a
// fetch-stage error meets a fallback image (fallback_image_url or the
// configured one), the fallback bytes as a Source that owns nothing (they
// live as long as the server or its cache) without the origin's validators
// or expiry; with the watermark_url image attached (prosources.go).
func (s *Server) fetch(ctx context.Context, r *result) (options.Source, error) {
	var src options.Source
	var err error
	if s.budgeted != nil {
		src, err = s.budgeted.FetchBudget(ctx, r.url, &r.cond, r.opts.Limits.MaxSrcFileSize, &r.ticket, r.opts.BypassCache)
	} else {
		src, err = s.fetchSource(ctx, r)
	}
	switch {
	case err == nil && !src.Meta.NotModified:
		if err := r.opts.Hashsum.Check(src.Data); err != nil {
			src.Release()
			return options.Source{}, err
		}
	case err != nil:
		var fb []byte
		if isFetchStage(options.KindOf(err)) && ctx.Err() == nil {
			fb = s.fallbackImage(ctx, r)
		}
		if fb == nil {
			return options.Source{}, err
		}
		r.fallback, r.fetchErr = true, err
		r.ticket.Release() // a failed download holds no bytes
		src = options.NewSource(fb, nil)
	}
	if err := s.fetchWatermarks(ctx, r, &src); err != nil {
		src.Release()
		return options.Source{}, err
	}
	return src, nil
}

// processOnPool runs the second stage: the "Queue" span while the job
// waits for its memory and a worker, then the "Processing image" span;
// r.src goes to the processor, which releases it or hands it to the
// Output r keeps.
func (s *Server) processOnPool(ctx context.Context, r *result) {
	var est int64
	if s.estimator != nil {
		// Errors are the processor's to report, with the right kind, when
		// it runs; the job is then admitted by count alone.
		est, _ = s.estimator.Estimate(r.src.Data, &r.opts, &r.neg)
	}
	var endQueue func()
	if s.deps.Tracer != nil {
		_, endQueue = s.deps.Tracer.StartSpan(ctx, stageQueue)
	}
	q := time.Now()
	err := s.deps.Pool.DoSized(ctx, est, func() {
		r.ran = true
		r.queue = time.Since(q)
		if endQueue != nil {
			endQueue()
		}
		r.ticket.Release() // the estimate counts the source from here on
		t := time.Now()
		if err := ctx.Err(); err != nil {
			r.err = options.Wrap(options.KindOf(err), "request deadline reached after download", err)
			return
		}
		r.srcLen = len(r.src.Data)
		pctx, endSpan := ctx, func() {}
		if s.deps.Tracer != nil {
			pctx, endSpan = s.deps.Tracer.StartSpan(ctx, stageProcessing)
		}
		var perr error
		r.out, perr = s.deps.Processor.Process(pctx, &r.src, &r.opts, &r.neg)
		endSpan()
		r.processing = time.Since(t)
		if perr != nil {
			if r.fallback {
				perr = r.fetchErr // the fallback failed too: report why we needed it
			}
			r.err = perr
		}
	})
	if !r.ran {
		r.queue = time.Since(q)
		if endQueue != nil {
			endQueue()
		}
	}
	if err != nil && r.err == nil {
		r.err = err
	}
}

// observeJob records the spans of a job: the download span when it got
// that far (refused by Admit: nothing), the queue span when it reached the
// workers' queue, the processing span when it ran.
func (s *Server) observeJob(r *result) {
	if r.downloaded {
		observe(s.m.spanDownload, r.download)
		observe(s.m.v3Download, r.download)
	}
	if r.ran || r.queue > 0 || !r.downloaded {
		observe(s.m.spanQueue, r.queue)
	}
	if r.srcLen > 0 && !r.fallback {
		s.m.bufferDownload.Update(float64(r.srcLen))
	}
	if r.processing > 0 {
		observe(s.m.spanProcessing, r.processing)
		observe(s.m.v3Processing, r.processing)
	}
}
