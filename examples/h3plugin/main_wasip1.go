package main

import (
	"fmt"
	"os"
)

// h3plugin embeds wasihost, which runs natively only; this stub keeps
// GOOS=wasip1 builds of ./examples/... working.
func main() {
	fmt.Fprintln(os.Stderr, "h3plugin hosts WebAssembly modules and runs natively only, not as one")
	os.Exit(2)
}
