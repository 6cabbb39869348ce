module github.com/h3wasi/h3wasi

go 1.26.8

require (
	github.com/tetratelabs/wazero v1.12.0
	golang.org/x/crypto v0.59.0
	golang.org/x/sys v0.50.0
)
