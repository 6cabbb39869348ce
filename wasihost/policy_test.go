package wasihost

import (
	"net/netip"
	"testing"
)

func TestParseRule(t *testing.T) {
	for _, tc := range []struct {
		in, want string // want "" means an error
	}{
		{"10.0.0.0/8", "10.0.0.0/8"},
		{"10.1.2.3/8", "10.0.0.0/8"},
		{"192.0.2.7", "192.0.2.7"},
		{"192.0.2.7:443", "192.0.2.7:443"},
		{"192.0.2.7:1000-2000", "192.0.2.7:1000-2000"},
		{"::1", "::1"},
		{"::", "::"},
		{"[2001:db8::/32]:53", "[2001:db8::/32]:53"},
		{"[2001:db8::1]", "2001:db8::1"},
		{"*", "*"},
		{"*:4433", "*:4433"},
		{"", ""},
		{"10.0.0.1:0", ""},
		{"10.0.0.1:2000-1000", ""},
		{"10.0.0.1:70000", ""},
		{"[::1", ""},
		{"[::1]x", ""},
		{"example.com:53", ""},
		{"10.0.0.0/33", ""},
	} {
		r, err := ParseRule(tc.in)
		if tc.want == "" {
			if err == nil {
				t.Errorf("ParseRule(%q) = %v; want an error", tc.in, r)
			}
			continue
		}
		if err != nil || r.String() != tc.want {
			t.Errorf("ParseRule(%q) = %v, %v; want %s", tc.in, r, err, tc.want)
		}
	}
}

func mustRule(t *testing.T, s string) Rule {
	r, err := ParseRule(s)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestPolicyDecisions(t *testing.T) {
	lan := Policy{Allow: []Rule{mustRule(t, "10.0.0.0/8"), mustRule(t, "[2001:db8::/32]:443"), mustRule(t, "*:53")}}
	for _, tc := range []struct {
		name     string
		p        Policy
		bind     string
		wantBind string // "" means forbidden
		send     string
		wantSend bool
	}{
		{"loopback v4", Policy{}, "127.0.0.1:4433", "127.0.0.1:4433", "127.0.0.2:9", true},
		{"loopback v6", Policy{}, "[::1]:0", "[::1]:0", "[::1]:443", true},
		{"unspecified v4 narrowed", Policy{}, "0.0.0.0:0", "127.0.0.1:0", "0.0.0.0:9", false},
		{"unspecified v6 narrowed", Policy{}, "[::]:5", "[::1]:5", "[::ffff:127.0.0.1]:9", true},
		{"other forbidden", Policy{}, "192.0.2.1:0", "", "192.0.2.1:53", false},
		{"lan prefix", lan, "10.9.8.7:0", "10.9.8.7:0", "10.1.1.1:9999", true},
		{"lan port", lan, "[2001:db8::5]:443", "[2001:db8::5]:443", "[2001:db8::5]:80", false},
		{"any addr port 53", lan, "192.0.2.1:53", "192.0.2.1:53", "198.51.100.1:53", true},
		{"mapped v4 checked as v4", lan, "[::ffff:10.0.0.1]:0", "[::ffff:10.0.0.1]:0", "[::ffff:192.0.2.1]:80", false},
		{"port 0 destination", lan, "10.0.0.1:1", "10.0.0.1:1", "10.0.0.2:0", false},
		{"all", Policy{Allow: []Rule{mustRule(t, "*")}}, "0.0.0.0:0", "0.0.0.0:0", "203.0.113.9:1", true},
	} {
		got, ok := tc.p.bindAddr(netip.MustParseAddrPort(tc.bind))
		switch {
		case tc.wantBind == "" && ok:
			t.Errorf("%s: bind %s allowed as %v", tc.name, tc.bind, got)
		case tc.wantBind != "" && (!ok || got.String() != tc.wantBind):
			t.Errorf("%s: bind %s = %v, %v; want %s", tc.name, tc.bind, got, ok, tc.wantBind)
		}
		if ok := tc.p.sendAllowed(netip.MustParseAddrPort(tc.send)); ok != tc.wantSend {
			t.Errorf("%s: send to %s allowed = %v", tc.name, tc.send, ok)
		}
	}
}

func FuzzParseRule(f *testing.F) {
	for _, s := range []string{"10.0.0.0/8", "192.0.2.7:443", "[2001:db8::/32]:53", "*:1-2", "::", "*", "[::1]:65535"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := ParseRule(s)
		if err != nil {
			return
		}
		// A parsed rule prints in a form that parses back to itself.
		r2, err := ParseRule(r.String())
		if err != nil || r2 != r {
			t.Fatalf("%q -> %v -> %v, %v", s, r, r2, err)
		}
	})
}
