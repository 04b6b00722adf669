package options

import "testing"

type countingReleaser struct{ n int }

func (c *countingReleaser) Release() { c.n++ }

func TestSourceRelease(t *testing.T) {
	var owner countingReleaser
	src := NewSource([]byte("bytes"), &owner)
	src.Meta.ETag = `"v1"`
	src.Release()
	src.Release()
	if owner.n != 1 || src.Data != nil || src.Meta.ETag != `"v1"` {
		t.Fatalf("got %d releases, data %q, etag %q; want 1, nil, kept", owner.n, src.Data, src.Meta.ETag)
	}
	unowned := Source{Data: []byte("static")}
	unowned.Release() // owns nothing: only clears Data
	if unowned.Data != nil {
		t.Fatalf("got data %q after Release; want nil", unowned.Data)
	}
}

func TestOutputKeepsSource(t *testing.T) {
	var srcOwner, outOwner countingReleaser
	src := NewSource([]byte("source"), &srcOwner)
	out := NewOutput(src.Data, &outOwner)
	out.KeepSource(&src)
	src.Release() // the caller's copy owns nothing any more
	if srcOwner.n != 0 || src.Data != nil {
		t.Fatalf("source released %d times (data %q) while the Output keeps it; want 0, nil", srcOwner.n, src.Data)
	}
	if string(out.Data) != "source" {
		t.Fatalf("output data %q; want the source bytes", out.Data)
	}
	out.Release()
	out.Release()
	if srcOwner.n != 1 || outOwner.n != 1 || out.Data != nil {
		t.Fatalf("got %d source and %d output releases, data %q; want 1, 1, nil", srcOwner.n, outOwner.n, out.Data)
	}
	defer func() {
		if recover() == nil {
			t.Fatal("keeping a second source did not panic")
		}
	}()
	a, b := NewSource(nil, &srcOwner), NewSource(nil, &srcOwner)
	o := NewOutput(nil, nil)
	o.KeepSource(&a)
	o.KeepSource(&b)
}
