module github.com/h3wasi/h3wasi

go 1.26.8

require github.com/tetratelabs/wazero v1.12.0

require (
	golang.org/x/crypto v0.59.0 // indirect
	golang.org/x/sys v0.50.0 // indirect
)
