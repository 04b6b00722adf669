package main

import (
	"fmt"
	"strconv"
	"time"
)

// soakSample is one 10-second window of a soak run.
type soakSample struct {
	At         time.Duration // since the start, at the end of the window
	RPS        float64
	P50, P99   time.Duration
	Requests   int
	Errors     int
	RSS        int64   // VmRSS at the end of the window, bytes; 0 = unknown
	Goroutines float64 // from the server's /metrics; -1 = unknown
}

const soakWindow = 10 * time.Second

// soak runs w at saturation for c.soak minutes as consecutive 10 s
// windows and prints a line per window, then RSS at minute 2 against the
// end (BENCHMARKS.md expects them within 10 %).
func soak(t *httpTarget, w workload, c *config, pid int, metricsURL string) error {
	total := time.Duration(c.soak) * time.Minute
	logf("soak: %s for %v at concurrency %d, sampling every %v", w.Name, total, c.conc, soakWindow)
	start := time.Now()
	var samples []soakSample
	// Fixed widths: lines are printed as the windows finish.
	const row = "%7s %8s %9s %9s %9s %7s %8s %11s\n"
	fmt.Printf(row, "time", "req/s", "p50", "p99", "requests", "errors", "RSS", "goroutines")
	for time.Since(start) < total {
		r := t.run(w, "server", c.conc, soakWindow, true)
		s := soakSample{At: time.Since(start), RPS: r.RPS(), P50: r.Pct(50), P99: r.Pct(99),
			Requests: r.Requests, Errors: r.Errors, Goroutines: -1}
		if pid > 0 {
			s.RSS, _ = procStatus(pid, "VmRSS")
		}
		if g, err := scrapeMetric(metricsURL, "go_goroutines"); err == nil {
			s.Goroutines = g
		}
		samples = append(samples, s)
		gs := "-"
		if s.Goroutines >= 0 {
			gs = fmt.Sprintf("%.0f", s.Goroutines)
		}
		fmt.Printf(row, s.At.Round(time.Second), fmt.Sprintf("%.1f", s.RPS), fmtDur(s.P50), fmtDur(s.P99),
			strconv.Itoa(s.Requests), strconv.Itoa(s.Errors), fmtMB(s.RSS), gs)
	}
	fmt.Println(soakSummary(samples))
	return nil
}

// soakSummary compares the RSS of the first sample at or after minute 2
// with the last sample.
func soakSummary(samples []soakSample) string {
	if len(samples) == 0 {
		return "soak: no samples"
	}
	errs, reqs := 0, 0
	for _, s := range samples {
		errs += s.Errors
		reqs += s.Requests
	}
	last := samples[len(samples)-1]
	var at2 *soakSample
	for i := range samples {
		if samples[i].At >= 2*time.Minute {
			at2 = &samples[i]
			break
		}
	}
	out := fmt.Sprintf("soak: %d requests, %d errors over %v", reqs, errs, last.At.Round(time.Second))
	switch {
	case at2 == nil || at2 == &samples[len(samples)-1]:
		out += "; too short for the minute-2 RSS comparison"
	case at2.RSS > 0:
		out += fmt.Sprintf("; RSS at %v %s, at the end %s (%+.1f%%)", at2.At.Round(time.Second), fmtMB(at2.RSS),
			fmtMB(last.RSS), 100*float64(last.RSS-at2.RSS)/float64(at2.RSS))
		// Single samples are noisy: also compare the mean of minute 2-3
		// with the mean of the last minute.
		a := meanRSS(samples, 2*time.Minute, 3*time.Minute)
		b := meanRSS(samples, last.At-time.Minute+time.Nanosecond, last.At+time.Nanosecond)
		if a > 0 && b > 0 && last.At >= 4*time.Minute {
			out += fmt.Sprintf("; mean RSS in minute 2-3 %s, in the last minute %s (%+.1f%%)", fmtMB(a), fmtMB(b),
				100*float64(b-a)/float64(a))
		}
	}
	return out
}

// meanRSS averages the RSS of the samples taken in [from, to).
func meanRSS(samples []soakSample, from, to time.Duration) int64 {
	var sum, n int64
	for _, s := range samples {
		if s.At >= from && s.At < to && s.RSS > 0 {
			sum += s.RSS
			n++
		}
	}
	if n == 0 {
		return 0
	}
	return sum / n
}
