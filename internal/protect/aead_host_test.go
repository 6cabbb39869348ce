package protect

import (
	"fmt"
	"strings"
	"testing"

	"github.com/h3wasi/h3wasi/internal/hostaead"
)

// TestHostAEADRouting checks that packet AEADs run in the host exactly
// when the package is built for it (GOOS=wasip1 -tags h3wasi_offload),
// so that the vector tests of this package cover the offloaded AEADs
// there. Run it with:
//
//	GOOS=wasip1 GOARCH=wasm go test -tags h3wasi_offload -exec /tmp/wasmexec ./internal/protect
func TestHostAEADRouting(t *testing.T) {
	for i := range suites {
		s := &suites[i]
		a := s.newAEAD(make([]byte, s.keyLen))
		host := strings.Contains(fmt.Sprintf("%T", a), "hostaead.")
		if host != hostaead.Enabled {
			t.Errorf("suite %#x: AEAD %T, host crypto enabled: %v", s.id, a, hostaead.Enabled)
		}
		b := newHeaderKey(s, make([]byte, s.keyLen)).block
		if host := strings.Contains(fmt.Sprintf("%T", b), "hostaead."); host != hostaead.Enabled {
			t.Errorf("suite %#x: header protection %T, host crypto enabled: %v", s.id, b, hostaead.Enabled)
		}
	}
}
