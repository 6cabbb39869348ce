//go:build !wasip1

package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/h3wasi/h3wasi/http3"
	"github.com/h3wasi/h3wasi/wasi"
)

var (
	buildOnce sync.Once
	buildDir  string // removed by TestMain
	buildPath string
	buildErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if buildDir != "" {
		os.RemoveAll(buildDir)
	}
	os.Exit(code)
}

// buildH3Server builds examples/h3server for wasip1 into a temporary
// directory, once for all tests, and returns the module's path: the plugin
// under test.
func buildH3Server(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds and runs a wasm module: skipped with -short")
	}
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("needs the go command to build the module")
	}
	buildOnce.Do(func() {
		buildDir, buildErr = os.MkdirTemp("", "h3plugin-test")
		if buildErr != nil {
			return
		}
		buildPath = filepath.Join(buildDir, "h3server.wasm")
		cmd := exec.Command("go", "build", "-o", buildPath, "github.com/h3wasi/h3wasi/examples/h3server")
		cmd.Env = append(os.Environ(), "GOOS=wasip1", "GOARCH=wasm")
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("building examples/h3server for wasip1: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return buildPath
}

// syncBuffer is a bytes.Buffer safe for concurrent use.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// plugin is one run of the host in the background.
type plugin struct {
	out, errOut syncBuffer
	ready       chan struct{}
	errc        chan error
	cancel      context.CancelFunc
}

func startPlugin(t *testing.T, o options) *plugin {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	p := &plugin{ready: make(chan struct{}), errc: make(chan error, 1), cancel: cancel}
	var once sync.Once
	o.ready = func() { once.Do(func() { close(p.ready) }) }
	if d, err := os.UserCacheDir(); err == nil {
		o.cacheDir = filepath.Join(d, "h3wasi-wasm")
	}
	go func() { p.errc <- run(ctx, o, &p.out, &p.errOut) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-p.errc:
		case <-time.After(10 * time.Second):
			t.Error("the plugin host did not return within 10 s of its context ending")
		}
	})
	return p
}

// wait returns the host's result, or fails after 30 s.
func (p *plugin) wait(t *testing.T) error {
	t.Helper()
	select {
	case err := <-p.errc:
		p.errc <- err // for Cleanup
		return err
	case <-time.After(30 * time.Second):
		t.Fatalf("the plugin host did not return within 30 s\nstdout:\n%s\nstderr:\n%s", p.out.String(), p.errOut.String())
		return nil
	}
}

// waitReady waits until the module holds a socket; it fails if the host
// returns first.
func (p *plugin) waitReady(t *testing.T) {
	t.Helper()
	select {
	case <-p.ready:
	case err := <-p.errc:
		p.errc <- err
		t.Fatalf("the plugin host returned %v before the module opened a socket\nstdout:\n%s\nstderr:\n%s", err, p.out.String(), p.errOut.String())
	case <-time.After(30 * time.Second):
		t.Fatalf("the module opened no socket within 30 s\nstdout:\n%s\nstderr:\n%s", p.out.String(), p.errOut.String())
	}
}

func freeUDPPort(t *testing.T, ip string) uint16 {
	t.Helper()
	c, err := net.ListenPacket("udp", net.JoinHostPort(ip, "0"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	return uint16(c.LocalAddr().(*net.UDPAddr).Port)
}

// localAddr returns a non-loopback IPv4 address of this machine that a UDP
// socket can bind, if there is one.
func localAddr() (netip.Addr, bool) {
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return netip.Addr{}, false
	}
	for _, a := range addrs {
		n, ok := a.(*net.IPNet)
		if !ok {
			continue
		}
		ip, ok := netip.AddrFromSlice(n.IP)
		ip = ip.Unmap()
		if !ok || !ip.Is4() || ip.IsLoopback() || ip.IsLinkLocalUnicast() {
			continue
		}
		c, err := net.ListenPacket("udp", netip.AddrPortFrom(ip, 0).String())
		if err != nil {
			continue
		}
		c.Close()
		return ip, true
	}
	return netip.Addr{}, false
}

// TestServes runs examples/h3server as an untrusted plugin and fetches
// /api/time from it over HTTP/3.
func TestServes(t *testing.T) {
	module := buildH3Server(t)
	addr := fmt.Sprintf("127.0.0.1:%d", freeUDPPort(t, "127.0.0.1"))
	p := startPlugin(t, options{module: module, listen: addr, memoryMiB: 256, maxSockets: 1, args: []string{"-addr", addr}})
	p.waitReady(t)

	tr := &http3.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}} // h3server's self-signed certificate
	defer tr.Close()
	client := &http.Client{Transport: tr}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var resp *http.Response
	for {
		req, _ := http.NewRequestWithContext(ctx, "GET", "https://"+addr+"/api/time", nil)
		var err error
		resp, err = client.Do(req)
		if err == nil {
			break
		}
		if ctx.Err() != nil {
			t.Fatalf("GET /api/time: %v\nstdout:\n%s\nstderr:\n%s", err, p.out.String(), p.errOut.String())
		}
		time.Sleep(100 * time.Millisecond) // the module may be between opening and binding its socket
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /api/time: %s\n%s", resp.Status, body)
	}
	var v struct{ Runtime string }
	if err := json.Unmarshal(body, &v); err != nil || v.Runtime != "wasip1/wasm" {
		t.Errorf("GET /api/time: body %s (runtime %q, %v), want runtime wasip1/wasm", body, v.Runtime, err)
	}

	p.cancel()
	if err := p.wait(t); err != nil {
		t.Errorf("host after the context ended: %v, want nil", err)
	}
	for _, want := range []string{
		"policy in effect",
		"bind and send: loopback",
		"at most 1 open",
		"256 MiB",
		"untrusted",
		"stopped the module",
	} {
		if !strings.Contains(p.out.String(), want) {
			t.Errorf("stdout lacks %q:\n%s", want, p.out.String())
		}
	}
	if !strings.Contains(p.errOut.String(), "[h3server.wasm] h3server: listening on https://"+addr) {
		t.Errorf("stderr lacks the module's prefixed listening line:\n%s", p.errOut.String())
	}
	t.Log(p.out.String() + p.errOut.String())
}

// TestBindDenied asks the module to listen on another port than -listen
// allows, on a non-loopback address (loopback is always open under
// wasihost): the host must refuse the bind with ENOTCAPABLE, which package
// wasi reports as wasi.ErrNotPermitted, and the module exits.
func TestBindDenied(t *testing.T) {
	module := buildH3Server(t)
	ip, real := localAddr()
	if !real {
		// No such address here; the policy refuses before the kernel is
		// asked, so a documentation address (RFC 5737) shows the same thing.
		ip = netip.MustParseAddr("203.0.113.7")
	}
	port := uint16(4433)
	if real {
		port = freeUDPPort(t, ip.String())
	}
	listen := netip.AddrPortFrom(ip, port).String()
	other := netip.AddrPortFrom(ip, port+1).String()
	p := startPlugin(t, options{module: module, listen: listen, memoryMiB: 256, maxSockets: 1, args: []string{"-addr", other}})
	err := p.wait(t)
	var exit *exitError
	if !errors.As(err, &exit) {
		t.Fatalf("host returned %v, want the module's non-zero exit\nstdout:\n%s\nstderr:\n%s", err, p.out.String(), p.errOut.String())
	}
	if !strings.Contains(p.errOut.String(), wasi.ErrNotPermitted.Error()) || !strings.Contains(p.errOut.String(), other) {
		t.Errorf("module's stderr does not show the policy refusing %s:\n%s", other, p.errOut.String())
	}
	if !strings.Contains(p.out.String(), "bind and send: "+listen) {
		t.Errorf("the policy printed lacks the rule %s:\n%s", listen, p.out.String())
	}
	t.Log(p.errOut.String())

	if !real {
		return
	}
	// The port -listen names binds: the refusal above is the policy's.
	p = startPlugin(t, options{module: module, listen: listen, memoryMiB: 256, maxSockets: 1, args: []string{"-addr", listen}})
	deadline := time.After(30 * time.Second)
	for !strings.Contains(p.errOut.String(), "listening on https://"+listen) {
		select {
		case err := <-p.errc:
			p.errc <- err
			t.Fatalf("the module did not listen on the allowed %s: host returned %v\nstderr:\n%s", listen, err, p.errOut.String())
		case <-deadline:
			t.Fatalf("the module did not listen on the allowed %s within 30 s\nstderr:\n%s", listen, p.errOut.String())
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// TestMemoryTooSmall gives the module less memory than it declares it needs:
// it must not start, and the error must say so.
func TestMemoryTooSmall(t *testing.T) {
	module := buildH3Server(t)
	p := startPlugin(t, options{module: module, listen: "127.0.0.1:4433", memoryMiB: 4, maxSockets: 1, args: []string{"-addr", "127.0.0.1:4433"}})
	err := p.wait(t)
	if err == nil || !strings.Contains(err.Error(), "did not start") || !strings.Contains(err.Error(), "memory") {
		t.Fatalf("host returned %v, want the module not to start for lack of memory", err)
	}
	t.Log(err)
}
