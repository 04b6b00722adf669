package main

import (
	"github.com/imgedge/imgedge/vips"
	"github.com/imgedge/imgedge/workers"
)

// Metrics of vips' decoded-source cache (docs/metrics.md). vips does not
// import the metrics package: it reports lookups through
// vips.Config.DecodeCacheEvent and its size through DecodeCacheStats.

// decodeCacheMetrics creates decode_cache_hits_total and
// decode_cache_misses_total in reg and returns the hook that counts them.
func decodeCacheMetrics(reg workers.Metrics) func(hit bool) {
	hits := reg.Set.NewCounter(reg.Name("decode_cache_hits_total"))
	misses := reg.Set.NewCounter(reg.Name("decode_cache_misses_total"))
	return func(hit bool) {
		if hit {
			hits.Inc()
		} else {
			misses.Inc()
		}
	}
}

// decodeCacheGauges registers decode_cache_bytes and
// decode_cache_entries, read from p when metrics are scraped.
func decodeCacheGauges(reg workers.Metrics, p *vips.Processor) {
	reg.Set.NewGauge(reg.Name("decode_cache_bytes"), func() float64 { return float64(p.DecodeCacheStats().Bytes) })
	reg.Set.NewGauge(reg.Name("decode_cache_entries"), func() float64 { return float64(p.DecodeCacheStats().Entries) })
}
