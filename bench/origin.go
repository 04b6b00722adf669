package main

import (
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// origin is the HTTP origin of the remote workload: it serves the corpus
// photos from memory on loopback and answers each request only after a
// delay, like a storage service or a distant web server whose first byte
// takes that long. The server under test must be allowed to fetch from
// loopback (IMGPROXY_ALLOW_LOOPBACK_SOURCE_ADDRESSES=true).
type origin struct {
	base   string // http://127.0.0.1:port
	srv    *http.Server
	served atomic.Int64
}

// startOrigin serves photos by name at /<name> after delay. Close it with
// close.
func startOrigin(photos []photo, delay time.Duration) (*origin, error) {
	byName := make(map[string]*photo, len(photos))
	for i := range photos {
		byName[photos[i].Name] = &photos[i]
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	o := &origin{base: "http://" + ln.Addr().String()}
	o.srv = &http.Server{
		ReadHeaderTimeout: 10 * time.Second,
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			p := byName[strings.TrimPrefix(r.URL.Path, "/")]
			if p == nil || r.Method != http.MethodGet {
				http.NotFound(w, r)
				return
			}
			select {
			case <-time.After(delay):
			case <-r.Context().Done():
				return
			}
			w.Header().Set("Content-Type", p.Format.MIME())
			w.Header().Set("Content-Length", strconv.Itoa(len(p.Data)))
			_, _ = w.Write(p.Data)
			o.served.Add(1)
		}),
	}
	go func() { _ = o.srv.Serve(ln) }()
	return o, nil
}

// close stops the origin (requests in flight are cut).
func (o *origin) close() { _ = o.srv.Close() }
