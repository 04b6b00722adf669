// Command imgedge is a fast, secure, stateless image server that is a
// drop-in replacement for imgproxy: same URLs, signatures, IMGPROXY_*
// variables, status codes, headers and metrics.
//
// main.go wires the packages together (docs/architecture.md): it reads the
// environment once (config.go and its section files), starts libvips,
// builds the fetcher, the worker pool, the signature verifier, the URL
// parser and the HTTP server, serves, and shuts everything down in order
// on SIGTERM/SIGINT.
package main

import (
	"context"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime"
	"runtime/debug"
	"strings"
	"syscall"
	"time"

	"github.com/VictoriaMetrics/metrics"
	"golang.org/x/sys/unix"

	"github.com/imgedge/imgedge/edge"
	"github.com/imgedge/imgedge/fetch"
	"github.com/imgedge/imgedge/options"
	"github.com/imgedge/imgedge/sign"
	"github.com/imgedge/imgedge/vips"
	"github.com/imgedge/imgedge/workers"
)

// version is set at build time: -ldflags "-X main.version=$(git describe)".
var version = "dev"

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run is main without os.Exit; it returns the exit code.
func run(args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 && args[0] == "health" {
		return runHealth(args[1:], stdout, stderr)
	}
	fs := flag.NewFlagSet("imgedge", flag.ContinueOnError)
	fs.SetOutput(stderr)
	showVersion := fs.Bool("version", false, "print the version and exit")
	genDocs := fs.Bool("gen-config-docs", false, "write docs/config.md (Markdown) to stdout and exit")
	fs.Usage = func() { writeUsage(stdout) }
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "imgedge: unexpected argument %q (see imgedge -h)\n", fs.Arg(0))
		return 2
	}
	switch {
	case *showVersion:
		fmt.Fprintf(stdout, "imgedge %s (%s)\n", version, runtime.Version())
		return 0
	case *genDocs:
		writeConfigDocs(stdout)
		return 0
	}

	cfg, warnings, err := loadConfig(osLookup, os.Environ())
	if err != nil {
		fmt.Fprintf(stderr, "imgedge: %v\n", err)
		return 1
	}
	tty := isTerminal(stderr)
	log := newLogger(stderr, cfg.LogFormat, cfg.LogLevel, tty)
	// Syslog gets the same lines, without terminal colours.
	log, closeSyslog, err := withSyslog(log, cfg.Integrations.Syslog, func(w io.Writer, lvl slog.Level) slog.Handler {
		return newLogHandler(w, logFormat(cfg.LogFormat, tty), lvl, false)
	})
	if err != nil {
		fmt.Fprintf(stderr, "imgedge: %v\n", err)
		return 1
	}
	defer closeSyslog()
	slog.SetDefault(log)
	for _, w := range warnings {
		log.Warn(w)
	}
	if err := serve(cfg, log); err != nil {
		log.Error("imgedge stopped", "error", err)
		return 1
	}
	return 0
}

// serve starts every part, serves until a signal and shuts down in order.
func serve(cfg *config, log *slog.Logger) error {
	fetch.Version = version

	// The integrations start first: the fetcher's transport carries their
	// trace headers. Their gauges read the pool and edge once those exist.
	stats, setLive := newLiveStats()
	in, err := startIntegrations(context.Background(), cfg.Integrations, stats, log)
	if err != nil {
		return err
	}
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), integrationsStopTimeout)
		defer cancel()
		in.stop(ctx)
	}()
	if names := in.names(); len(names) > 0 {
		log.Info("integrations", "on", strings.Join(names, ","))
	}

	vcfg := cfg.Vips
	fcfg := cfg.Fetch
	fcfg.WrapTransport = in.wrapTransport
	// Watermark and fallback bytes are needed before vips/edge start.
	fetcher, err := fetch.New(fcfg)
	if err != nil {
		return err
	}
	defer fetcher.Close()
	if vcfg.WatermarkData, cfg.Edge.FallbackImage, err = loadImages(cfg, fetcher); err != nil {
		return err
	}

	if err := vips.Startup(vcfg); err != nil {
		return fmt.Errorf("libvips: %w", err)
	}
	// libvips is shut down only when no worker can still be inside it.
	vipsIdle := true
	defer func() {
		if vipsIdle {
			vips.Shutdown()
		}
	}()
	// One set and one namespace for every metric: the pool registers its
	// gauges, edge its HTTP metrics, vips' decode cache its counters
	// (docs/metrics.md).
	reg := cfg.Metrics
	reg.Set = metrics.NewSet()
	vcfg.DecodeCacheEvent = decodeCacheMetrics(reg)
	processor, err := vips.NewProcessor(vcfg)
	if err != nil {
		return err
	}
	defer processor.Close()
	decodeCacheGauges(reg, processor)

	wcfg := cfg.Workers
	wcfg.ThreadExit = vips.ThreadShutdown
	wcfg.Metrics = reg
	pool, err := workers.New(wcfg)
	if err != nil {
		return err
	}
	dcfg := cfg.Downloads
	dcfg.Metrics = reg
	downloads, err := workers.NewDownloads(dcfg)
	if err != nil {
		return err
	}
	verifier, err := sign.New(cfg.Sign)
	if err != nil {
		return err
	}
	parser, err := options.NewParser(cfg.Parser)
	if err != nil {
		return err
	}
	srv, err := edge.New(cfg.Edge, edge.Deps{
		Parser:       parser,
		Verifier:     verifier,
		Pool:         pool,
		Downloads:    downloads,
		Fetcher:      fetcher,
		Processor:    processor,
		Streamer:     fetcher,
		Info:         processor,
		Health:       vips.Health,
		Logger:       log,
		Metrics:      reg,
		VipsMemStats: vips.MemStats,
		Tracer:       in.Tracer,
		Reporter:     in.reporter(),
	})
	if err != nil {
		return err
	}
	setLive(pool, srv)

	ln, err := listen(cfg.Network, cfg.Bind, cfg.ReusePort)
	if err != nil {
		return options.ConfigErrorf("IMGPROXY_BIND", "%w", err)
	}
	metricsSrv, err := serveMetrics(cfg.PrometheusBind, srv, log)
	if err != nil {
		ln.Close()
		return err
	}

	stopFree := startFreeMemory(cfg.FreeMemoryInterval)
	defer stopFree()

	// Signals are caught before the server answers, so that a SIGTERM
	// right after start-up drains instead of killing the process.
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT)
	defer signal.Stop(sigs)
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()
	log.Info("listening", "addr", ln.Addr().String(), "network", ln.Addr().Network(), "version", version,
		"workers", wcfg.Workers, "memory_budget", wcfg.Memory, "downloads", dcfg.Slots, "download_memory", dcfg.Memory,
		"signing", verifier.Enabled(), "local_root", cfg.Fetch.LocalRoot)

	select {
	case err := <-serveErr:
		return fmt.Errorf("serving: %w", err)
	case sig := <-sigs:
		log.Info("shutting down", "signal", sig.String(), "grace", cfg.GracefulStop.String())
	}

	vipsIdle = shutdown(cfg.GracefulStop, sigs, srv, metricsSrv, pool, log)
	return nil
}

// serveMetrics starts the Prometheus listener on bind (IMGPROXY_PROMETHEUS_BIND;
// "" = none, nil server): every path serves srv's metrics.
func serveMetrics(bind string, srv *edge.Server, log *slog.Logger) (*http.Server, error) {
	if bind == "" {
		return nil, nil
	}
	mln, err := listen("tcp", bind, false)
	if err != nil {
		return nil, options.ConfigErrorf("IMGPROXY_PROMETHEUS_BIND", "%w", err)
	}
	metricsSrv := &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
			srv.WriteMetrics(w)
		}),
		ReadHeaderTimeout: 10 * time.Second,
	}
	go func() {
		if err := metricsSrv.Serve(mln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("metrics listener failed", "error", err)
		}
	}()
	log.Info("metrics listening", "addr", mln.Addr().String())
	return metricsSrv, nil
}

// shutdown stops the server (draining in-flight requests), the metrics
// listener and the worker pool within grace; a second signal on sigs cuts
// the grace short. It reports whether no worker can still be inside
// libvips (only then may libvips be shut down).
func shutdown(grace time.Duration, sigs <-chan os.Signal, srv *edge.Server, metricsSrv *http.Server, pool *workers.Pool, log *slog.Logger) (vipsIdle bool) {
	ctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	go func() {
		select {
		case <-sigs:
			log.Warn("second signal: not waiting for in-flight requests")
			cancel()
		case <-ctx.Done():
		}
	}()
	clean := true
	if err := srv.Shutdown(ctx); err != nil {
		log.Warn("in-flight requests did not finish within the grace period", "error", err)
		clean = false
	}
	if metricsSrv != nil {
		metricsSrv.Close()
	}
	vipsIdle = true
	if err := pool.Close(ctx); err != nil {
		log.Warn("worker pool did not stop within the grace period", "error", err)
		clean, vipsIdle = false, false
	}
	if clean {
		log.Info("stopped")
	}
	return vipsIdle
}

// listen opens the main listener. network "unix" takes a socket path; a
// stale socket file left by a previous run is removed first.
func listen(network, addr string, reusePort bool) (net.Listener, error) {
	lc := net.ListenConfig{}
	if reusePort && network != "unix" {
		lc.Control = func(_, _ string, c syscall.RawConn) error {
			var serr error
			err := c.Control(func(fd uintptr) {
				serr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_REUSEPORT, 1)
			})
			if err != nil {
				return err
			}
			return serr
		}
	}
	if network == "unix" {
		if st, err := os.Lstat(addr); err == nil && st.Mode()&os.ModeSocket != 0 {
			os.Remove(addr)
		}
	}
	return lc.Listen(context.Background(), network, addr)
}

// startFreeMemory returns freed memory to the OS every interval
// (IMGPROXY_FREE_MEMORY_INTERVAL): the Go heap via debug.FreeOSMemory and
// the C heap via vips.FreeMemory. The returned func stops it.
func startFreeMemory(interval time.Duration) (stop func()) {
	if interval <= 0 {
		return func() {}
	}
	t := time.NewTicker(interval)
	done := make(chan struct{})
	go func() {
		for {
			select {
			case <-t.C:
				debug.FreeOSMemory()
				vips.FreeMemory()
			case <-done:
				return
			}
		}
	}()
	return func() { t.Stop(); close(done) }
}

// loadImages loads the watermark and the fallback image (nil = none), URLs
// with the server's source size limit.
func loadImages(cfg *config, f *fetch.Fetcher) (watermark, fallback []byte, err error) {
	maxSize := cfg.Parser.Defaults.Limits.MaxSrcFileSize
	if watermark, err = loadImage(f, maxSize, "IMGPROXY_WATERMARK", cfg.WatermarkData, cfg.WatermarkPath, cfg.WatermarkURL); err != nil {
		return nil, nil, err
	}
	fallback, err = loadImage(f, maxSize, "IMGPROXY_FALLBACK_IMAGE", cfg.FallbackData, cfg.FallbackPath, cfg.FallbackURL)
	return watermark, fallback, err
}

// loadImage returns the bytes of a watermark or fallback image given as
// base64 data, a file path or a URL (first non-empty wins; a URL is
// fetched with at most maxSize bytes, 0 = unlimited). nil = none.
func loadImage(f *fetch.Fetcher, maxSize int64, name, data, path, url string) ([]byte, error) {
	switch {
	case data != "":
		b, err := base64.StdEncoding.DecodeString(strings.TrimSpace(data))
		if err != nil {
			if b, err2 := base64.RawStdEncoding.DecodeString(strings.TrimSpace(data)); err2 == nil {
				return b, nil
			}
			return nil, options.ConfigErrorf(name+"_DATA", "not valid base64")
		}
		return b, nil
	case path != "":
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, options.ConfigErrorf(name+"_PATH", "%w", err)
		}
		return b, nil
	case url != "":
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		src, err := f.Fetch(ctx, url, nil, maxSize)
		if err != nil {
			return nil, options.ConfigErrorf(name+"_URL", "%w", err)
		}
		out := append([]byte(nil), src.Data...)
		src.Release()
		return out, nil
	}
	return nil, nil
}
