package wasihost

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// Policy is the network capability of a module: which local addresses it
// may bind and which remote addresses it may send to. The zero Policy
// allows loopback only (127.0.0.0/8 and ::1, any port); each Rule widens it.
//
// A bind to the unspecified address (0.0.0.0 or ::, which Go programs use
// for "any interface") is narrowed to the loopback address of the same
// family unless a rule covers the unspecified address itself (for example
// "0.0.0.0" or "*"). A bind to port 0 (an ephemeral port) is allowed
// whenever the address is. Receiving is not filtered: a module receives
// whatever reaches an address it may bind.
type Policy struct {
	// Allow lists the extra addresses a module may bind and send to.
	Allow []Rule
	// Lookup lets the module resolve host names (other than "localhost")
	// with the host's resolver through sock_getaddrinfo. Resolution
	// blocks the module while it runs.
	Lookup bool
}

// Rule grants binding and sending to the addresses in Prefix on ports
// MinPort through MaxPort (both zero: every port).
type Rule struct {
	Prefix           netip.Prefix
	MinPort, MaxPort uint16
}

// ParseRule parses a rule: ADDR, ADDR/BITS, "*" (every address), each
// optionally followed by :PORT or :PORT-PORT; IPv6 addresses with a port go
// in brackets. Examples: "10.0.0.0/8", "192.0.2.7:443", "[2001:db8::/32]:53",
// "*:4433", "::".
func ParseRule(s string) (Rule, error) {
	host, ports := s, ""
	switch {
	case strings.HasPrefix(s, "["):
		end := strings.Index(s, "]")
		if end < 0 {
			return Rule{}, fmt.Errorf("wasihost: rule %q: missing ]", s)
		}
		host, ports = s[1:end], strings.TrimPrefix(s[end+1:], ":")
		if end+1 < len(s) && s[end+1] != ':' {
			return Rule{}, fmt.Errorf("wasihost: rule %q: junk after ]", s)
		}
	case strings.Count(s, ":") == 1:
		host, ports, _ = strings.Cut(s, ":")
	}
	var r Rule
	var err error
	switch {
	case host == "*":
		r.Prefix = netip.PrefixFrom(netip.IPv6Unspecified(), 0)
	case strings.Contains(host, "/"):
		r.Prefix, err = netip.ParsePrefix(host)
		r.Prefix = r.Prefix.Masked()
	default:
		var a netip.Addr
		a, err = netip.ParseAddr(host)
		r.Prefix = netip.PrefixFrom(a, a.BitLen())
	}
	if err != nil {
		return Rule{}, fmt.Errorf("wasihost: rule %q: %v", s, err)
	}
	if ports != "" {
		lo, hi, isRange := strings.Cut(ports, "-")
		if !isRange {
			hi = lo
		}
		p1, err1 := strconv.ParseUint(lo, 10, 16)
		p2, err2 := strconv.ParseUint(hi, 10, 16)
		if err1 != nil || err2 != nil || p1 > p2 || p1 == 0 {
			return Rule{}, fmt.Errorf("wasihost: rule %q: bad port range", s)
		}
		r.MinPort, r.MaxPort = uint16(p1), uint16(p2)
	}
	return r, nil
}

// String formats r in the syntax of ParseRule.
func (r Rule) String() string {
	var host string
	switch {
	case r.Prefix.Bits() == 0 && r.Prefix.Addr() == netip.IPv6Unspecified():
		host = "*"
	case r.Prefix.IsSingleIP():
		host = r.Prefix.Addr().String()
	default:
		host = r.Prefix.String()
	}
	if r.MinPort == 0 && r.MaxPort == 0 {
		return host
	}
	if r.Prefix.Addr().Is6() && host != "*" {
		host = "[" + host + "]"
	}
	if r.MinPort == r.MaxPort {
		return host + ":" + strconv.Itoa(int(r.MinPort))
	}
	return fmt.Sprintf("%s:%d-%d", host, r.MinPort, r.MaxPort)
}

// covers reports whether r grants addr; port 0 matches any port range.
func (r Rule) covers(addr netip.Addr, port uint16) bool {
	if !r.Prefix.IsValid() {
		return false
	}
	any := r.Prefix.Bits() == 0 && r.Prefix.Addr() == netip.IPv6Unspecified()
	if !any && !r.Prefix.Contains(addr) {
		return false
	}
	if port == 0 || r.MinPort == 0 && r.MaxPort == 0 {
		return true
	}
	return port >= r.MinPort && port <= r.MaxPort
}

func (p *Policy) granted(addr netip.Addr, port uint16) bool {
	for _, r := range p.Allow {
		if r.covers(addr, port) {
			return true
		}
	}
	return false
}

// bindAddr returns the address a module asking for ap gets, or ok=false
// if the policy forbids it.
func (p *Policy) bindAddr(ap netip.AddrPort) (netip.AddrPort, bool) {
	a := ap.Addr().Unmap()
	switch {
	case a.IsUnspecified() && !p.granted(a, ap.Port()):
		if ap.Addr().Is4() || ap.Addr().Is4In6() {
			return netip.AddrPortFrom(netip.AddrFrom4([4]byte{127, 0, 0, 1}), ap.Port()), true
		}
		return netip.AddrPortFrom(netip.IPv6Loopback(), ap.Port()), true
	case a.IsLoopback():
		return ap, true
	}
	return ap, p.granted(a, ap.Port())
}

// sendAllowed reports whether a module may send to ap.
func (p *Policy) sendAllowed(ap netip.AddrPort) bool {
	a := ap.Addr().Unmap()
	if a.IsLoopback() {
		return true
	}
	if a.IsUnspecified() || ap.Port() == 0 {
		return false
	}
	return p.granted(a, ap.Port())
}
