package fetch

import (
	"context"
	"testing"

	"github.com/imgedge/imgedge/options"
)

// endless is a body that never ends.
type endless struct{}

func (endless) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = 0xAB
	}
	return len(p), nil
}

// A body of unknown length with no configured limit stops at hardMaxSize
// instead of growing without bound.
func TestReadUnknownHasHardCap(t *testing.T) {
	old := hardMaxSize
	hardMaxSize = 1 << 20
	defer func() { hardMaxSize = old }()
	buf, err := readUnknown(context.Background(), endless{}, 0, 0)
	if err == nil {
		buf.Release()
		t.Fatal("got nil error for an endless body; want KindSourceTooBig")
	}
	if k := options.KindOf(err); k != options.KindSourceTooBig {
		t.Fatalf("got kind %v; want %v", k, options.KindSourceTooBig)
	}
}
