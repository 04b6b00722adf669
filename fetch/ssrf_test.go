package fetch

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"sync/atomic"
	"testing"

	"github.com/imgedge/imgedge/options"
)

func TestClassify(t *testing.T) {
	f := func(addr string, want addrClass) {
		t.Helper()
		a := netip.MustParseAddr(addr)
		if got := classify(a); got != want {
			t.Errorf("classify(%s): got %s; want %s", addr, got, want)
		}
	}
	// Public.
	f("8.8.8.8", classPublic)
	f("1.1.1.1", classPublic)
	f("2606:4700::1111", classPublic)
	f("172.32.0.1", classPublic)
	f("100.128.0.1", classPublic)
	f("192.169.0.1", classPublic)
	f("2002:0808:0808::1", classPublic) // 6to4 of 8.8.8.8
	f("64:ff9b::808:808", classPublic)  // NAT64 of 8.8.8.8

	// Loopback and unspecified.
	f("127.0.0.1", classLoopback)
	f("127.255.255.254", classLoopback)
	f("0.0.0.0", classLoopback)
	f("0.1.2.3", classLoopback)
	f("::1", classLoopback)
	f("::", classLoopback)

	// Link-local, metadata, local multicast.
	f("169.254.169.254", classLinkLocal)
	f("169.254.0.1", classLinkLocal)
	f("224.0.0.251", classLinkLocal)
	f("fe80::1", classLinkLocal)
	f("fe80::1%eth0", classLinkLocal)
	f("febf::1", classLinkLocal)
	f("ff02::1", classLinkLocal)

	// Other multicast, reserved and broadcast: never.
	f("239.1.2.3", classForbidden)
	f("224.0.1.1", classForbidden)
	f("240.0.0.1", classForbidden)
	f("255.255.255.255", classForbidden)
	f("ff05::2", classForbidden)

	// Private.
	f("10.0.0.1", classPrivate)
	f("10.255.255.255", classPrivate)
	f("172.16.0.1", classPrivate)
	f("172.31.255.255", classPrivate)
	f("192.168.1.1", classPrivate)
	f("100.64.0.1", classPrivate)
	f("100.127.255.255", classPrivate)
	f("fc00::1", classPrivate)
	f("fd00:ec2::254", classPrivate) // AWS IPv6 metadata
	f("fec0::1", classPrivate)

	// IPv6 forms embedding a refused IPv4 address.
	f("::ffff:127.0.0.1", classLoopback)        // mapped
	f("::ffff:169.254.169.254", classLinkLocal) // mapped metadata
	f("::ffff:10.1.2.3", classPrivate)
	f("::127.0.0.1", classLoopback)                          // compatible
	f("::10.0.0.1", classPrivate)                            // compatible
	f("2002:7f00:1::", classLoopback)                        // 6to4 127.0.0.1
	f("2002:a9fe:a9fe::1", classLinkLocal)                   // 6to4 169.254.169.254
	f("2002:c0a8:0101::1", classPrivate)                     // 6to4 192.168.1.1
	f("64:ff9b::7f00:1", classLoopback)                      // NAT64 127.0.0.1
	f("64:ff9b::a9fe:a9fe", classLinkLocal)                  // NAT64 metadata
	f("64:ff9b::a00:1", classPrivate)                        // NAT64 10.0.0.1
	f("64:ff9b:1::a00:1", classPrivate)                      // local-use NAT64, /96 form, 10.0.0.1
	f("2001:0:4136:e378:8000:63bf:80ff:fffe", classLoopback) // Teredo client 127.0.0.1 (inverted)
	f("2001:0:a00:1:8000:63bf:3fff:fdd2", classPrivate)      // Teredo server 10.0.0.1
	f("2001:0:4136:e378:8000:63bf:f5ff:fffe", classPrivate)  // Teredo client 10.0.0.1
	f("2001:db8:1:2::5efe:a00:1", classPrivate)              // ISATAP 10.0.0.1
	f("2001:db8:1:2:200:5efe:7f00:1", classLoopback)         // ISATAP 127.0.0.1
}

// TestClassifyNAT64Local checks both places RFC 6052 gives the IPv4
// address under the local-use prefix 64:ff9b:1::/48: bytes 6-7 and 9-10
// (around the u-octet, byte 8) for the /48 itself, bytes 12-15 for a /96
// sub-prefix.
func TestClassifyNAT64Local(t *testing.T) {
	for _, tc := range []struct {
		addr string
		want addrClass
	}{
		// /48 form: 64:ff9b:1 | v4[0..1] | u=0 | v4[2..3] | zero suffix.
		{"64:ff9b:1:808:8:800::", classPublic},       // 8.8.8.8
		{"64:ff9b:1:b00:a:a00::", classPublic},       // 11.0.10.10
		{"64:ff9b:1:7f00:0:100::", classLoopback},    // 127.0.0.1
		{"64:ff9b:1:a9fe:a9:fe00::", classLinkLocal}, // 169.254.169.254
		{"64:ff9b:1:a00:0:100::", classPrivate},      // 10.0.0.1
		{"64:ff9b:1:c0a8:1:100::", classPrivate},     // 192.168.1.1
		// A /48-form private address with a public address where a /96
		// translator would read it: the stricter reading wins.
		{"64:ff9b:1:a00:0:100:808:808", classPrivate},
		// /96 form: zeros in the middle, v4 in the last 32 bits.
		{"64:ff9b:1::808:808", classPublic},
		{"64:ff9b:1::7f00:1", classLoopback},
		{"64:ff9b:1::a9fe:a9fe", classLinkLocal},
		{"64:ff9b:1::c0a8:101", classPrivate},
		// A /96-form private address whose middle reads public at /48.
		{"64:ff9b:1:808:8:800:a00:1", classPrivate},
	} {
		if got := classify(netip.MustParseAddr(tc.addr)); got != tc.want {
			t.Errorf("classify(%s): got %s; want %s", tc.addr, got, tc.want)
		}
	}
	// The /48 form of the metadata address is refused by the dial hook.
	if err := (&addrPolicy{}).control("tcp", "[64:ff9b:1:a9fe:a9:fe00::]:80", nil); !errors.Is(err, errAddrForbidden) {
		t.Errorf("dial of /48-form NAT64 metadata address: got %v; want errAddrForbidden", err)
	}
}

func TestAddrPolicySwitches(t *testing.T) {
	f := func(p addrPolicy, addr string, wantOK bool) {
		t.Helper()
		err := p.control("tcp", net.JoinHostPort(addr, "80"), nil)
		if (err == nil) != wantOK {
			t.Errorf("policy %+v, %s: got err %v; want allowed=%v", p, addr, err, wantOK)
		}
		if err != nil && !errors.Is(err, errAddrForbidden) {
			t.Errorf("policy %+v, %s: got %v; want errAddrForbidden", p, addr, err)
		}
	}
	closed := addrPolicy{}
	all := addrPolicy{loopback: true, linkLocal: true, private: true}
	refused := []string{"127.0.0.1", "::1", "0.0.0.0", "::", "169.254.169.254", "fe80::1", "224.0.0.1",
		"10.0.0.1", "172.16.5.4", "192.168.0.1", "100.64.0.1", "fc00::1", "::ffff:127.0.0.1",
		"2002:7f00:1::", "64:ff9b::7f00:1", "2001:0:4136:e378:8000:63bf:80ff:fffe", "239.0.0.1", "ff0e::1"}
	for _, a := range refused {
		f(closed, a, false)
	}
	f(closed, "93.184.216.34", true)
	f(closed, "2606:2800:220:1:248:1893:25c8:1946", true)

	f(addrPolicy{loopback: true}, "127.0.0.1", true)
	f(addrPolicy{loopback: true}, "::ffff:127.0.0.1", true)
	f(addrPolicy{loopback: true}, "10.0.0.1", false)
	f(addrPolicy{linkLocal: true}, "169.254.169.254", true)
	f(addrPolicy{linkLocal: true}, "127.0.0.1", false)
	f(addrPolicy{private: true}, "192.168.0.1", true)
	f(addrPolicy{private: true}, "64:ff9b::a00:1", true)
	f(addrPolicy{private: true}, "169.254.169.254", false)
	// Multicast outside the local ranges and reserved space stay closed.
	f(all, "239.0.0.1", false)
	f(all, "255.255.255.255", false)
	f(all, "ff0e::1", false)
	f(all, "127.0.0.1", true)

	// A dial address that is not an IP is refused.
	if err := closed.control("tcp", "example.com:80", nil); !errors.Is(err, errAddrForbidden) {
		t.Errorf("non-IP dial address: got %v; want errAddrForbidden", err)
	}
}

// countingOrigin is a test server that counts the requests it got.
func countingOrigin(t *testing.T, h http.HandlerFunc) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		h(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

func wantKind(t *testing.T, err error, want options.ErrorKind) {
	t.Helper()
	if err == nil {
		t.Fatalf("got nil error; want kind %s", want)
	}
	var oe *options.Error
	if !errors.As(err, &oe) {
		t.Fatalf("got %T %v; want *options.Error of kind %s", err, err, want)
	}
	if oe.Kind != want {
		t.Fatalf("got kind %s (%v); want %s", oe.Kind, err, want)
	}
}

func TestSSRFEndToEnd(t *testing.T) {
	inner, innerHits := countingOrigin(t, func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("secret"))
	})
	innerAP := netip.MustParseAddrPort(inner.Listener.Addr().String())

	// "public" stands in for an allowed origin: the test hook admits exactly
	// its address while loopback stays closed for everything else.
	public, _ := countingOrigin(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/to-inner":
			http.Redirect(w, r, inner.URL+"/x", http.StatusFound)
		case "/to-localhost":
			http.Redirect(w, r, "http://localhost:"+fmt.Sprint(innerAP.Port())+"/x", http.StatusFound)
		case "/to-mapped":
			http.Redirect(w, r, "http://[::ffff:127.0.0.1]:"+fmt.Sprint(innerAP.Port())+"/x", http.StatusFound)
		default:
			w.Write([]byte("public"))
		}
	})
	publicAP := netip.MustParseAddrPort(public.Listener.Addr().String())

	cfg := DefaultConfig()
	fe, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer fe.Close()
	fe.policy.allow = func(ap netip.AddrPort) bool { return ap == publicAP }

	ctx := context.Background()
	src, err := fe.Fetch(ctx, public.URL+"/ok", nil, 0)
	if err != nil {
		t.Fatalf("allowed origin: %v", err)
	}
	if string(src.Data) != "public" {
		t.Fatalf("got %q; want %q", src.Data, "public")
	}
	src.Release()

	for _, url := range []string{
		inner.URL + "/direct",
		"http://localhost:" + fmt.Sprint(innerAP.Port()) + "/dns", // DNS name resolving to loopback
		public.URL + "/to-inner",                                  // redirect from an allowed origin to a refused address
		public.URL + "/to-localhost",                              // redirect to a name resolving to loopback
		public.URL + "/to-mapped",                                 // redirect to an IPv4-mapped IPv6 loopback literal
	} {
		_, err := fe.Fetch(ctx, url, nil, 0)
		wantKind(t, err, options.KindSourceNotAllowed)
	}
	if n := innerHits.Load(); n != 0 {
		t.Fatalf("refused origin got %d requests; want 0", n)
	}

	// Stream goes through the same dialer.
	var sresp options.StreamResponse
	_, err = fe.Stream(ctx, public.URL+"/to-inner", nil, &sresp)
	wantKind(t, err, options.KindSourceNotAllowed)
	if n := innerHits.Load(); n != 0 {
		t.Fatalf("refused origin got %d requests via Stream; want 0", n)
	}

	// AllowLoopback opens it deliberately.
	cfg.AllowLoopback = true
	fe2, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer fe2.Close()
	src, err = fe2.Fetch(ctx, "http://localhost:"+fmt.Sprint(innerAP.Port())+"/x", nil, 0)
	if err != nil || string(src.Data) != "secret" {
		t.Fatalf("AllowLoopback: got %q, %v; want %q", src.Data, err, "secret")
	}
	src.Release()
}
