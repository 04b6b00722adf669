package sign

import (
	"errors"
	"testing"

	"github.com/imgedge/imgedge/options"
)

// FuzzVerify checks that Verify never panics, only ever returns nil or a
// classified 403 error, and accepts exactly what Sign produces.
func FuzzVerify(f *testing.F) {
	for _, tc := range vectors {
		f.Add(tc.want, tc.path)
	}
	f.Add("oKfUtW34Dvo2BGQehJFR4Nr0_rIjOtdtzJ3QFsUcXH8=", path1)
	f.Add("rs:fit:1:1", "/plain/http://x/y")
	f.Add("", "")
	f.Add("\x00\xff", "\x00")
	v := newV(f, key1+","+key3, salt1+","+salt3, 0, "trusted")
	off := newV(f, "", "", 0)
	k, s := mustHex(f, key3), mustHex(f, salt3)
	f.Fuzz(func(t *testing.T, sig, path string) {
		for _, ver := range []*Verifier{v, off} {
			err := ver.Verify([]byte(sig), []byte(path))
			if err == nil {
				continue
			}
			var oe *options.Error
			if !errors.As(err, &oe) || (oe.Kind != options.KindForbidden && oe.Kind != options.KindSignatureIsOption) {
				t.Fatalf("got %v; want nil or a 403 kind", err)
			}
		}
		good := Sign(k, s, []byte(path), 32)
		if err := v.Verify([]byte(good), []byte(path)); err != nil {
			t.Fatalf("Verify(Sign(%q)): got %v; want nil", path, err)
		}
	})
}
