package fetch

import (
	"errors"
	"fmt"
	"net/netip"
	"syscall"
)

// The SSRF defence works on the address actually dialled: net.Dialer.Control
// runs after DNS resolution, for every connection (also after redirects and
// for every address of a multi-address host), just before connect(2). Matching
// URL text instead would miss DNS names pointing inside, decimal/octal IP
// spellings and redirects.

// addrClass is the category of an address that decides whether it may be dialled.
type addrClass uint8

const (
	classPublic    addrClass = iota
	classLoopback            // 127/8, ::1, and the unspecified 0/8, ::
	classLinkLocal           // 169.254/16, fe80::/10, 224.0.0.0/24, ff02::/16
	classPrivate             // 10/8, 172.16/12, 192.168/16, 100.64/10, fc00::/7, fec0::/10
	classForbidden           // multicast, broadcast, reserved: never dialled
)

func (c addrClass) String() string {
	switch c {
	case classLoopback:
		return "loopback"
	case classLinkLocal:
		return "link-local"
	case classPrivate:
		return "private"
	case classForbidden:
		return "multicast or reserved"
	}
	return "public"
}

var (
	pfxThisNet4      = netip.MustParsePrefix("0.0.0.0/8")
	pfxLoopback4     = netip.MustParsePrefix("127.0.0.0/8")
	pfxLinkLocal4    = netip.MustParsePrefix("169.254.0.0/16")
	pfxMcastLocal4   = netip.MustParsePrefix("224.0.0.0/24")
	pfxMulticast4    = netip.MustParsePrefix("224.0.0.0/4")
	pfxReserved4     = netip.MustParsePrefix("240.0.0.0/4") // incl. broadcast 255.255.255.255
	pfxPrivate10     = netip.MustParsePrefix("10.0.0.0/8")
	pfxPrivate172    = netip.MustParsePrefix("172.16.0.0/12")
	pfxPrivate192    = netip.MustParsePrefix("192.168.0.0/16")
	pfxCGNAT         = netip.MustParsePrefix("100.64.0.0/10")
	pfxLinkLocal6    = netip.MustParsePrefix("fe80::/10")
	pfxSiteLocal6    = netip.MustParsePrefix("fec0::/10")
	pfxULA6          = netip.MustParsePrefix("fc00::/7")
	pfxMcastLink6    = netip.MustParsePrefix("ff02::/16")
	pfxMulticast6    = netip.MustParsePrefix("ff00::/8")
	pfxCompat6       = netip.MustParsePrefix("::/96") // IPv4-compatible (deprecated)
	pfx6to4          = netip.MustParsePrefix("2002::/16")
	pfxNAT64         = netip.MustParsePrefix("64:ff9b::/96")
	pfxNAT64Local    = netip.MustParsePrefix("64:ff9b:1::/48")
	pfxTeredo        = netip.MustParsePrefix("2001::/32")
	errAddrForbidden = errors.New("fetch: source address not allowed")
)

// classify4 classifies an IPv4 address.
func classify4(a netip.Addr) addrClass {
	switch {
	case pfxLoopback4.Contains(a), pfxThisNet4.Contains(a):
		return classLoopback
	case pfxLinkLocal4.Contains(a), pfxMcastLocal4.Contains(a):
		return classLinkLocal
	case pfxMulticast4.Contains(a), pfxReserved4.Contains(a):
		return classForbidden
	case pfxPrivate10.Contains(a), pfxPrivate172.Contains(a), pfxPrivate192.Contains(a), pfxCGNAT.Contains(a):
		return classPrivate
	}
	return classPublic
}

// classify returns the class of a; IPv6 forms embedding an IPv4 address
// (mapped, compatible, 6to4, NAT64, Teredo, ISATAP) get the stricter of the
// IPv6 class and the embedded address's class.
func classify(a netip.Addr) addrClass {
	a = a.WithZone("")
	if a.Is4In6() {
		a = a.Unmap()
	}
	if a.Is4() {
		return classify4(a)
	}
	if !a.IsValid() {
		return classForbidden
	}
	switch {
	case a == netip.IPv6Loopback(), a == netip.IPv6Unspecified():
		return classLoopback
	case pfxLinkLocal6.Contains(a), pfxMcastLink6.Contains(a):
		return classLinkLocal
	case pfxMulticast6.Contains(a):
		return classForbidden
	case pfxULA6.Contains(a), pfxSiteLocal6.Contains(a):
		return classPrivate
	}
	b := a.As16()
	worst := classPublic
	embed := func(v4 [4]byte) {
		if c := classify4(netip.AddrFrom4(v4)); c > worst {
			worst = c
		}
	}
	switch {
	case pfxCompat6.Contains(a):
		embed([4]byte{b[12], b[13], b[14], b[15]})
	case pfx6to4.Contains(a):
		embed([4]byte{b[2], b[3], b[4], b[5]})
	case pfxNAT64.Contains(a):
		embed([4]byte{b[12], b[13], b[14], b[15]})
	case pfxNAT64Local.Contains(a):
		embedNAT64Local(b, embed)
	case pfxTeredo.Contains(a):
		embed([4]byte{b[4], b[5], b[6], b[7]})         // Teredo server
		embed([4]byte{^b[12], ^b[13], ^b[14], ^b[15]}) // client, stored inverted
	}
	// ISATAP interface identifier: ::0:5efe:a.b.c.d or ::200:5efe:a.b.c.d
	// under any /64 prefix.
	if (b[8]|0x02) == 0x02 && b[9] == 0 && b[10] == 0x5e && b[11] == 0xfe {
		embed([4]byte{b[12], b[13], b[14], b[15]})
	}
	return worst
}

// embedNAT64Local passes to embed the IPv4 addresses the local-use NAT64
// prefix 64:ff9b:1::/48 can carry in b. RFC 6052 section 2.2 places the IPv4
// address by prefix length: with the /48 itself it is split around bits
// 64..71 (the "u" octet, byte 8), so it sits in bytes 6-7 and 9-10; a
// translator configured with a /96 sub-prefix (RFC 8215 allows it) reads
// bytes 12-15. We cannot know which one the network uses, so both readings
// are checked and the stricter class wins. A reading of 0.0.0.0 is skipped:
// it is the zero suffix (or zero middle) of the other form, and no
// translator forwards to it. The /56 and /64 placements are not read: on
// the common /48 and /96 forms they produce arbitrary bytes that would
// refuse public addresses (docs/security.md).
func embedNAT64Local(b [16]byte, embed func([4]byte)) {
	for _, v4 := range [...][4]byte{
		{b[6], b[7], b[9], b[10]},    // /48
		{b[12], b[13], b[14], b[15]}, // /96
	} {
		if v4 != [4]byte{} {
			embed(v4)
		}
	}
}

// addrPolicy decides which address classes may be dialled.
type addrPolicy struct {
	loopback, linkLocal, private bool
	// allow, when set (tests only), admits specific addresses regardless of
	// their class, so that a test origin on 127.0.0.1 can stand in for a
	// public server while loopback stays refused for everything else.
	allow func(netip.AddrPort) bool
}

// addrError reports a refused address; it is wrapped in the dial error.
type addrError struct {
	addr  netip.Addr
	class addrClass
}

func (e *addrError) Error() string {
	return fmt.Sprintf("source address %s is %s", e.addr, e.class)
}

func (e *addrError) Unwrap() error { return errAddrForbidden }

// checkAddr returns nil if a may be dialled, else an *addrError.
func (p *addrPolicy) checkAddr(ap netip.AddrPort) error {
	if p.allow != nil && p.allow(ap) {
		return nil
	}
	a := ap.Addr()
	c := classify(a)
	ok := false
	switch c {
	case classPublic:
		ok = true
	case classLoopback:
		ok = p.loopback
	case classLinkLocal:
		ok = p.linkLocal
	case classPrivate:
		ok = p.private
	}
	if ok {
		return nil
	}
	return &addrError{addr: a, class: c}
}

// control is the net.Dialer.Control hook: address is the resolved
// "ip:port" about to be connected.
func (p *addrPolicy) control(network, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		// Not an IP address (should not happen for tcp): refuse rather than guess.
		return fmt.Errorf("fetch: unexpected dial address %q on %s: %w", address, network, errAddrForbidden)
	}
	return p.checkAddr(ap)
}
