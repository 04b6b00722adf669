// Package errorreport sends internal errors and recovered panics to error
// trackers: Sentry, Bugsnag, Honeybadger and Airbrake, each enabled by its
// key (docs/monitoring.md#error-reporting). Client errors (bad URLs,
// signatures, missing sources) are the caller's to filter out: edge
// reports 5xx responses and panics only.
//
// Report never blocks the request: reports go through a bounded queue to
// one sending goroutine, and are dropped (and counted) when it is full.
// Request headers that carry credentials (Authorization, Cookie) are
// removed before a report leaves the process.
package errorreport

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	pkgerrors "github.com/pkg/errors"

	"github.com/imgedge/imgedge/options"
)

// Config configures the reporters; each one is on when its key is set. The
// comments name the variable main reads for each field.
type Config struct {
	// SentryDSN enables Sentry (IMGPROXY_SENTRY_DSN); SentryEnvironment
	// (IMGPROXY_SENTRY_ENVIRONMENT, default production) and SentryRelease
	// (IMGPROXY_SENTRY_RELEASE, default "imgedge@<version>") tag the events.
	SentryDSN, SentryEnvironment, SentryRelease string

	// BugsnagKey enables Bugsnag (IMGPROXY_BUGSNAG_KEY); BugsnagStage is
	// the release stage (IMGPROXY_BUGSNAG_STAGE, default production).
	BugsnagKey, BugsnagStage string
	// BugsnagEndpoint overrides the notify URL (on-premise Bugsnag; no
	// IMGPROXY_ variable). Empty = Bugsnag's hosted service.
	BugsnagEndpoint string

	// HoneybadgerKey enables Honeybadger (IMGPROXY_HONEYBADGER_KEY);
	// HoneybadgerEnv is the environment (IMGPROXY_HONEYBADGER_ENV, default
	// production).
	HoneybadgerKey, HoneybadgerEnv string
	// HoneybadgerEndpoint overrides the API base URL (no IMGPROXY_
	// variable). Empty = Honeybadger's hosted service.
	HoneybadgerEndpoint string

	// AirbrakeProjectKey enables Airbrake (IMGPROXY_AIRBRAKE_PROJECT_KEY)
	// for project AirbrakeProjectID (IMGPROXY_AIRBRAKE_PROJECT_ID);
	// AirbrakeEnv is the environment (IMGPROXY_AIRBRAKE_ENV, default
	// production).
	AirbrakeProjectID  int64
	AirbrakeProjectKey string
	AirbrakeEnv        string
	// AirbrakeHost overrides the API host (self-hosted Airbrake or Errbit;
	// no IMGPROXY_ variable). Empty = Airbrake's hosted service.
	AirbrakeHost string

	// QueueSize bounds the reports waiting to be sent (default 64).
	QueueSize int
}

// DefaultConfig returns imgproxy's defaults: every reporter off,
// environments "production".
func DefaultConfig() Config {
	return Config{
		SentryEnvironment: "production",
		BugsnagStage:      "production",
		HoneybadgerEnv:    "production",
		AirbrakeEnv:       "production",
		QueueSize:         64,
	}
}

// Enabled reports whether any reporter is configured.
func (c *Config) Enabled() bool {
	return c.SentryDSN != "" || c.BugsnagKey != "" || c.HoneybadgerKey != "" || c.AirbrakeProjectKey != ""
}

// Validate checks c and names the variable behind a bad value.
func (c *Config) Validate() error {
	if c.AirbrakeProjectKey != "" && c.AirbrakeProjectID <= 0 {
		return options.ConfigErrorf("IMGPROXY_AIRBRAKE_PROJECT_ID", "must be a positive project id when IMGPROXY_AIRBRAKE_PROJECT_KEY is set; got %d", c.AirbrakeProjectID)
	}
	if c.Enabled() && c.QueueSize <= 0 {
		return options.ConfigErrorf("errorreport.Config.QueueSize", "must be > 0; got %d", c.QueueSize)
	}
	return nil
}

// sender is one error tracker.
type sender interface {
	// send delivers (or hands to the SDK's own queue) one report.
	send(r *report) error
	// flush waits until what was handed on has been sent, up to timeout.
	flush(timeout time.Duration)
}

// report is one queued error.
type report struct {
	err   *stackError
	class string
	req   *http.Request // scrubbed copy; nil when there is none
	meta  map[string]string
}

// Reporter sends reports to every configured tracker. It is safe for
// concurrent use; build it with New and Close it at shutdown.
type Reporter struct {
	senders   []namedSender
	queue     chan *report
	done      chan struct{}
	closeOnce sync.Once
	// mu orders Report's sends before Close's close of the queue; closed
	// makes a late Report (a request outliving the shutdown) a no-op.
	mu      sync.RWMutex
	closed  bool
	dropped atomic.Int64
	failed  atomic.Int64
	onFail  func(tracker string, err error)
}

type namedSender struct {
	name string
	sender
}

// New builds the configured reporters and starts the sending goroutine.
// It returns nil and no error when no reporter is configured. onFail, when
// set, is told about reports a tracker refused (for a log line); it runs
// on the sending goroutine.
func New(cfg Config, onFail func(tracker string, err error)) (*Reporter, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if !cfg.Enabled() {
		return nil, nil
	}
	r := &Reporter{queue: make(chan *report, cfg.QueueSize), done: make(chan struct{}), onFail: onFail}
	add := func(name string, s sender, err error) error {
		if err != nil {
			return err
		}
		r.senders = append(r.senders, namedSender{name, s})
		return nil
	}
	var errs []error
	if cfg.SentryDSN != "" {
		s, err := newSentry(&cfg)
		errs = append(errs, add("sentry", s, err))
	}
	if cfg.BugsnagKey != "" {
		s, err := newBugsnag(&cfg)
		errs = append(errs, add("bugsnag", s, err))
	}
	if cfg.HoneybadgerKey != "" {
		s, err := newHoneybadger(&cfg)
		errs = append(errs, add("honeybadger", s, err))
	}
	if cfg.AirbrakeProjectKey != "" {
		s, err := newAirbrake(&cfg)
		errs = append(errs, add("airbrake", s, err))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	go r.run()
	return r, nil
}

func (r *Reporter) run() {
	defer close(r.done)
	for rep := range r.queue {
		for _, s := range r.senders {
			if err := s.send(rep); err != nil {
				r.failed.Add(1)
				if r.onFail != nil {
					r.onFail(s.name, err)
				}
			}
		}
	}
}

// Report queues err for every tracker, with the request it failed (may be
// nil; a scrubbed copy is kept) and metadata as key, value pairs (for
// example "Request ID", id, "Source Image URL", url). The stack recorded
// is the caller's: called from a deferred recover, it includes the
// panicking frames. Report never blocks; when the queue is full the report
// is dropped and counted (Dropped). After Close it does nothing.
func (r *Reporter) Report(err error, req *http.Request, kv ...string) {
	if err == nil {
		return
	}
	pcs := make([]uintptr, 64)
	pcs = pcs[:runtime.Callers(2, pcs)]
	rep := &report{err: &stackError{err: err, pcs: pcs}, class: errorClass(err), req: scrub(req)}
	if len(kv) > 1 {
		rep.meta = make(map[string]string, len(kv)/2)
		for i := 0; i+1 < len(kv); i += 2 {
			rep.meta[kv[i]] = kv[i+1]
		}
	}
	r.mu.RLock()
	defer r.mu.RUnlock()
	if r.closed {
		return
	}
	select {
	case r.queue <- rep:
	default:
		r.dropped.Add(1)
	}
}

// Dropped returns how many reports were dropped because the queue was full.
func (r *Reporter) Dropped() int64 { return r.dropped.Load() }

// Failed returns how many deliveries a tracker refused or could not take.
func (r *Reporter) Failed() int64 { return r.failed.Load() }

// Close sends what is queued and flushes the trackers' own buffers,
// waiting at most until ctx is done.
func (r *Reporter) Close(ctx context.Context) {
	r.closeOnce.Do(func() {
		r.mu.Lock()
		r.closed = true
		close(r.queue)
		r.mu.Unlock()
		select {
		case <-r.done:
		case <-ctx.Done():
			return
		}
		timeout := 5 * time.Second
		if dl, ok := ctx.Deadline(); ok {
			timeout = time.Until(dl)
		}
		for _, s := range r.senders {
			s.flush(timeout)
		}
	})
}

// errorClass names the error for the trackers' grouping: the kind of an
// *options.Error ("unexpected", "timeout", ...), else its Go type.
func errorClass(err error) string {
	var oe *options.Error
	if errors.As(err, &oe) {
		return "imgedge." + oe.Kind.String()
	}
	return fmt.Sprintf("%T", err)
}

// scrub returns a copy of req without the headers that carry credentials.
func scrub(req *http.Request) *http.Request {
	if req == nil {
		return nil
	}
	c := req.Clone(context.Background())
	for _, h := range []string{"Authorization", "Cookie", "Proxy-Authorization"} {
		c.Header.Del(h)
	}
	return c
}

// stackError carries the stack recorded by Report in the forms the SDKs
// look for: Callers (Bugsnag, Honeybadger) and a github.com/pkg/errors
// StackTrace (Sentry, Airbrake, Bugsnag).
type stackError struct {
	err error
	pcs []uintptr
}

func (e *stackError) Error() string      { return e.err.Error() }
func (e *stackError) Unwrap() error      { return e.err }
func (e *stackError) Callers() []uintptr { return e.pcs }

func (e *stackError) StackTrace() pkgerrors.StackTrace {
	st := make(pkgerrors.StackTrace, len(e.pcs))
	for i, pc := range e.pcs {
		st[i] = pkgerrors.Frame(pc)
	}
	return st
}
