package edge

import "io"

// body streams a result to fasthttp without copying: fasthttp calls WriteTo
// (BodyWriterTo) to write the bytes — which may live in C memory — straight
// into the connection's buffered writer, then Close, which drops this
// response's reference to the result. The last reference frees the output
// (and the source it may alias). fasthttp closes a body stream exactly once,
// also when the write fails or the request was HEAD.
//
// A body is owned by one response; it is not safe for concurrent use.
type body struct {
	r   *result
	off int
}

// acquireBody takes over one reference of r.
func acquireBody(r *result) *body { return &body{r: r} }

// Read implements io.Reader (used only if fasthttp ever opts out of WriteTo).
func (b *body) Read(p []byte) (int, error) {
	if b.r == nil || b.off >= len(b.r.out.Data) {
		return 0, io.EOF
	}
	n := copy(p, b.r.out.Data[b.off:])
	b.off += n
	return n, nil
}

// WriteTo implements io.WriterTo: one Write of the remaining bytes.
func (b *body) WriteTo(w io.Writer) (int64, error) {
	if b.r == nil || b.off >= len(b.r.out.Data) {
		return 0, nil
	}
	n, err := w.Write(b.r.out.Data[b.off:])
	b.off += n
	return int64(n), err
}

// SupportsBodyWriteTo tells fasthttp that WriteTo may replace Read.
func (b *body) SupportsBodyWriteTo() bool { return true }

// Close releases the reference; later calls do nothing.
func (b *body) Close() error {
	if r := b.r; r != nil {
		b.r = nil
		r.Release()
	}
	return nil
}
