// Package interop holds the tests and benchmarks that run h3wasi against independent QUIC and
// HTTP/3 implementations: quic-go (a Go module, required only here so that users of the main
// module never download it) and ngtcp2/nghttp3 (the gtlsclient and gtlsserver programs from
// Debian's ngtcp2-client and ngtcp2-server packages).
//
// The quic-go tests (quicgo_test.go) pair our client with a quic-go server and a quic-go
// client with our server: handshake, a 10 MiB transfer each way checked byte for byte,
// 1,999 streams, ChaCha20-Poly1305 as the only TLS 1.3 suite, a transfer through a
// simulated path with 5% loss (package netsim), CloseWithError and the idle timeout. Each
// case runs under a deadline that closes both transports, so a stuck case fails instead of
// hanging. Both stacks are driven through the small interfaces of stacks_test.go.
//
// The benchmarks (bench_test.go) run h3wasi against itself and quic-go against itself in
// the same run: bulk transfer over loopback UDP and over an in-memory pipe, full handshakes
// per second, memory per idle connection and CPU per megabyte; docs/BENCHMARKS.md has the
// figures and how to rerun them, natively and under WebAssembly.
package interop
