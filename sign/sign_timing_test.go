package sign

import "testing"

func BenchmarkVerify(b *testing.B) {
	v := newV(b, key3, salt3, 0)
	sig, path := []byte("m3k5QADfcKPDj-SDI2AIogZbC3FlAXszuwhtWXYqavc"), []byte(path3)
	b.ReportAllocs()
	for b.Loop() {
		if err := v.Verify(sig, path); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSignBaseline is the allocating one-shot HMAC for comparison.
func BenchmarkSignBaseline(b *testing.B) {
	k, s := mustHex(b, key3), mustHex(b, salt3)
	b.ReportAllocs()
	for b.Loop() {
		_ = Sign(k, s, []byte(path3), 32)
	}
}
