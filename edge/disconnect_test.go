//go:build linux

package edge

import (
	"bufio"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"
)

// A client that closes its connection while its request is being fetched
// cancels the work: the fetch sees its context end, the request is logged
// as 499, and the worker is free again (docs/http.md).
func TestClientDisconnectCancels(t *testing.T) {
	cfg := testConfig()
	cfg.RequestTimeout = 30 * time.Second
	env := startEnv(t, cfg, envOpts{workers: 1})
	env.origin.block = make(chan struct{}) // never closed: only a cancel ends the fetch
	env.origin.started = make(chan struct{}, 4)

	c, err := net.Dial("tcp", strings.TrimPrefix(env.url, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Write([]byte("GET /insecure/rs:fit:10:10/plain/http://origin.test/block.jpg HTTP/1.1\r\nHost: x\r\n\r\n")); err != nil {
		t.Fatal(err)
	}
	select {
	case <-env.origin.started:
	case <-time.After(10 * time.Second):
		t.Fatal("the fetch did not start")
	}
	c.Close()

	// The only worker must become free: a second request to a normal source
	// succeeds long before the 30 s request timeout would have freed it.
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(env.logs.String(), `"status":499`) {
		if time.Now().After(deadline) {
			t.Fatalf("no 499 logged 10 s after the client left; logs:\n%s", env.logs.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	r := env.get("/insecure/rs:fit:10:10/plain/http://origin.test/photos/cat.jpg")
	if r.status != 200 {
		t.Errorf("request after the disconnect: got %d %q; want 200", r.status, r.body)
	}
}

// A pipelined second request on the same connection is not mistaken for a
// disconnect, and peeking does not consume it: both requests are answered.
func TestClientWatchKeepsPipelinedRequest(t *testing.T) {
	env := startEnv(t, testConfig(), envOpts{})
	c, err := net.Dial("tcp", strings.TrimPrefix(env.url, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	req := "GET /insecure/rs:fit:10:10/plain/http://origin.test/photos/cat.jpg HTTP/1.1\r\nHost: x\r\n\r\n"
	if _, err := c.Write([]byte(req + req)); err != nil {
		t.Fatal(err)
	}
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	br := bufio.NewReader(c)
	for i := 0; i < 2; i++ {
		line, err := br.ReadString('\n')
		if err != nil {
			t.Fatalf("response %d: %v", i+1, err)
		}
		if !strings.HasPrefix(line, "HTTP/1.1 200") {
			t.Fatalf("response %d: got %q; want HTTP/1.1 200", i+1, line)
		}
		// Skip headers and the body (Content-Length).
		n := 0
		for {
			h, err := br.ReadString('\n')
			if err != nil {
				t.Fatal(err)
			}
			if h == "\r\n" {
				break
			}
			if strings.HasPrefix(strings.ToLower(h), "content-length:") {
				n, _ = strconv.Atoi(strings.TrimSpace(h[len("content-length:"):]))
			}
		}
		if _, err := br.Discard(n); err != nil {
			t.Fatal(err)
		}
	}
}

// A client that leaves while its downloaded source waits for a worker
// cancels the job: logged as 499, never processed, its bytes handed back.
func TestClientDisconnectWhileQueuedForWorker(t *testing.T) {
	cfg := testConfig()
	cfg.RequestTimeout = 30 * time.Second
	env := startEnv(t, cfg, envOpts{workers: 1})
	env.proc.block = make(chan struct{})
	env.proc.started = make(chan struct{}, 4)
	busy := make(chan resp, 1)
	go func() { busy <- env.get("/insecure/rs:fit:10:10/plain/http://origin.test/photos/cat.jpg") }()
	<-env.proc.started

	c, err := net.Dial("tcp", strings.TrimPrefix(env.url, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Write([]byte("GET /insecure/rs:fit:30:10/plain/http://origin.test/photos/cat.jpg HTTP/1.1\r\nHost: x\r\n\r\n")); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "the job to queue for the worker", func() bool { return env.srv.deps.Pool.QueueLen() == 1 })
	c.Close()
	waitUntil(t, "a 499", func() bool { return strings.Contains(env.logs.String(), `"status":499`) })
	// The response is logged when the request leaves; its job ends just
	// after, when the coalescing group cancels it, and hands its bytes back.
	waitUntil(t, "the cancelled job's bytes to be handed back", func() bool { return env.srv.downloads.Reserved() == 0 })
	close(env.proc.block)
	if r := <-busy; r.status != 200 {
		t.Errorf("busy request: got %d", r.status)
	}
	if got := env.proc.calls.Load(); got != 1 {
		t.Errorf("processings: %d; want 1 (the cancelled job never ran)", got)
	}
	env.waitReleased()
}
