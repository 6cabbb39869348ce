// Package h3app is the HTTP/3 side of the interop/wasm tests: the handler every HTTP/3
// server of the tests runs (guests and native), the paths the clients ask for, and the
// TLS configurations with ALPN "h3" over app.Cert.
//
// GET /OFF-N answers N bytes of app's pattern starting at offset OFF (app.Pattern), so
// that every request of a test can ask for its own size and content, and a client checks
// each body byte for byte without the server and the client sharing files. The path is
// also a plain file name, as ngtcp2's gtlsclient saves bodies under the path's name.
package h3app

import (
	"bytes"
	"crypto/tls"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/h3wasi/h3wasi/interop/wasm/internal/app"
)

// Path returns the path of n bytes of the pattern from offset off.
func Path(off, n int64) string { return fmt.Sprintf("/%d-%d", off, n) }

// ParsePath parses a path made by Path.
func ParsePath(p string) (off, n int64, ok bool) {
	a, b, ok := strings.Cut(strings.TrimPrefix(p, "/"), "-")
	if !ok {
		return 0, 0, false
	}
	off, err1 := strconv.ParseInt(a, 10, 64)
	n, err2 := strconv.ParseInt(b, 10, 64)
	if err1 != nil || err2 != nil || off < 0 || n < 0 || n > app.MaxDownload {
		return 0, 0, false
	}
	return off, n, true
}

// Handler serves GET (and HEAD) /OFF-N.
func Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		off, n, ok := ParsePath(r.URL.Path)
		if !ok {
			http.NotFound(w, r)
			return
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		w.Header().Set("Content-Type", "application/octet-stream")
		w.Header().Set("Content-Length", strconv.FormatInt(n, 10))
		if r.Method == http.MethodHead {
			return
		}
		WritePattern(w, off, n)
	})
}

// WritePattern writes the n bytes of the pattern from offset off to w.
func WritePattern(w io.Writer, off, n int64) error {
	const chunk = 32 << 10
	for end := off + n; off < end; {
		k := int(min(chunk, end-off))
		if _, err := w.Write(app.Pattern(off, k)); err != nil {
			return err
		}
		off += int64(k)
	}
	return nil
}

// Check checks that body is exactly the n bytes of the pattern from offset off.
func Check(body []byte, off, n int64) error {
	if int64(len(body)) != n {
		return fmt.Errorf("got %d bytes, want %d", len(body), n)
	}
	for i := int64(0); i < n; {
		k := int(min(32<<10, n-i))
		got, want := body[i:i+int64(k)], app.Pattern(off+i, k)
		if !bytes.Equal(got, want) {
			for j := range k {
				if got[j] != want[j] {
					return fmt.Errorf("byte %d differs", i+int64(j))
				}
			}
		}
		i += int64(k)
	}
	return nil
}

// CheckReader reads r to its end and checks it as Check does, without holding the body.
func CheckReader(r io.Reader, off, n int64) error {
	buf := make([]byte, 32<<10)
	var got int64
	for {
		k, err := r.Read(buf)
		if got+int64(k) > n {
			return fmt.Errorf("more than %d bytes", n)
		}
		if err := Check(buf[:k], off+got, int64(k)); err != nil {
			return fmt.Errorf("at offset %d: %w", got, err)
		}
		got += int64(k)
		if err == io.EOF {
			if got != n {
				return fmt.Errorf("got %d bytes, want %d", got, n)
			}
			return nil
		}
		if err != nil {
			return fmt.Errorf("after %d bytes: %w", got, err)
		}
	}
}

// ServerTLS is the HTTP/3 servers' TLS configuration (app.Cert, ALPN h3).
func ServerTLS() *tls.Config {
	c := app.ServerTLS()
	c.NextProtos = []string{"h3"}
	return c
}

// ClientTLS is the HTTP/3 clients' TLS configuration: it trusts only app.Cert and keeps
// no session tickets.
func ClientTLS() *tls.Config {
	c := app.ClientTLS()
	c.NextProtos = []string{"h3"}
	return c
}
