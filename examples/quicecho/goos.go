package main

import "runtime"

// goos names the platform the demo runs on, to show the same code ran in WebAssembly.
func goos() string { return runtime.GOOS + "/" + runtime.GOARCH }
