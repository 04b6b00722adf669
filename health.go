package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/imgedge/imgedge/options"
)

// runHealth implements `imgedge health`: GET <prefix>/health on the address
// the server would listen on (IMGPROXY_BIND, IMGPROXY_NETWORK,
// IMGPROXY_PATH_PREFIX; PORT fallback), for Docker HEALTHCHECK and
// Kubernetes exec probes. Exit 0 when the answer is 200, 1 otherwise.
func runHealth(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("imgedge health", flag.ContinueOnError)
	fs.SetOutput(stderr)
	timeout := fs.Duration("timeout", 5*time.Second, "give up after this long")
	addr := fs.String("addr", "", "address to check instead of IMGPROXY_BIND (host:port or socket path)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: imgedge health [-timeout 5s] [-addr host:port]\n\nGETs /health on IMGPROXY_BIND; exit 0 when it answers 200, else 1.")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return 0
		}
		return 2
	}
	cfg, _, err := loadConfig(osLookup, nil)
	if err != nil {
		fmt.Fprintf(stderr, "imgedge health: %v\n", err)
		return 1
	}
	network, bind := cfg.Network, cfg.Bind
	if *addr != "" {
		bind = *addr
		if strings.Contains(bind, "/") && !strings.Contains(bind, ":") {
			network = "unix"
		} else if network == "unix" {
			network = "tcp"
		}
	}
	path := cfg.Parser.PathPrefix + "/health"
	err = checkHealth(network, bind, path, *timeout)
	if err != nil {
		fmt.Fprintf(stderr, "imgedge health: %v\n", err)
		return 1
	}
	fmt.Fprintln(stdout, "ok")
	return 0
}

// checkHealth GETs path from the server listening on (network, bind). A
// wildcard host (":8080", "0.0.0.0:8080", "[::]:8080") is reached on loopback.
func checkHealth(network, bind, path string, timeout time.Duration) error {
	dialNet, dialAddr, host := "tcp", bind, bind
	if network == "unix" {
		dialNet, host = "unix", "localhost"
	} else {
		h, port, err := net.SplitHostPort(bind)
		if err != nil {
			return options.ConfigErrorf("IMGPROXY_BIND", "%q is not host:port", bind)
		}
		switch h {
		case "", "0.0.0.0":
			h = "127.0.0.1"
		case "::", "[::]":
			h = "::1"
		}
		if network == "tcp6" && h == "127.0.0.1" {
			h = "::1"
		}
		dialAddr = net.JoinHostPort(h, port)
		host = dialAddr
	}
	tr := &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, dialNet, dialAddr)
		},
		DisableKeepAlives: true,
	}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: timeout}
	resp, err := client.Get("http://" + host + path)
	if err != nil {
		return fmt.Errorf("GET %s: %w", path, err)
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s on %s: status %d", path, dialAddr, resp.StatusCode)
	}
	return nil
}
