// Package interop holds the tests and benchmarks that run h3wasi against independent QUIC and
// HTTP/3 implementations: quic-go (a Go module, required only here so that users of the main
// module never download it) and ngtcp2/nghttp3 (the gtlsclient and gtlsserver programs from
// Debian's ngtcp2-client and ngtcp2-server packages).
package interop
