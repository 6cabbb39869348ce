// Package wasm tests QUIC inside WebAssembly end to end: h3wasi's package quic and
// quic-go compiled to wasip1 guests (testdata/*), run in-process on wazero by package
// wasihost with real host UDP sockets, against native peers. The package has only
// tests and benchmarks; the guests are built once per test binary, and wazero keeps
// their compiled code in a cache directory (H3WASI_WASM_CACHE, or h3wasi-wasm under the
// user cache directory) shared with the wasihost tests.
//
// It is a module of its own, beside the interop module, since it also requires wazero;
// run it from this directory:
//
//	go test .                                        # end-to-end tests
//	go test -run '^$' -bench . -benchmem .           # WASM vs native benchmarks
//	go test -run TestGuestProfile -v . -args -guestprofile=ourserver
package wasm
