package wasi

import (
	"errors"
	"net/netip"
	"strings"
	"testing"
)

func noLookup(host, network string) ([]netip.Addr, error) {
	if host == "example.test" {
		return []netip.Addr{netip.MustParseAddr("192.0.2.9")}, nil
	}
	return nil, errors.New("no such host")
}

func TestParseAddr(t *testing.T) {
	for _, tc := range []struct {
		network, addr string
		passive       bool
		want          string // "" means an error
	}{
		{"udp", "127.0.0.1:443", false, "127.0.0.1:443"},
		{"udp", ":0", true, "0.0.0.0:0"},
		{"udp6", ":4433", true, "[::]:4433"},
		{"udp", "localhost:80", false, "127.0.0.1:80"},
		{"udp6", "localhost:80", false, "[::1]:80"},
		{"udp", "[::1]:53", false, "[::1]:53"},
		{"udp", "example.test:53", false, "192.0.2.9:53"},
		{"udp", "nowhere.test:53", false, ""},
		{"udp", ":53", false, ""},
		{"udp4", "[::1]:53", false, ""},
		{"udp6", "127.0.0.1:53", false, ""},
		{"udp", "127.0.0.1:65536", false, ""},
		{"udp", "127.0.0.1", false, ""},
		{"udp", "[fe80::1%eth0]:1", false, ""},
		{"tcp", "127.0.0.1:1", false, ""},
	} {
		got, err := parseAddr(tc.network, tc.addr, tc.passive, noLookup)
		if tc.want == "" {
			if err == nil {
				t.Errorf("parseAddr(%s, %q) = %v; want an error", tc.network, tc.addr, got)
			}
			continue
		}
		if err != nil || got.String() != tc.want {
			t.Errorf("parseAddr(%s, %q) = %v, %v; want %s", tc.network, tc.addr, got, err, tc.want)
		}
	}
}

func FuzzParseAddr(f *testing.F) {
	for _, s := range []string{"127.0.0.1:443", ":0", "[::1]:53", "localhost:80", "example.test:53", "[::ffff:1.2.3.4]:9"} {
		f.Add("udp", s, false)
	}
	f.Fuzz(func(t *testing.T, network, addr string, passive bool) {
		ap, err := parseAddr(network, addr, passive, noLookup)
		if err != nil {
			return
		}
		if !ap.Addr().IsValid() {
			t.Fatalf("%q: invalid address without error", addr)
		}
		if network == "udp4" && !ap.Addr().Unmap().Is4() {
			t.Fatalf("%q: udp4 gave %v", addr, ap)
		}
		if !strings.Contains(addr, ":") {
			t.Fatalf("%q has no port but parsed", addr)
		}
	})
}
