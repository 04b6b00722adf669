package edge

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/imgedge/imgedge/options"
	"github.com/imgedge/imgedge/workers"
)

// waitUntil polls cond (bounded: a hang is a bug, the bound is no
// performance assertion).
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); time.Sleep(2 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// TestStalledOriginHoldsNoWorker: with a single worker, a request whose
// origin stalls does not keep another request from being processed: the
// download happens outside the worker pool.
func TestStalledOriginHoldsNoWorker(t *testing.T) {
	env := startEnv(t, testConfig(), envOpts{workers: 1})
	env.origin.block = make(chan struct{})
	env.origin.started = make(chan struct{}, 4)
	stalled := make(chan resp, 1)
	go func() { stalled <- env.get("/insecure/rs:fit:10:10/plain/http://origin.test/block.jpg") }()
	<-env.origin.started

	r := env.get("/insecure/rs:fit:20:20/plain/local:///dog.jpg")
	if r.status != 200 || r.body != "jpeg:20x20:JPEGDATA-dog" {
		t.Fatalf("local request beside a stalled origin: got %d %q; want 200", r.status, r.body)
	}
	if got := env.proc.calls.Load(); got != 1 {
		t.Errorf("processings while the origin stalls: %d; want 1", got)
	}
	if m := env.metrics(); !strings.Contains(m, "downloads_in_progress 1\n") || !strings.Contains(m, "images_in_progress 0\n") {
		t.Errorf("the stalled request should hold a download slot and no worker:\n%s", grepLines(m, "in_progress"))
	}
	close(env.origin.block)
	if r := <-stalled; r.status != 200 {
		t.Errorf("stalled request after the origin answered: got %d %q", r.status, r.body)
	}
	env.waitReleased()
}

// TestDownloadStageBounds: beyond its slots the download stage queues
// requests, beyond slots + queue size it refuses them with 429 (before any
// fetch), and a request whose deadline passes while it waits for a slot
// gets 503.
func TestDownloadStageBounds(t *testing.T) {
	cfg := testConfig()
	env := startEnv(t, cfg, envOpts{workers: 2, queue: 1,
		downloads: &workers.DownloadsConfig{Slots: 1, Memory: 1 << 20, QueueSize: 1}})
	env.origin.block = make(chan struct{})
	env.origin.started = make(chan struct{}, 4)
	var wg sync.WaitGroup
	res := make([]resp, 2)
	for i := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res[i] = env.get(fmt.Sprintf("/insecure/rs:fit:%d:10/plain/http://origin.test/block%d.jpg", 30+i, i))
		}()
		if i == 0 {
			<-env.origin.started
		}
	}
	waitUntil(t, "the second download to queue", func() bool { return env.srv.downloads.QueueLen() == 1 })
	if m := env.metrics(); !strings.Contains(m, "download_queue_length 1\n") || !strings.Contains(m, "download_slots 1\n") {
		t.Errorf("download stage gauges:\n%s", grepLines(m, "download"))
	}
	fetches := env.origin.fetches.Load()
	r := env.get("/insecure/rs:fit:40:10/plain/http://origin.test/photos/cat.jpg")
	if r.status != 429 || r.body != "Too many requests" {
		t.Errorf("beyond the download stage's queue: got %d %q; want 429", r.status, r.body)
	}
	wantHeader(t, r, "Retry-After", "1")
	if got := env.origin.fetches.Load(); got != fetches {
		t.Errorf("a refused request fetched (%d fetches; want %d)", got, fetches)
	}
	close(env.origin.block)
	wg.Wait()
	for i, r := range res {
		if r.status != 200 {
			t.Errorf("request %d through the stage: got %d %q", i, r.status, r.body)
		}
	}
	env.waitReleased()

	// The deadline applies while waiting for a slot (held here by the test).
	cfg.RequestTimeout = 300 * time.Millisecond
	env2 := startEnv(t, cfg, envOpts{downloads: &workers.DownloadsConfig{Slots: 1, Memory: 1 << 20}})
	var holder workers.Ticket
	if err := env2.srv.downloads.Enter(context.Background(), &holder); err != nil {
		t.Fatal(err)
	}
	r = env2.get("/insecure/rs:fit:50:10/plain/http://origin.test/photos/cat.jpg")
	if r.status != 503 || r.body != "Timeout" {
		t.Errorf("deadline while waiting for a download slot: got %d %q; want 503 Timeout", r.status, r.body)
	}
	if got := env2.origin.fetches.Load(); got != 0 {
		t.Errorf("fetches: %d; want 0", got)
	}
	holder.Release()
	if m := env2.metrics(); !strings.Contains(m, "downloads_in_progress 0\n") || !strings.Contains(m, "download_queue_length 0\n") {
		t.Errorf("the stage did not empty:\n%s", grepLines(m, "download"))
	}
}

// TestDownloadedBytesHeldUntilAWorkerStarts: a downloaded source waiting
// for a worker still counts in the download stage's bytes; once a worker
// takes its job they are handed back.
func TestDownloadedBytesHeldUntilAWorkerStarts(t *testing.T) {
	env := startEnv(t, testConfig(), envOpts{workers: 1})
	env.proc.block = make(chan struct{})
	env.proc.started = make(chan struct{}, 4)
	var wg sync.WaitGroup
	for i := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if r := env.get(fmt.Sprintf("/insecure/rs:fit:%d:10/plain/http://origin.test/photos/cat.jpg", 10+i)); r.status != 200 {
				t.Errorf("request %d: got %d %q", i, r.status, r.body)
			}
		}()
		if i == 0 {
			<-env.proc.started
		}
	}
	waitUntil(t, "the second job to queue", func() bool { return env.srv.deps.Pool.QueueLen() == 1 })
	if got, want := env.srv.downloads.Reserved(), int64(len("JPEGDATA-cat")); got != want {
		t.Errorf("bytes reserved by the queued source: %d; want %d", got, want)
	}
	close(env.proc.block)
	wg.Wait()
	if got := env.srv.downloads.Reserved(); got != 0 {
		t.Errorf("bytes reserved after both ran: %d; want 0", got)
	}
	env.waitReleased()
}

// TestMemoryBudgetBurst: a burst of jobs each estimated over the whole
// memory budget is processed one after another, all successfully, with
// workers to spare.
func TestMemoryBudgetBurst(t *testing.T) {
	env := startEnv(t, testConfig(), envOpts{workers: 4, memory: 1000})
	env.proc.delay = 2 * time.Millisecond // let the others try to start meanwhile
	env.proc.estimate = func([]byte, *options.Options) int64 { return 600 }
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if r := env.get(fmt.Sprintf("/insecure/rs:fit:%d:10/plain/http://origin.test/photos/cat.jpg", 100+i)); r.status != 200 {
				t.Errorf("request %d: got %d %q", i, r.status, r.body)
			}
		}()
	}
	wg.Wait()
	if got := env.proc.peak.Load(); got != 1 {
		t.Errorf("%d large jobs processed at once; want 1", got)
	}
	if got := env.proc.calls.Load(); got != 8 {
		t.Errorf("processings: %d; want 8", got)
	}
	if m := env.metrics(); !strings.Contains(m, "memory_budget_bytes 1000\n") || !strings.Contains(m, "memory_reserved_bytes 0\n") {
		t.Errorf("memory gauges:\n%s", grepLines(m, "memory"))
	}
	env.waitReleased()
}

// TestStagesKeepServerTiming: Server-Timing still reports the queue,
// download and processing spans across the two stages.
func TestStagesKeepServerTiming(t *testing.T) {
	env := startEnv(t, testConfig(), envOpts{workers: 1})
	r := env.get(catPath)
	st := r.h.Get("Server-Timing")
	for _, span := range []string{"queue;dur=", "download;dur=", "processing;dur=", "total;dur="} {
		if !strings.Contains(st, span) {
			t.Errorf("Server-Timing %q lacks %s", st, span)
		}
	}
	m := env.metrics()
	for _, want := range []string{`request_span_duration_seconds_count{span="queue"} 1`, `request_span_duration_seconds_count{span="downloading_source_image"} 1`,
		`request_span_duration_seconds_count{span="processing_image"} 1`} {
		if !strings.Contains(m, want+"\n") {
			t.Errorf("metrics lack %q", want)
		}
	}
	env.waitReleased()
}
