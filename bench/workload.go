package main

import (
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"

	"github.com/imgedge/imgedge/options"
	"github.com/imgedge/imgedge/sign"
)

// op is one processing operation: what the URL asks for and what the raw
// ceiling does with ceilingOp.
type op struct {
	Width, Height int
	Fill          bool
	Format        options.Format
	// Quality is put in the URL (q:N) when set; the ceiling then uses it,
	// else the server default for the format (defaultQuality).
	Quality int
	// Extra is one more option segment (e.g. "aq:dssim:0.02"); Best asks
	// for format best (@best). The ceiling encodes Format at its quality
	// for both: it has no search.
	Extra string
	Best  bool
}

// defaultQuality is imgproxy's (and imgedge's) default quality per output
// format: IMGPROXY_QUALITY 80 and IMGPROXY_FORMAT_QUALITY webp=79,avif=63.
func defaultQuality(f options.Format) int {
	switch f {
	case options.FormatWebP:
		return 79
	case options.FormatAVIF:
		return 63
	}
	return 80
}

func (o op) quality() int {
	if o.Quality > 0 {
		return o.Quality
	}
	return defaultQuality(o.Format)
}

// String is a short label like "300x200 fill jpeg".
func (o op) String() string {
	s := strconv.Itoa(o.Width) + "x"
	if o.Height > 0 {
		s += strconv.Itoa(o.Height)
	}
	if o.Fill {
		s += " fill"
	}
	s += " " + o.Format.String()
	if o.Quality > 0 {
		s += " q" + strconv.Itoa(o.Quality)
	}
	if o.Best {
		s += " best"
	}
	if o.Extra != "" {
		s += " " + o.Extra
	}
	return s
}

// item is one request of a workload: a photo and an operation.
type item struct {
	Photo *photo
	Op    op
	// Remote items fetch the photo from the bench's HTTP origin
	// (origin.go) instead of the server's local filesystem.
	Remote bool
}

// source returns the item's source URL: local:///<name>, or
// <origin>/<name> for a remote item.
func (it item) source(origin string) string {
	if it.Remote {
		return origin + "/" + it.Photo.Name
	}
	return "local:///" + it.Photo.Name
}

// urlPath returns the imgproxy path (without the signature segment) for
// the item, with an optional cache buster, e.g.
// "/rs:fill:300:200/cb:7/bG9jYWw6Ly8vYS5qcGc.jpg". The source (see
// source; origin is the HTTP origin's base URL for remote items) is
// base64url-encoded so file names need no escaping.
func (it item) urlPath(origin, cacheBuster string) string {
	var b strings.Builder
	mode := "fit"
	if it.Op.Fill {
		mode = "fill"
	}
	fmt.Fprintf(&b, "/rs:%s:%d:%d", mode, it.Op.Width, it.Op.Height)
	if it.Op.Quality > 0 {
		fmt.Fprintf(&b, "/q:%d", it.Op.Quality)
	}
	if it.Op.Extra != "" {
		b.WriteString("/" + it.Op.Extra)
	}
	if cacheBuster != "" {
		b.WriteString("/cb:" + cacheBuster)
	}
	b.WriteByte('/')
	b.WriteString(base64.RawURLEncoding.EncodeToString([]byte(it.source(origin))))
	b.WriteByte('.')
	if it.Op.Best {
		b.WriteString("best")
	} else {
		b.WriteString(it.Op.Format.Ext())
	}
	return b.String()
}

// signer builds the full request path: "/<signature><path>". Without a key
// the signature segment is "insecure" (any value is accepted when signing
// is off).
type signer struct {
	key, salt []byte
	size      int
}

func (s signer) path(p string) string {
	if len(s.key) == 0 {
		return "/insecure" + p
	}
	return "/" + sign.Sign(s.key, s.salt, []byte(p), s.size) + p
}

// The web-mix operations (BENCHMARKS.md, web-mix).
var (
	opThumb     = op{Width: 300, Height: 200, Fill: true, Format: options.FormatJPEG}
	opWebP640   = op{Width: 640, Format: options.FormatWebP}
	opJPEG1200  = op{Width: 1200, Format: options.FormatJPEG, Quality: 80}
	opWebP150   = op{Width: 150, Height: 150, Fill: true, Format: options.FormatWebP}
	opPNGToJPEG = op{Width: 600, Format: options.FormatJPEG}
	opWebP480   = op{Width: 480, Format: options.FormatWebP}
	opAVIF640   = op{Width: 640, Format: options.FormatAVIF}
)

// workload is a named list of items run round-robin by every client.
type workload struct {
	Name  string
	Desc  string
	Items []item
	// Storm makes the driver send bursts of identical new URLs instead of
	// cycling through Items independently.
	Storm bool
	// Remote workloads fetch their sources from the bench's HTTP origin.
	Remote bool
}

// workloadNames are the workloads in report order.
var workloadNames = []string{"web-mix", "remote", "thumb", "miss-storm", "large", "avif", "best", "autoquality"}

// buildWorkloads returns the named workloads over the corpus.
func buildWorkloads(ps []photo, names []string) ([]workload, error) {
	var jpegs, pngs, webps []*photo
	for i := range ps {
		switch ps[i].Format {
		case options.FormatJPEG:
			jpegs = append(jpegs, &ps[i])
		case options.FormatPNG:
			pngs = append(pngs, &ps[i])
		case options.FormatWebP:
			webps = append(webps, &ps[i])
		}
	}
	if len(jpegs) == 0 {
		return nil, fmt.Errorf("the corpus has no JPEG photos")
	}
	var out []workload
	for _, name := range names {
		w := workload{Name: name}
		switch name {
		case "web-mix", "remote":
			w.Desc = "JPEG: 300x200 fill jpeg, 640w webp, 1200w jpeg q80, 150x150 fill webp; PNG: 600w jpeg; WebP: 480w webp"
			if name == "remote" {
				w.Desc = "web-mix fetched over HTTP from the bench's origin (first byte after -origin-delay)"
				w.Remote = true
			}
			// Interleave so that any window of the run sees the whole mix.
			for _, p := range jpegs {
				for _, o := range []op{opThumb, opWebP640, opJPEG1200, opWebP150} {
					w.Items = append(w.Items, item{Photo: p, Op: o, Remote: w.Remote})
				}
			}
			for _, p := range pngs {
				w.Items = append(w.Items, item{Photo: p, Op: opPNGToJPEG, Remote: w.Remote})
			}
			for _, p := range webps {
				w.Items = append(w.Items, item{Photo: p, Op: opWebP480, Remote: w.Remote})
			}
			w.Items = interleave(w.Items)
		case "thumb":
			for _, p := range jpegs {
				if p.Width == 2560 && p.Height == 1600 {
					w.Items = append(w.Items, item{Photo: p, Op: opThumb})
				}
			}
			if len(w.Items) == 0 {
				return nil, fmt.Errorf("thumb: the corpus has no 2560x1600 JPEG")
			}
			w.Desc = fmt.Sprintf("the %d 2560x1600 JPEGs to 300x200 fill jpeg", len(w.Items))
		case "miss-storm":
			w.Desc = "bursts of identical new URLs (1200w jpeg q80 + cache buster), one burst at a time"
			w.Storm = true
			for _, p := range jpegs {
				w.Items = append(w.Items, item{Photo: p, Op: opJPEG1200})
			}
		case "large":
			p := largest(jpegs)
			w.Desc = fmt.Sprintf("%s (%dx%d JPEG) to 1200w jpeg", p.Name, p.Width, p.Height)
			w.Items = []item{{Photo: p, Op: op{Width: 1200, Format: options.FormatJPEG}}}
		case "avif":
			w.Desc = "every JPEG photo to 640w AVIF"
			for _, p := range jpegs {
				w.Items = append(w.Items, item{Photo: p, Op: opAVIF640})
			}
		case "best":
			// The driver sends no Accept: run the server with
			// IMGPROXY_PREFERRED_FORMATS=jpeg,webp,avif to make WebP and
			// AVIF candidates; compare with "avif" and web-mix's 640w webp.
			w.Desc = "every JPEG photo to 640w, format best"
			for _, p := range jpegs {
				w.Items = append(w.Items, item{Photo: p, Op: op{Width: 640, Format: options.FormatWebP, Best: true}})
			}
		case "autoquality":
			w.Desc = "every JPEG photo to 640w webp, autoquality dssim 0.02 within 50..90"
			for _, p := range jpegs {
				w.Items = append(w.Items, item{Photo: p, Op: op{Width: 640, Format: options.FormatWebP, Extra: "aq:dssim:0.02:50:90"}})
			}
		default:
			return nil, fmt.Errorf("unknown workload %q (want one of %s)", name, strings.Join(workloadNames, ", "))
		}
		out = append(out, w)
	}
	return out, nil
}

// largest returns the 5640x3172 photo of mate-backgrounds when present,
// else the JPEG with the most pixels.
func largest(ps []*photo) *photo {
	best := ps[0]
	for _, p := range ps {
		if p.Width == 5640 && p.Height == 3172 {
			return p
		}
		if p.Width*p.Height > best.Width*best.Height {
			best = p
		}
	}
	return best
}

// interleave reorders items with a fixed stride so neighbours differ in
// photo and operation (deterministic: every run sends the same sequence).
func interleave(items []item) []item {
	n := len(items)
	if n < 3 {
		return items
	}
	stride := 7
	for gcd(stride, n) != 1 {
		stride++
	}
	out := make([]item, n)
	for i := range out {
		out[i] = items[(i*stride)%n]
	}
	return out
}

func gcd(a, b int) int {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}
