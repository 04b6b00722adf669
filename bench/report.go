package main

import (
	"fmt"
	"html"
	"io"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"text/tabwriter"
	"time"
)

// fmtDur prints a latency with three significant digits in ms.
func fmtDur(d time.Duration) string {
	ms := float64(d) / float64(time.Millisecond)
	switch {
	case ms >= 100:
		return fmt.Sprintf("%.0fms", ms)
	case ms >= 10:
		return fmt.Sprintf("%.1fms", ms)
	}
	return fmt.Sprintf("%.2fms", ms)
}

func fmtMB(b int64) string {
	if b <= 0 {
		return "-"
	}
	return fmt.Sprintf("%.0f MB", float64(b)/(1<<20))
}

// writeTable prints one line per result, with the server/ceiling
// throughput ratio on server lines and the coalescing gain on miss-storm,
// then, when a comparison server (cmpName) ran, the side-by-side ratios.
func writeTable(w io.Writer, rs []*result, cmpName string) {
	ceiling := map[string]*result{}
	noCoalesce := map[string]*result{}
	for _, r := range rs {
		switch r.Target {
		case "ceiling":
			ceiling[r.Workload] = r
		case "no-coalesce":
			noCoalesce[r.Workload] = r
		}
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "workload\ttarget\tconc\trequests\treq/s\tp50\tp90\tp99\tp99/p50\terrors\tpeak RSS\tCPU/req\tcompare\t")
	for _, r := range rs {
		cmp := ""
		switch {
		case r.Target != "ceiling" && ceiling[r.Workload] != nil && ceiling[r.Workload].RPS() > 0:
			ce := ceiling[r.Workload]
			cmp = fmt.Sprintf("%.0f%% of ceiling req/s", 100*r.RPS()/ce.RPS())
			if a, b := r.CPUPerOp(), ce.CPUPerOp(); a > 0 && b > 0 {
				cmp += fmt.Sprintf(", %.0f%% of its CPU efficiency", 100*float64(b)/float64(a))
			}
		case r.Target == "server" && noCoalesce[r.Workload] != nil && noCoalesce[r.Workload].RPS() > 0:
			cmp = fmt.Sprintf("%.1fx no-coalesce", r.RPS()/noCoalesce[r.Workload].RPS())
		}
		ratio := "-"
		if p50 := r.Pct(50); p50 > 0 {
			ratio = fmt.Sprintf("%.2f", float64(r.Pct(99))/float64(p50))
		}
		cpu := fmtCPU(r.CPUPerOp())
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%.1f\t%s\t%s\t%s\t%s\t%d\t%s\t%s\t%s\t\n", r.Workload, r.Target, r.Conc, r.Requests,
			r.RPS(), fmtDur(r.Pct(50)), fmtDur(r.Pct(90)), fmtDur(r.Pct(99)), ratio, r.Errors, fmtMB(r.PeakRSS), cpu, cmp)
	}
	tw.Flush()
	writeSideBySide(w, rs, cmpName)
	writeOpTable(w, rs)
	for _, r := range rs {
		if len(r.ErrKinds) == 0 {
			continue
		}
		var ks []string
		for k, n := range r.ErrKinds {
			ks = append(ks, fmt.Sprintf("%s ×%d", k, n))
		}
		sort.Strings(ks)
		fmt.Fprintf(w, "errors %s/%s: %s\n", r.Workload, r.Target, strings.Join(ks, ", "))
	}
}

// writeSideBySide prints, per workload measured on both, the server's
// figures against the comparison server's and their ratio (server ÷
// comparison): above 1 is better for req/s, below 1 better for p99, peak
// RSS and CPU/req.
func writeSideBySide(w io.Writer, rs []*result, cmpName string) {
	other := map[string]*result{}
	for _, r := range rs {
		if r.Target == cmpName {
			other[r.Workload] = r
		}
	}
	var tw *tabwriter.Writer
	for _, r := range rs {
		o := other[r.Workload]
		if r.Target != "server" || o == nil {
			continue
		}
		if tw == nil {
			fmt.Fprintf(w, "\nside by side: server / %s (ratio server ÷ %s)\n", cmpName, cmpName)
			tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
			fmt.Fprintln(tw, "workload\treq/s\t\tp99\t\tpeak RSS\t\tCPU/req\t\t")
		}
		fmt.Fprintf(tw, "%s\t%.1f / %.1f\t%s\t%s / %s\t%s\t%s / %s\t%s\t%s / %s\t%s\t\n", r.Workload,
			r.RPS(), o.RPS(), ratio(r.RPS(), o.RPS()),
			fmtDur(r.Pct(99)), fmtDur(o.Pct(99)), ratio(float64(r.Pct(99)), float64(o.Pct(99))),
			fmtMB(r.PeakRSS), fmtMB(o.PeakRSS), ratio(float64(r.PeakRSS), float64(o.PeakRSS)),
			fmtCPU(r.CPUPerOp()), fmtCPU(o.CPUPerOp()), ratio(float64(r.CPUPerOp()), float64(o.CPUPerOp())))
	}
	if tw != nil {
		tw.Flush()
	}
}

// ratio formats a/b as "1.23x", "-" when either is unknown.
func ratio(a, b float64) string {
	if a <= 0 || b <= 0 {
		return "-"
	}
	return fmt.Sprintf("%.2fx", a/b)
}

func fmtCPU(d time.Duration) string {
	if d <= 0 {
		return "-"
	}
	return fmtDur(d)
}

// writeOpTable breaks latencies down per operation for workloads that mix
// several: a high p99/p50 of the whole mix may only reflect how different
// the operations are, the per-operation ratio shows queueing.
func writeOpTable(w io.Writer, rs []*result) {
	header := false
	var tw *tabwriter.Writer
	for _, r := range rs {
		if len(r.ByOp) < 2 {
			continue
		}
		if !header {
			fmt.Fprintln(w)
			tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
			fmt.Fprintln(tw, "workload\ttarget\toperation\trequests\tp50\tp90\tp99\tp99/p50\t")
			header = true
		}
		ops := make([]string, 0, len(r.ByOp))
		for op := range r.ByOp {
			ops = append(ops, op)
		}
		sort.Strings(ops)
		for _, op := range ops {
			l := r.ByOp[op]
			ratio := "-"
			if p50 := percentile(l, 50); p50 > 0 {
				ratio = fmt.Sprintf("%.2f", float64(percentile(l, 99))/float64(p50))
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\t%s\t%s\t%s\t\n", r.Workload, r.Target, op, len(l),
				fmtDur(percentile(l, 50)), fmtDur(percentile(l, 90)), fmtDur(percentile(l, 99)), ratio)
		}
	}
	if tw != nil {
		tw.Flush()
	}
}

// histogram buckets latencies on a log scale: 12 buckets per decade from
// 100µs to 100s.
type histogram struct {
	lo     float64 // log10(seconds) of the first edge
	perDec int
	counts []int
}

func newHistogram(lat []time.Duration) *histogram {
	h := &histogram{lo: -4, perDec: 12, counts: make([]int, 12*6)}
	for _, d := range lat {
		s := d.Seconds()
		if s <= 0 {
			s = 1e-6
		}
		i := int(math.Floor((math.Log10(s) - h.lo) * float64(h.perDec)))
		i = max(0, min(i, len(h.counts)-1))
		h.counts[i]++
	}
	return h
}

func (h *histogram) edge(i int) float64 {
	return math.Pow(10, h.lo+float64(i)/float64(h.perDec))
}

// writeSVG draws the latency histogram of r with its p50/p90/p99 marks.
func writeSVG(w io.Writer, r *result) {
	h := newHistogram(r.Lat)
	first, last := -1, -1
	peak := 0
	for i, c := range h.counts {
		if c > 0 {
			if first < 0 {
				first = i
			}
			last = i
			peak = max(peak, c)
		}
	}
	const W, H, left, bottom, top = 720, 320, 60, 40, 40
	fmt.Fprintf(w, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" font-family="sans-serif" font-size="12">`+"\n", W, H)
	fmt.Fprintf(w, `<rect width="%d" height="%d" fill="white"/>`+"\n", W, H)
	title := fmt.Sprintf("%s / %s: %d requests, %.1f req/s, concurrency %d", r.Workload, r.Target, r.Requests, r.RPS(), r.Conc)
	fmt.Fprintf(w, `<text x="%d" y="20" font-size="14">%s</text>`+"\n", left, html.EscapeString(title))
	if first < 0 {
		fmt.Fprintln(w, `<text x="60" y="160">no data</text></svg>`)
		return
	}
	first = max(0, first-1)
	last = min(len(h.counts)-1, last+1)
	n := last - first + 1
	plotW, plotH := float64(W-left-20), float64(H-top-bottom)
	bw := plotW / float64(n)
	x := func(sec float64) float64 {
		pos := (math.Log10(sec) - h.lo) * float64(h.perDec)
		return float64(left) + (pos-float64(first))*bw
	}
	for i := first; i <= last; i++ {
		bh := plotH * float64(h.counts[i]) / float64(peak)
		fmt.Fprintf(w, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="#4a7ab5"><title>%s–%s: %d</title></rect>`+"\n",
			float64(left)+float64(i-first)*bw, float64(top)+plotH-bh, bw-1, bh,
			fmtDur(time.Duration(h.edge(i)*1e9)), fmtDur(time.Duration(h.edge(i+1)*1e9)), h.counts[i])
	}
	// Axis with a label at every decade and half-decade edge in range.
	fmt.Fprintf(w, `<line x1="%d" y1="%.0f" x2="%d" y2="%.0f" stroke="black"/>`+"\n", left, float64(top)+plotH, W-20, float64(top)+plotH)
	for i := first; i <= last+1; i++ {
		if i%(h.perDec/2) != 0 {
			continue
		}
		xx := float64(left) + float64(i-first)*bw
		fmt.Fprintf(w, `<text x="%.1f" y="%.0f" text-anchor="middle">%s</text>`+"\n", xx, float64(top)+plotH+16,
			fmtDur(time.Duration(h.edge(i)*1e9)))
	}
	for i, p := range []struct {
		name string
		q    float64
		col  string
	}{{"p50", 50, "#2a2"}, {"p90", 90, "#c80"}, {"p99", 99, "#c22"}} {
		d := r.Pct(p.q)
		xx := x(d.Seconds())
		fmt.Fprintf(w, `<line x1="%.1f" y1="%d" x2="%.1f" y2="%.0f" stroke="%s" stroke-dasharray="4 3"/>`+"\n", xx, top, xx, float64(top)+plotH, p.col)
		anchor, dx := "start", 3.0
		if xx > W-140 {
			anchor, dx = "end", -3
		}
		fmt.Fprintf(w, `<text x="%.1f" y="%d" fill="%s" text-anchor="%s">%s %s</text>`+"\n", xx+dx, top+12+14*i, p.col,
			anchor, p.name, fmtDur(d))
	}
	fmt.Fprintf(w, `<text x="%d" y="%d">latency (log scale); bar height = requests</text>`+"\n", left, H-6)
	fmt.Fprintln(w, "</svg>")
}

// saveSVGs writes one histogram per result into dir.
func saveSVGs(dir string, rs []*result) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for _, r := range rs {
		name := filepath.Join(dir, r.Workload+"-"+r.Target+".svg")
		f, err := os.Create(name)
		if err != nil {
			return err
		}
		writeSVG(f, r)
		if err := f.Close(); err != nil {
			return err
		}
		logf("wrote %s", name)
	}
	return nil
}
