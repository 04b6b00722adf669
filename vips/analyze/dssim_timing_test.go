package analyze

import (
	"syscall"
	"testing"
	"time"
)

// cpuTime is the process's user+system CPU time: on a shared machine it
// says more about the cost than the wall clock does.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// reportCPU runs the benchmark loop body and reports CPU ns per op.
func reportCPU(b *testing.B, body func()) {
	b.ReportAllocs()
	start := cpuTime()
	for b.Loop() {
		body()
	}
	b.ReportMetric(float64(cpuTime()-start)/float64(b.N), "cpu-ns/op")
}

// 640×400 is a typical autoquality result (a 640-pixel-wide rendition).
const benchW, benchH = 640, 400

// BenchmarkDSSIMCompare is the cost of one autoquality attempt's measure:
// one candidate against a prepared reference.
func BenchmarkDSSIMCompare(b *testing.B) {
	a := noisy(benchW, benchH, 1, 40)
	c := blend(a, noisy(benchW, benchH, 2, 120), 0.1)
	ref, err := NewDSSIMReference(a)
	if err != nil {
		b.Fatal(err)
	}
	defer ref.Release()
	reportCPU(b, func() {
		if _, err := ref.Compare(c); err != nil {
			b.Fatal(err)
		}
	})
}

// BenchmarkDSSIMReference is the once-per-request cost of preparing the
// reference.
func BenchmarkDSSIMReference(b *testing.B) {
	a := noisy(benchW, benchH, 1, 40)
	reportCPU(b, func() {
		ref, err := NewDSSIMReference(a)
		if err != nil {
			b.Fatal(err)
		}
		ref.Release()
	})
}

// BenchmarkDSSIMBaselineLinearize is the floor: one pass converting the
// image to linear light through the table, which any colour-aware metric
// pays.
func BenchmarkDSSIMBaselineLinearize(b *testing.B) {
	a := noisy(benchW, benchH, 1, 40)
	out := make([]float32, benchW*benchH*3)
	reportCPU(b, func() {
		for i := range benchW * benchH {
			p := a.Pix[i*4 : i*4+4 : i*4+4]
			out[i*3], out[i*3+1], out[i*3+2] = srgbLinear[p[0]], srgbLinear[p[1]], srgbLinear[p[2]]
		}
	})
}
