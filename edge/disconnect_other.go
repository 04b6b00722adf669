//go:build !linux

package edge

import (
	"net"
	"time"
)

// watchClient is a no-op where peeking at a socket is not implemented: a
// request whose client left runs until it finishes or IMGPROXY_TIMEOUT.
func watchClient(c net.Conn, cancel func(), every time.Duration) (stop func()) {
	return func() {}
}
