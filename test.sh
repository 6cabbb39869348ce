#!/usr/bin/env bash
# Runs every test of h3wasi: go vet, the unit tests natively, the same unit tests
# inside WebAssembly (GOOS=wasip1 on wazero, through internal/cmd/wasmexec), and
# the interop tests of the separate interop/ and interop/wasm modules.
#
# Usage: ./test.sh            everything
#        ./test.sh -short     the same, with the long pair/interop cases trimmed
set -euo pipefail
cd "$(dirname "$0")"
args=("$@")

bin=$(mktemp -d)
trap 'rm -rf "$bin"' EXIT

echo "== go vet"
go vet ./...
GOOS=wasip1 GOARCH=wasm go vet ./...

echo "== unit tests (native)"
go test -count=1 "${args[@]}" ./...

echo "== unit tests (WebAssembly, wasip1 on wazero)"
go build -o "$bin/wasmexec" ./internal/cmd/wasmexec
GOOS=wasip1 GOARCH=wasm go test -count=1 -exec "$bin/wasmexec" "${args[@]}" ./...
# wasihost's native offloads (opt-in build tag h3wasi_offload; its older name
# h3wasi_hostcrypto is an alias, vetted too): packet protection with its AEADs and
# header-protection masks in the host (wasi/hostcrypto), segmented sends (wasi), and
# the core and the driver on top of them.
GOOS=wasip1 GOARCH=wasm go vet -tags h3wasi_offload ./...
GOOS=wasip1 GOARCH=wasm go vet -tags h3wasi_hostcrypto ./...
GOOS=wasip1 GOARCH=wasm go test -count=1 -tags h3wasi_offload -exec "$bin/wasmexec" "${args[@]}" \
  ./internal/protect ./wasi/hostcrypto ./internal/quicproto ./wasi ./quic

echo "== interop tests (quic-go, ngtcp2)"
(cd interop && go vet ./... && go test -count=1 "${args[@]}" ./...)

echo "== QUIC inside WebAssembly, end to end (wasm guests under wasihost against native peers)"
(cd interop/wasm && go vet ./... && go test -count=1 "${args[@]}" ./...)
echo "== all tests passed"
