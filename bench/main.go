// Command bench measures an imgproxy-compatible server (imgedge by default)
// on a real-photo corpus from a separate process, and the raw-libvips
// ceiling of the same operations in-process (ceiling.go). See BENCHMARKS.md.
//
//	go run ./bench                        # build and start imgedge, all workloads, and the ceiling
//	go run ./bench -duration 10s -workloads web-mix
//	go run ./bench -base-url http://127.0.0.1:8081 -pid 1234   # any running server
//	go run ./bench -raw                   # the ceiling only
//	go run ./bench -soak 10               # 10 minutes of web-mix, RSS sampled every 10 s
//	go run ./bench -compare-bin /tmp/imgproxy-bin/imgproxy -rounds 3   # side by side, alternating rounds
package main

import (
	"encoding/hex"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"
)

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "bench: "+format+"\n", args...)
}

type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }

type config struct {
	root, corpus, bin, out  string
	fetch, build, svg, raw  bool
	baseURL, noCoalesceURL  string
	metricsURL              string
	pid                     int
	mode                    string
	workloads               string
	conc, storm             int
	duration, warmup        time.Duration
	soak                    int
	env                     listFlag
	key, salt               string
	sigSize                 int
	compareCoalesce, unique bool
	allocator               string
	originDelay             time.Duration
	compareBin, compareURL  string
	compareName             string
	comparePID              int
	rounds                  int
	decodeCache             bool
	serverEnv               []string // environment of the servers the bench starts (serverEnv)
}

func main() {
	var c config
	flag.StringVar(&c.root, "root", ".", "repository root (where `go build -o bin/imgedge .` runs)")
	flag.StringVar(&c.corpus, "corpus", "bench/corpus", "corpus directory: photos/ is served, debs/ and extract/ are the download")
	flag.BoolVar(&c.fetch, "fetch", true, "download the corpus with apt-get when corpus/photos is empty")
	flag.StringVar(&c.bin, "bin", "bin/imgedge", "server binary started when -base-url is empty")
	flag.BoolVar(&c.build, "build", true, "build -bin with `go build` first")
	flag.StringVar(&c.allocator, "allocator", "builtin", "malloc of the started server: builtin (glibc with the settings built into imgedge, as deployed) or jemalloc (LD_PRELOAD of Debian's libjemalloc2, to compare)")
	flag.Var(&c.env, "env", "extra KEY=VALUE for the started server (repeatable), e.g. -env IMGPROXY_WORKERS=4")
	flag.StringVar(&c.baseURL, "base-url", "", "measure this already running server instead of starting imgedge")
	flag.StringVar(&c.noCoalesceURL, "base-url-no-coalesce", "", "with -base-url: a second server without request coalescing, for the miss-storm comparison")
	flag.StringVar(&c.metricsURL, "metrics-url", "", "with -base-url: its Prometheus endpoint (for goroutines in -soak)")
	flag.IntVar(&c.pid, "pid", 0, "with -base-url: the server's PID, for peak RSS")
	flag.StringVar(&c.mode, "mode", "both", "server, raw (the libvips ceiling in-process) or both")
	flag.BoolVar(&c.raw, "raw", false, "shorthand for -mode raw")
	flag.StringVar(&c.workloads, "workloads", strings.Join(workloadNames, ","), "comma-separated workloads: "+strings.Join(workloadNames, ", "))
	flag.IntVar(&c.conc, "c", 2*runtime.NumCPU(), "concurrent clients (and ceiling goroutines)")
	flag.IntVar(&c.storm, "storm", 16, "miss-storm: identical requests per burst")
	flag.DurationVar(&c.duration, "duration", 20*time.Second, "measured time per workload and target")
	flag.DurationVar(&c.warmup, "warmup", 2*time.Second, "unmeasured run before each measurement")
	flag.BoolVar(&c.compareCoalesce, "compare-coalesce", true, "miss-storm: also run a server started with IMGEDGE_COALESCE=false")
	flag.BoolVar(&c.unique, "unique", true, "give every request a unique cache buster (cb:), so none is coalesced or cached (not for miss-storm)")
	flag.IntVar(&c.soak, "soak", 0, "run web-mix for this many minutes at saturation, sampling RSS, goroutines and errors every 10 s")
	flag.BoolVar(&c.svg, "svg", true, "write latency histograms to -out")
	flag.StringVar(&c.out, "out", "bench/out", "directory for SVG histograms and the report")
	flag.DurationVar(&c.originDelay, "origin-delay", 80*time.Millisecond, "remote: the origin's delay before the first byte of each source")
	flag.StringVar(&c.compareBin, "compare-bin", "", "also start this imgproxy-compatible binary (e.g. /tmp/imgproxy-bin/imgproxy) with the same settings and measure it in alternating rounds")
	flag.StringVar(&c.compareURL, "compare-url", "", "also measure this already running server in alternating rounds (started with IMGPROXY_ALLOW_LOOPBACK_SOURCE_ADDRESSES=true for remote)")
	flag.IntVar(&c.comparePID, "compare-pid", 0, "with -compare-url: its PID, for peak RSS and CPU/req")
	flag.StringVar(&c.compareName, "compare-name", "imgproxy", "label of the -compare-bin/-compare-url server in the report")
	flag.BoolVar(&c.decodeCache, "decode-cache", false, "keep imgedge's decoded-source cache (IMGEDGE_DECODE_CACHE_SIZE) at its default; off by default, since the workloads cycle through a few photos and would measure the cache instead of the pipeline")
	flag.IntVar(&c.rounds, "rounds", 1, "measured rounds per workload and target; server, comparison and ceiling alternate round by round")
	flag.StringVar(&c.key, "key", "", "hex IMGPROXY_KEY to sign URLs (empty: unsigned)")
	flag.StringVar(&c.salt, "salt", "", "hex IMGPROXY_SALT")
	flag.IntVar(&c.sigSize, "signature-size", 32, "IMGPROXY_SIGNATURE_SIZE")
	flag.Parse()
	if c.raw {
		c.mode = "raw"
	}
	if err := run(&c); err != nil {
		logf("%v", err)
		os.Exit(1)
	}
}

func run(c *config) error {
	switch c.mode {
	case "server", "raw", "both":
	default:
		return fmt.Errorf("-mode must be server, raw or both; got %q", c.mode)
	}
	if c.conc <= 0 || c.storm <= 0 || c.rounds <= 0 {
		return fmt.Errorf("-c, -storm and -rounds must be > 0")
	}
	if c.compareBin != "" && c.compareURL != "" {
		return fmt.Errorf("-compare-bin and -compare-url exclude each other")
	}
	var sg signer
	var err error
	if sg.key, err = hex.DecodeString(c.key); err != nil {
		return fmt.Errorf("-key: %w", err)
	}
	if sg.salt, err = hex.DecodeString(c.salt); err != nil {
		return fmt.Errorf("-salt: %w", err)
	}
	sg.size = c.sigSize

	photos, err := prepareCorpus(c.corpus, c.fetch)
	if err != nil {
		return err
	}
	names := strings.Split(c.workloads, ",")
	if c.soak > 0 {
		names = []string{"web-mix"}
	}
	wls, err := buildWorkloads(photos, names)
	if err != nil {
		return err
	}
	logf("corpus: %d photos; concurrency %d; %d × %v per workload and target (+%v warm-up)", len(photos), c.conc, c.rounds, c.duration, c.warmup)

	doServer := c.mode != "raw"
	doRaw := c.mode != "server" && c.soak == 0
	logf("load average before: %s", loadAvg())

	originURL := ""
	if doServer && hasRemote(wls) {
		o, err := startOrigin(photos, c.originDelay)
		if err != nil {
			return err
		}
		defer o.close()
		originURL = o.base
		logf("origin %s: sources after %v", o.base, c.originDelay)
	}
	if c.serverEnv, err = serverEnv(c); err != nil {
		return err
	}
	var sv, cmp *serverSide
	if doServer {
		sv, err = startServerSide(c, sg, originURL)
		switch {
		case err != nil && c.mode == "both" && c.baseURL == "":
			logf("server side skipped (numbers pending): %v", err)
			doServer = false
		case err != nil:
			return err
		default:
			defer sv.close()
		}
	}
	if doServer && (c.compareBin != "" || c.compareURL != "") {
		if cmp, err = startCompareSide(c, sg, originURL); err != nil {
			return err
		}
		defer cmp.close()
	}
	if c.soak > 0 {
		if !doServer {
			return fmt.Errorf("-soak needs a server")
		}
		return soak(sv.t, wls[0], c, sv.pid, sv.metricsURL)
	}
	if doRaw {
		if err := ceilingStartup(); err != nil {
			return err
		}
	}

	// Server, comparison and ceiling alternate round by round within each
	// workload, so that all see the same machine load.
	var acc accumulator
	ceiling := func(w workload, _ string, conc int, d time.Duration, quiet bool) *result {
		return runRaw(w, conc, d, quiet)
	}
	for _, w := range wls {
		for range c.rounds {
			if doServer {
				acc.add(measure(w, "server", c, sv.pid, sv.t.run))
			}
			if cmp != nil {
				acc.add(measure(w, c.compareName, c, cmp.pid, cmp.t.run))
			}
			if doRaw && !w.Storm { // one op per burst: the ceiling is web-mix's
				acc.add(measure(w, "ceiling", c, os.Getpid(), ceiling))
			}
		}
		if doServer && w.Storm && c.compareCoalesce {
			if r := sv.noCoalesce(w); r != nil {
				acc.add(r)
			}
		}
	}
	logf("load average after: %s", loadAvg())
	results := acc.results
	sortResults(results, c.compareName)
	fmt.Println()
	for _, w := range wls {
		fmt.Printf("%-10s %s (%d distinct requests)\n", w.Name, w.Desc, len(w.Items))
	}
	if doRaw {
		fmt.Printf("ceiling    %s\n", ceilingName)
	}
	if doServer && c.baseURL == "" && !c.decodeCache {
		fmt.Printf("server     imgedge with IMGEDGE_DECODE_CACHE_SIZE=0: every request decodes its source, like imgproxy\n")
	}
	if c.rounds > 1 {
		fmt.Printf("rounds     %d per workload and target, alternating; figures are over all rounds\n", c.rounds)
	}
	fmt.Println()
	writeTable(os.Stdout, results, c.compareName)
	if c.svg && len(results) > 0 {
		if err := saveSVGs(c.out, results); err != nil {
			return err
		}
	}
	return nil
}

// hasRemote reports whether a workload fetches from the origin.
func hasRemote(wls []workload) bool {
	for _, w := range wls {
		if w.Remote {
			return true
		}
	}
	return false
}

// serverSide is the server under test: already running (-base-url) or
// started here.
type serverSide struct {
	c          *config
	sg         signer
	srv        *server // nil with -base-url
	t          *httpTarget
	pid        int
	metricsURL string
}

func startServerSide(c *config, sg signer, originURL string) (*serverSide, error) {
	sv := &serverSide{c: c, sg: sg, pid: c.pid, metricsURL: c.metricsURL}
	base := c.baseURL
	if base == "" {
		bin := c.bin
		if !filepath.IsAbs(bin) {
			bin = filepath.Join(c.root, bin)
		}
		if c.build {
			if err := buildServer(c.root, bin); err != nil {
				return nil, err
			}
		}
		srv, err := startServer(bin, filepath.Join(c.corpus, "photos"), c.serverEnv)
		if err != nil {
			return nil, err
		}
		sv.srv = srv
		base, sv.pid, sv.metricsURL = srv.base, srv.pid(), srv.metricsURL
		logf("server %s started (pid %d)", base, sv.pid)
	}
	sv.t = newHTTPTarget(base, sg, max(c.conc, c.storm))
	sv.t.unique, sv.t.origin = c.unique, originURL
	return sv, nil
}

// serverEnv is the environment of a server the bench starts: the
// allocator's settings (the same for every server, for a fair comparison),
// loopback sources allowed (the remote workload's origin), imgedge's
// decode cache off unless -decode-cache (imgproxy ignores the variable),
// then -env.
func serverEnv(c *config) ([]string, error) {
	env, err := allocatorEnv(c.allocator)
	if err != nil {
		return nil, err
	}
	env = append(env, "IMGPROXY_ALLOW_LOOPBACK_SOURCE_ADDRESSES=true")
	if !c.decodeCache {
		env = append(env, "IMGEDGE_DECODE_CACHE_SIZE=0")
	}
	return append(env, c.env...), nil
}

// startCompareSide starts -compare-bin with the settings the bench gives
// imgedge (serverEnv; same corpus root, loopback sources allowed, same
// allocator), or attaches to -compare-url.
func startCompareSide(c *config, sg signer, originURL string) (*serverSide, error) {
	sv := &serverSide{c: c, sg: sg, pid: c.comparePID}
	base := c.compareURL
	if c.compareBin != "" {
		srv, err := startServer(c.compareBin, filepath.Join(c.corpus, "photos"), c.serverEnv)
		if err != nil {
			return nil, fmt.Errorf("-compare-bin: %w", err)
		}
		sv.srv = srv
		base, sv.pid, sv.metricsURL = srv.base, srv.pid(), srv.metricsURL
		logf("%s %s started (pid %d)", c.compareName, base, sv.pid)
	}
	sv.t = newHTTPTarget(base, sg, max(c.conc, c.storm))
	sv.t.unique, sv.t.origin = c.unique, originURL
	return sv, nil
}

// jemallocPaths are where Debian's libjemalloc2 puts the library.
var jemallocPaths = []string{
	"/usr/local/lib/libjemalloc.so.2",
	"/usr/lib/x86_64-linux-gnu/libjemalloc.so.2",
	"/usr/lib/aarch64-linux-gnu/libjemalloc.so.2",
}

// allocatorEnv returns the environment that makes the started server use
// the chosen malloc: nothing for the settings built into imgedge
// (vips/cvips.c, ie_malloc_setup), or jemalloc preloaded with background
// threads returning freed memory at once.
func allocatorEnv(choice string) ([]string, error) {
	switch choice {
	case "builtin":
		logf("allocator: glibc malloc with imgedge's built-in settings")
		return nil, nil
	case "jemalloc":
	default:
		return nil, fmt.Errorf("-allocator must be builtin or jemalloc; got %q", choice)
	}
	for _, p := range jemallocPaths {
		if _, err := os.Stat(p); err == nil {
			logf("allocator: jemalloc (%s)", p)
			return []string{"LD_PRELOAD=" + p, "MALLOC_CONF=background_thread:true,dirty_decay_ms:0,muzzy_decay_ms:0"}, nil
		}
	}
	return nil, fmt.Errorf("-allocator jemalloc: libjemalloc.so.2 not found (apt-get install libjemalloc2)")
}

func (sv *serverSide) close() {
	if sv.srv != nil {
		sv.srv.stop()
	}
}

// noCoalesce runs the storm workload against a server without request
// coalescing: -base-url-no-coalesce, or a second imgedge started with
// IMGEDGE_COALESCE=false. nil when neither is possible.
func (sv *serverSide) noCoalesce(w workload) *result {
	c := sv.c
	if c.noCoalesceURL != "" {
		t := newHTTPTarget(c.noCoalesceURL, sv.sg, c.storm)
		t.origin = sv.t.origin
		return measure(w, "no-coalesce", c, 0, t.run)
	}
	if sv.srv == nil {
		return nil
	}
	srv2, err := startServer(sv.srv.cmd.Path, filepath.Join(c.corpus, "photos"), append(c.serverEnv, "IMGEDGE_COALESCE=false"))
	if err != nil {
		logf("no-coalesce server: %v", err)
		return nil
	}
	defer srv2.stop()
	t := newHTTPTarget(srv2.base, sv.sg, c.storm)
	t.origin = sv.t.origin
	return measure(w, "no-coalesce", c, srv2.pid(), t.run)
}

type runFunc func(w workload, target string, conc int, d time.Duration, quiet bool) *result

// measure warms up, then runs w once while watching the peak RSS and the
// CPU time of process pid (0: unknown).
func measure(w workload, target string, c *config, pid int, run runFunc) *result {
	conc := c.conc
	if w.Storm {
		conc = c.storm
	}
	if c.warmup > 0 {
		run(w, target, conc, c.warmup, true)
	}
	rss := watchRSS(pid)
	cpu0 := cpuTime(pid)
	r := run(w, target, conc, c.duration, false)
	if cpu1 := cpuTime(pid); cpu0 >= 0 && cpu1 >= 0 {
		r.CPU = cpu1 - cpu0
	}
	r.PeakRSS = rss.peak()
	return r
}

// accumulator merges the rounds of each workload and target into one
// result, in the order they first appear.
type accumulator struct {
	results []*result
}

func (a *accumulator) add(r *result) {
	for _, old := range a.results {
		if old.Workload == r.Workload && old.Target == r.Target {
			old.merge(r)
			return
		}
	}
	r.Rounds = max(1, r.Rounds)
	a.results = append(a.results, r)
}

// sortResults orders by workload (report order), then server, the
// comparison server (named cmpName), no-coalesce, ceiling.
func sortResults(rs []*result, cmpName string) {
	wi := func(name string) int {
		for i, n := range workloadNames {
			if n == name {
				return i
			}
		}
		return len(workloadNames)
	}
	ti := map[string]int{"server": 0, cmpName: 1, "no-coalesce": 2, "ceiling": 3}
	for i := 1; i < len(rs); i++ {
		for j := i; j > 0; j-- {
			a, b := rs[j-1], rs[j]
			if wi(a.Workload) < wi(b.Workload) || (a.Workload == b.Workload && ti[a.Target] <= ti[b.Target]) {
				break
			}
			rs[j-1], rs[j] = b, a
		}
	}
}
