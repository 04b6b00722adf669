package main

// The imgedge extensions section of the configuration table: IMGEDGE_*
// variables that imgproxy does not have.

import (
	"strconv"

	"github.com/imgedge/imgedge/workers"
)

// Memory budget defaults (docs/tuning.md, "Memory"): half of a cgroup
// memory limit (container limits.memory, systemd MemoryMax) leaves the
// other half to the process base (Go, libvips, allocator), the download
// stage (a quarter of the budget), the result window and what the estimate
// does not see; without a limit, fixedMemoryBudget keeps the peak RSS of
// the bench's web-mix at the default settings below 300 MB.
const fixedMemoryBudget = 160 << 20

func defaultMemoryBudget() string {
	if l := cgroupMemoryLimit("/"); l > 0 {
		return strconv.FormatInt(l/2, 10)
	}
	return strconv.Itoa(fixedMemoryBudget)
}

func imgedgeSection(c *config) section {
	e, f, v, w, d := &c.Edge, &c.Fetch, &c.Vips, &c.Workers, &c.Downloads
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
			{name: "IMGEDGE_COALESCE_WINDOW", def: "1",
				help: "Seconds (fractions allowed) a finished result stays shareable with identical requests arriving after it, so the stragglers of a miss storm cost no second processing; never longer than the response's own cache lifetime, never for errors. `0` = off (and off with `IMGEDGE_COALESCE=false`).",
				set:  setFracSeconds(&e.CoalesceWindow, 60)},
			{name: "IMGEDGE_COALESCE_WINDOW_SIZE", def: "33554432",
				help: "Bytes of finished results kept for `IMGEDGE_COALESCE_WINDOW` (32 MiB); the oldest go first.",
				set:  setInt64(&e.CoalesceWindowSize)},
			{name: "IMGEDGE_DOWNLOADS", def: "0",
				help: "Sources downloaded at once, in a stage of their own before the workers (a worker is taken only once the source is in memory); more wait, and beyond this plus `IMGPROXY_REQUESTS_QUEUE_SIZE` get 429. `0` = 16 × `IMGPROXY_WORKERS`.",
				set:  setInt(&d.Slots, 0, 1<<20)},
			{name: "IMGEDGE_DOWNLOAD_MEMORY", def: "0",
				help: "Bytes of sources being downloaded or waiting for a worker; a download reserves its announced length, or its buffer as it grows, and waits while they are used up. `0` = a quarter of `IMGEDGE_MEMORY_BUDGET` (64 MiB when that is off).",
				set:  setInt64(&d.Memory)},
			{name: "IMGEDGE_MEMORY_BUDGET", defFunc: defaultMemoryBudget,
				defDoc: "half the cgroup memory limit when one is set, else " + strconv.Itoa(fixedMemoryBudget>>20) + " MiB",
				help:   "Bytes of working memory for images being processed: each job is admitted with an estimate from its header (decoded pixels after shrink-on-load, copies, result), first come first served; a job larger than the whole budget runs alone. `0` = admit by `IMGPROXY_WORKERS` alone.",
				set:    setInt64(&w.Memory)},
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
			if d.Slots == 0 {
				d.Slots = workers.DownloadsPerWorker * w.Workers
			}
			if d.Memory == 0 {
				d.Memory = workers.DefaultDownloadMemory
				if w.Memory > 0 {
					d.Memory = max(w.Memory/4, 1<<20)
				}
			}
			d.QueueSize = w.QueueSize
			return nil
		},
	}
}
