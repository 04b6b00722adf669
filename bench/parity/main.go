// Command parity compares two imgproxy-compatible servers URL by URL: for
// each path it GETs the same path from both and compares the status,
// Content-Type, the decoded format, width, height and frame count, a pixel
// similarity measure and (optionally) Content-Disposition, Cache-Control and
// ETag presence. Server A is the reference (e.g. imgproxy), B the candidate
// (e.g. imgedge). See docs/parity.md.
//
//	go run ./bench/parity -a http://127.0.0.1:8081 -b http://127.0.0.1:8082 -urls urls.txt
//	go run ./bench/parity -a ... -b ... -root /srv/images     # built-in matrix over files in root
//	go run ./bench/parity -list -root /srv/images             # print the built-in matrix
//	go run ./bench/parity -gen /tmp/extra                     # write generated sample images
//
// Pixels are compared by averaging both images onto a 32×32 grid of
// premultiplied RGBA and taking the mean absolute difference per channel
// (0..255); PSNR of the same grid is printed too. Formats Go cannot decode
// (AVIF, HEIC, JXL, SVG, animated WebP beyond frame 1) are compared by
// format, dimensions and frame count from their headers.
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"
)

type urlEntry struct{ Family, Path string }

func main() {
	var (
		a        = flag.String("a", "", "reference server base URL (e.g. imgproxy), http://host:port[/prefix]")
		b        = flag.String("b", "", "candidate server base URL (e.g. imgedge)")
		urls     = flag.String("urls", "", "file with one path per line (`/sig/opts/plain/...`), optionally preceded by a family name and a space; # comments")
		root     = flag.String("root", "", "directory served as local:/// by both servers: run the built-in matrix over the files found there")
		sig      = flag.String("sig", "insecure", "signature segment used by the built-in matrix")
		list     = flag.Bool("list", false, "print the URL list (built-in matrix or -urls) and exit")
		gen      = flag.String("gen", "", "write the generated sample images (and wm.png watermark) into this directory and exit")
		maxMAD   = flag.Float64("max-mad", 4, "pixel mismatch when the mean absolute difference per channel (0..255) is above this")
		headers  = flag.Bool("headers", true, "compare Content-Disposition, Cache-Control and ETag presence")
		conc     = flag.Int("c", 2, "paths compared in parallel")
		timeout  = flag.Duration("timeout", 60*time.Second, "per-request timeout")
		md       = flag.Bool("markdown", false, "print the report as Markdown tables")
		all      = flag.Bool("all", false, "print every path, not only mismatches")
		family   = flag.String("family", "", "only paths whose family contains this string")
		sizeNote = flag.Float64("size-note", 0, "note (without failing) byte sizes that differ by more than this factor, e.g. 2")
	)
	flag.Parse()
	if *gen != "" {
		if err := generate(*gen); err != nil {
			fatalf("%v", err)
		}
		return
	}
	var entries []urlEntry
	var err error
	switch {
	case *urls != "":
		entries, err = readURLs(*urls)
	case *root != "":
		entries = matrix(*root, *sig)
	default:
		fatalf("need -urls or -root (or -gen)")
	}
	if err != nil {
		fatalf("%v", err)
	}
	if *family != "" {
		var f []urlEntry
		for _, e := range entries {
			if strings.Contains(e.Family, *family) {
				f = append(f, e)
			}
		}
		entries = f
	}
	if *list {
		for _, e := range entries {
			fmt.Printf("%s %s\n", e.Family, e.Path)
		}
		return
	}
	if *a == "" || *b == "" {
		fatalf("need -a and -b")
	}
	results := run(entries, strings.TrimRight(*a, "/"), strings.TrimRight(*b, "/"), *conc, *timeout,
		compareOpts{MaxMAD: *maxMAD, Headers: *headers, SizeNote: *sizeNote})
	report(os.Stdout, results, *md, *all)
	for _, r := range results {
		if !r.ok() {
			os.Exit(1)
		}
	}
}

func fatalf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "parity: "+format+"\n", args...)
	os.Exit(2)
}

// readURLs reads "path" or "family path" lines.
func readURLs(name string) ([]urlEntry, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []urlEntry
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' {
			continue
		}
		e := urlEntry{Family: "-", Path: line}
		if line[0] != '/' {
			fam, p, ok := strings.Cut(line, " ")
			if !ok {
				return nil, fmt.Errorf("%s: line %q: want \"/path\" or \"family /path\"", name, line)
			}
			e = urlEntry{Family: fam, Path: strings.TrimSpace(p)}
		}
		out = append(out, e)
	}
	return out, sc.Err()
}

// run compares every entry with conc workers; results keep the input order.
func run(entries []urlEntry, a, b string, conc int, timeout time.Duration, o compareOpts) []*result {
	c := &http.Client{Timeout: timeout, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}
	results := make([]*result, len(entries))
	idx := make(chan int)
	var wg sync.WaitGroup
	for range max(1, conc) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range idx {
				e := entries[i]
				ctx := context.Background()
				r := &result{Family: e.Family, Path: e.Path}
				// Sequential, so the two servers never compete for the CPU.
				r.A = get(ctx, c, a, e.Path)
				r.B = get(ctx, c, b, e.Path)
				compare(r, o)
				r.A.img, r.B.img, r.A.frames, r.B.frames = nil, nil, nil, nil
				results[i] = r
			}
		}()
	}
	for i := range entries {
		idx <- i
	}
	close(idx)
	wg.Wait()
	return results
}

// report prints the mismatches (or every row with all), then a summary per family.
func report(w io.Writer, results []*result, md, all bool) {
	type fam struct{ n, ok int }
	fams := map[string]*fam{}
	var order []string
	bad := 0
	if md {
		fmt.Fprintln(w, "| family | path | A (reference) | B (candidate) | MAD | mismatch |")
		fmt.Fprintln(w, "|---|---|---|---|---|---|")
	}
	for _, r := range results {
		f := fams[r.Family]
		if f == nil {
			f = &fam{}
			fams[r.Family] = f
			order = append(order, r.Family)
		}
		f.n++
		if r.ok() {
			f.ok++
		} else {
			bad++
		}
		if r.ok() && !all && len(r.Notes) == 0 {
			continue
		}
		mad := "-"
		if r.MAD >= 0 {
			mad = fmt.Sprintf("%.1f", r.MAD)
		}
		what := strings.Join(r.Diffs, ",")
		if len(r.Notes) > 0 {
			what += " (" + strings.Join(r.Notes, "; ") + ")"
		}
		as, bs := r.A.short(), r.B.short()
		if hdr(r) {
			as += " " + hdrs(r.A)
			bs += " " + hdrs(r.B)
		}
		if md {
			fmt.Fprintf(w, "| %s | `%s` | %s | %s | %s | %s |\n", r.Family, r.Path, as, bs, mad, what)
		} else {
			fmt.Fprintf(w, "%-12s %s\n    A: %s\n    B: %s\n    mad=%s %s\n", r.Family, r.Path, as, bs, mad, what)
		}
	}
	fmt.Fprintln(w)
	if md {
		fmt.Fprintln(w, "| family | paths | match |")
		fmt.Fprintln(w, "|---|---|---|")
	}
	for _, name := range order {
		f := fams[name]
		if md {
			fmt.Fprintf(w, "| %s | %d | %d |\n", name, f.n, f.ok)
		} else {
			fmt.Fprintf(w, "%-14s %4d paths %4d match\n", name, f.n, f.ok)
		}
	}
	if md {
		fmt.Fprintf(w, "\n**%d paths, %d mismatches.**\n", len(results), bad)
	} else {
		fmt.Fprintf(w, "total          %4d paths %4d mismatches\n", len(results), bad)
	}
}

func hdr(r *result) bool {
	for _, d := range r.Diffs {
		if d == "content-disposition" || d == "cache-control" || d == "etag" || d == "content-type" {
			return true
		}
	}
	return false
}

func hdrs(a *answer) string {
	return fmt.Sprintf("[ct=%q cd=%q cc=%q etag=%v]", a.ContentType, a.Disposition, a.CacheCtl, a.ETag)
}
