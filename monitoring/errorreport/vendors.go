package errorreport

import (
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"time"

	"github.com/airbrake/gobrake/v5"
	"github.com/bugsnag/bugsnag-go/v2"
	"github.com/getsentry/sentry-go"
	"github.com/honeybadger-io/honeybadger-go"

	"github.com/imgedge/imgedge/options"
)

// metaSection is the name under which the report's metadata appears in
// the trackers' UIs.
const metaSection = "imgedge"

// debugLogger routes an SDK's own log lines to slog at debug level.
type debugLogger string

func (l debugLogger) Printf(format string, args ...any) {
	slog.Debug(fmt.Sprintf(format, args...), "source", string(l))
}

// ---- Sentry ----

type sentrySender struct{ hub *sentry.Hub }

func newSentry(cfg *Config) (*sentrySender, error) {
	client, err := sentry.NewClient(sentry.ClientOptions{
		Dsn:         cfg.SentryDSN,
		Release:     cfg.SentryRelease,
		Environment: cfg.SentryEnvironment,
	})
	if err != nil {
		// The DSN holds a key: say what is wrong without echoing it.
		var dsnErr *sentry.DsnParseError
		if errors.As(err, &dsnErr) {
			return nil, options.ConfigErrorf("IMGPROXY_SENTRY_DSN", "%s", dsnErr.Message)
		}
		return nil, options.ConfigErrorf("IMGPROXY_SENTRY_DSN", "cannot create the Sentry client")
	}
	return &sentrySender{hub: sentry.NewHub(client, sentry.NewScope())}, nil
}

func (s *sentrySender) send(r *report) error {
	hub := s.hub.Clone()
	scope := hub.Scope()
	scope.SetLevel(sentry.LevelError)
	if r.req != nil {
		scope.SetRequest(r.req)
	}
	if len(r.meta) > 0 {
		ctx := make(sentry.Context, len(r.meta))
		for k, v := range r.meta {
			ctx[k] = v
		}
		scope.SetContext(metaSection, ctx)
	}
	ev := hub.Client().EventFromException(r.err, sentry.LevelError)
	if ev == nil || len(ev.Exception) == 0 {
		return errors.New("sentry: no event built")
	}
	// The outermost exception (last in Sentry's order) is the report's
	// wrapper; name it after the error's class instead.
	ev.Exception[len(ev.Exception)-1].Type = r.class
	hub.CaptureEvent(ev) // queued by the SDK's transport; flush sends it
	return nil
}

func (s *sentrySender) flush(timeout time.Duration) { s.hub.Flush(timeout) }

// ---- Bugsnag ----

type bugsnagSender struct{ n *bugsnag.Notifier }

func newBugsnag(cfg *Config) (*bugsnagSender, error) {
	c := bugsnag.Configuration{
		APIKey:       cfg.BugsnagKey,
		ReleaseStage: cfg.BugsnagStage,
		// Delivery happens on the report goroutine, so it can be waited
		// for and its error seen.
		Synchronous:         true,
		AutoCaptureSessions: false,
		// Never fork a panic-monitoring process (bugsnag.Configure would).
		PanicHandler:    func() {},
		ProjectPackages: []string{"main", "github.com/imgedge/imgedge/**"},
		Logger:          debugLogger("bugsnag"),
	}
	if cfg.BugsnagEndpoint != "" {
		c.Endpoints = bugsnag.Endpoints{Notify: cfg.BugsnagEndpoint, Sessions: cfg.BugsnagEndpoint}
	}
	return &bugsnagSender{n: bugsnag.New(c)}, nil
}

func (s *bugsnagSender) send(r *report) error {
	raw := []any{bugsnag.ErrorClass{Name: r.class}, bugsnag.SeverityError}
	if r.req != nil {
		raw = append(raw, r.req)
	}
	if len(r.meta) > 0 {
		md := bugsnag.MetaData{}
		for k, v := range r.meta {
			md.Add(metaSection, k, v)
		}
		raw = append(raw, md)
	}
	return s.n.Notify(r.err, raw...)
}

func (s *bugsnagSender) flush(time.Duration) {} // synchronous: nothing buffered

// ---- Honeybadger ----

type honeybadgerSender struct{ c *honeybadger.Client }

func newHoneybadger(cfg *Config) (*honeybadgerSender, error) {
	return &honeybadgerSender{c: honeybadger.New(honeybadger.Configuration{
		APIKey:   cfg.HoneybadgerKey,
		Env:      cfg.HoneybadgerEnv,
		Endpoint: cfg.HoneybadgerEndpoint,
		Logger:   debugLogger("honeybadger"),
	})}, nil
}

// headerKeyReplacer turns a header or metadata name into Honeybadger's
// CGI-style key.
var headerKeyReplacer = strings.NewReplacer("-", "_", " ", "_")

func (s *honeybadgerSender) send(r *report) error {
	extra := []any{honeybadger.ErrorClass{Name: r.class}}
	cgi := honeybadger.CGIData{}
	if r.req != nil {
		extra = append(extra, *r.req.URL)
		cgi["REQUEST_METHOD"] = r.req.Method
		for k, v := range r.req.Header {
			cgi["HTTP_"+headerKeyReplacer.Replace(strings.ToUpper(k))] = strings.Join(v, ", ")
		}
	}
	if len(r.meta) > 0 {
		ctx := honeybadger.Context{}
		for k, v := range r.meta {
			ctx[k] = v
		}
		extra = append(extra, ctx)
	}
	extra = append(extra, cgi)
	_, err := s.c.Notify(r.err, extra...) // queued by the SDK's worker
	return err
}

func (s *honeybadgerSender) flush(time.Duration) { s.c.Flush() }

// ---- Airbrake ----

type airbrakeSender struct{ n *gobrake.Notifier }

func newAirbrake(cfg *Config) (*airbrakeSender, error) {
	return &airbrakeSender{n: gobrake.NewNotifierWithOptions(&gobrake.NotifierOptions{
		ProjectId:   cfg.AirbrakeProjectID,
		ProjectKey:  cfg.AirbrakeProjectKey,
		Environment: cfg.AirbrakeEnv,
		Host:        cfg.AirbrakeHost,
		// Errors only: no performance monitoring, no remote configuration
		// polling, no backlog of failed notices.
		DisableAPM:          true,
		DisableRemoteConfig: true,
		DisableBacklog:      true,
		// No reading of source files for code snippets.
		DisableCodeHunks: true,
	})}, nil
}

func (s *airbrakeSender) send(r *report) error {
	notice := s.n.Notice(r.err, r.req, 0)
	// Without a root directory gobrake does not look for a git checkout
	// (which runs git) to add revision details.
	delete(notice.Context, "rootDirectory")
	if len(notice.Errors) > 0 {
		notice.Errors[0].Type = r.class
	}
	keys := make([]string, 0, len(r.meta))
	for k := range r.meta {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		notice.Context[strings.ReplaceAll(strings.ToLower(k), " ", "-")] = r.meta[k]
	}
	_, err := s.n.SendNotice(notice)
	return err
}

func (s *airbrakeSender) flush(time.Duration) { s.n.Flush() }
