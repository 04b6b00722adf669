package edge

import (
	"errors"
	"net"
	"syscall"
	"time"
)

// watchClient cancels a request's context when its client goes away while
// the request waits in the queue or is fetched and processed, so that the
// work is dropped (499 Cancelled, docs/http.md) instead of holding a
// worker until IMGPROXY_TIMEOUT. fasthttp does not read the connection while
// a handler runs, so the watcher peeks at the socket (MSG_PEEK never
// consumes bytes, so a pipelined next request is left for fasthttp) every
// `every`: an orderly close (0 bytes) or a reset means the client is gone.
// This is what net/http's background read does for its request contexts.
//
// The returned stop must be called before the handler returns; after it the
// watcher never touches the connection again.
func watchClient(c net.Conn, cancel func(), every time.Duration) (stop func()) {
	sc, ok := c.(syscall.Conn)
	if !ok || every <= 0 {
		return func() {}
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return func() {}
	}
	done := make(chan struct{})
	exited := make(chan struct{})
	go func() {
		defer close(exited)
		t := time.NewTicker(every)
		defer t.Stop()
		var b [1]byte
		for {
			select {
			case <-done:
				return
			case <-t.C:
			}
			gone := false
			rc.Control(func(fd uintptr) {
				n, _, err := syscall.Recvfrom(int(fd), b[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
				switch {
				case err == nil:
					gone = n == 0
				case errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.ENOTCONN), errors.Is(err, syscall.EPIPE):
					gone = true
				}
			})
			if gone {
				cancel()
				return
			}
		}
	}()
	return func() {
		close(done)
		<-exited
	}
}
