// Package handshake adapts crypto/tls's QUIC API (tls.QUICClient and
// tls.QUICServer) to a sans-IO TLS 1.3 handshake for a QUIC connection
// (RFC 9001 section 4).
//
// The connection feeds the CRYPTO stream bytes it receives at each
// encryption level to Conn.HandleCrypto and drains Events: CRYPTO bytes to
// send per level, traffic secrets per level and direction (from which it
// builds packet protection keys with package protect), the peer's
// quic_transport_parameters extension, 0-RTT rejection and handshake
// completion. Transport parameters are opaque bytes here; encoding them is
// the wire codec's job.
//
// The adapter starts no goroutine and reads no clock of its own: crypto/tls's
// QUIC API is synchronous from the caller's point of view (it parks its
// handshake goroutine between calls). Certificate verification and ticket
// lifetimes use the caller's tls.Config, including its Time function;
// tls.Config.KeyLogWriter is passed through so that captures can be
// decrypted with Wireshark.
//
// Resumption and 0-RTT: the client stores sessions in
// tls.Config.ClientSessionCache together with the server's transport
// parameters (needed to send 0-RTT, RFC 9001 section 4.6.3); the server issues
// one session ticket after the handshake, carrying its own transport
// parameters, and accepts 0-RTT only if none of the limits the client may
// rely on in 0-RTT shrank (RFC 9001 section 4.6.1, RFC 9000 section 7.4.1);
// connection IDs and the reset token differ on every connection.
//
// Cipher suites: crypto/tls ignores tls.Config.CipherSuites for TLS 1.3. A
// Go client offers AES-128-GCM, AES-256-GCM and ChaCha20-Poly1305, ChaCha20
// first when the CPU lacks AES-GCM hardware (always under WebAssembly), and
// a Go server takes the first suite of its own preference list that the
// client offers, switching to the ChaCha20-first list when the client put
// ChaCha20 first. So two Go endpoints agree on AES-128-GCM natively and on
// ChaCha20-Poly1305 under WebAssembly; AES-256-GCM is only chosen by other
// stacks. The tests force each suite through crypto/tls's linkname-exported
// preference lists (see helpers_test.go).
package handshake
