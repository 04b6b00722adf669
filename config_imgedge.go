package main

// The imgedge extensions section of the configuration table: IMGEDGE_*
// variables that imgproxy does not have.

func imgedgeSection(c *config) section {
	e, f, v := &c.Edge, &c.Fetch, &c.Vips
	return section{
		title: "imgedge extensions",
		rows: []envVar{
			{name: "IMGEDGE_COALESCE", def: "true",
				help: "Process identical in-flight requests (same source, options and negotiated format) once and send the result to all of them.",
				set:  setBool(&e.Coalesce)},
			{name: "IMGEDGE_ENABLE_PDF", def: "false",
				help: "Load the first page of PDF sources (poppler); off by default because imgproxy OSS refuses PDF with 422.",
				set:  setBool(&v.EnablePDF)},
			{name: "IMGEDGE_DRAIN_DELAY", def: "3",
				help: "Seconds after SIGTERM during which imgedge keeps serving while `/health` answers 503, so a load balancer stops sending before the listener closes; counted inside `IMGPROXY_GRACEFUL_STOP_TIMEOUT`. `0` = close at once (imgproxy's behaviour).",
				set:  setSeconds(&e.DrainDelay, false)},
			{name: "IMGEDGE_SOURCE_CACHE_SIZE", def: "0",
				help: "Bytes of an in-memory cache of recently fetched sources (several sizes of one source download it once); `0` = off.",
				set:  setInt64(&f.SourceCacheSize)},
			{name: "IMGEDGE_DECODE_CACHE_SIZE", def: "33554432",
				help: "Bytes of decoded source pixels kept so that renditions of one source requested close together (a srcset after an upload or a purge) share one decode; the output is unchanged. A decode larger than half of it is not kept. `0` = off (docs/tuning.md).",
				set:  setInt64(&v.DecodeCacheSize)},
			{name: "IMGEDGE_DECODE_CACHE_TTL", def: "2",
				help: "Seconds a decoded source stays in the decode cache.",
				set:  setSeconds(&v.DecodeCacheTTL, true)},
		},
		resolve: func(lookupFunc) error {
			// The drain delay is spent inside the graceful-stop budget: keep
			// at least half of that budget for in-flight requests to finish.
			c.Edge.DrainDelay = min(c.Edge.DrainDelay, c.GracefulStop/2)
			return nil
		},
	}
}
