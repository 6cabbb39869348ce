// Package wasm tests QUIC inside WebAssembly end to end: h3wasi's package quic and
// quic-go compiled to wasip1 guests (testdata/*), run in-process on wazero by package
// wasihost with real host UDP sockets, against native peers. The package has only
// tests and benchmarks; the guests are built once per test binary.
//
//	go test ./wasm                                  # end-to-end tests
//	go test -run '^$' -bench . -benchmem ./wasm     # WASM vs native benchmarks
package wasm
