// Command h3 is h3wasi's command-line tool.
//
//	h3 demo [--quic] [--size BYTES] [--parallel N] [--offload=false]
//
// compiles the HTTP/3 server of examples/h3server to WebAssembly (it needs the go
// command and this module's source), runs it under wasihost with loopback-only
// sockets, and sends it requests from the native http3.Transport: a page, the
// JSON API, a bulk download checked byte for byte, and parallel requests; it
// prints statuses, headers, the TLS details, timings and MB/s. With --quic it
// runs the QUIC echo server of examples/quicecho instead and talks to it on raw
// QUIC streams: echoes, a bulk transfer and parallel streams.
//
//	h3 get [-sSfLiIvkZ] [-X METHOD] [-H 'Name: value']... [-d DATA] [-T FILE] [-o FILE|-O] [-w FORMAT] [--retry N] [--0rtt --session-file FILE] URL...
//
// fetches URLs over HTTP/3 with curl's options, output (-v, -w) and exit codes
// (6 resolve, 7 connect, 22 -f, 28 timeout, 35 TLS); see h3 get --help.
//
//	h3 bench [-n N | -D DURATION] [-c CLIENTS] [-m STREAMS] [--warm-up DURATION] [-H 'Name: value']... [-k] URL
//
// load-tests an HTTP/3 server as h2load does: each client has its own QUIC
// connection with -m requests in flight; it prints req/s, MB/s, latency
// percentiles, status codes and errors.
//
//	h3 serve [--addr :4433] [--cert FILE --key FILE] [--tcp] [--log-format text|json] [--metrics=false] [--0rtt=false] [DIR]
//
// serves the files of DIR (default .) over HTTP/3 as http.FileServer does (ranges,
// ETag and If-Modified-Since, index.html, directory listings; nothing outside DIR,
// symbolic links included), with a fresh self-signed certificate unless --cert and
// --key are given. --tcp adds HTTP/1.1 and HTTP/2 over TLS on the same TCP port,
// whose responses carry Alt-Svc so that browsers move to HTTP/3. Each request is
// logged to stdout with log/slog; /metrics has Prometheus metrics (requests,
// bytes, connections, handshakes by kind, packets sent, lost and retransmitted,
// RTT); SIGINT or SIGTERM shuts down gracefully and prints a summary.
//
//	h3 wasm run [--allow RULE]... [--lookup] [--max-sockets N] [--memory MiB] [--dir HOST[:GUEST]]... module.wasm [args...]
//
// runs a WebAssembly (wasip1) module with UDP sockets scoped by a policy:
// loopback only by default, each --allow RULE (see wasihost.ParseRule,
// e.g. 10.0.0.0/8, 192.0.2.1:443, *:53) widening it.
//
//	h3 wasm build [-opt] [-o OUT] [-tags TAGS] PKG
//
// compiles a package to a wasip1 module (GOOS=wasip1 GOARCH=wasm go build
// -trimpath -ldflags='-s -w'), OUT defaulting to the package's name + .wasm;
// -opt then shrinks it with binaryen's wasm-opt -Oz if that is on PATH (apt-get
// install binaryen, or npm install -g binaryen). It prints the module's size
// after each step, raw and gzipped. It needs the go command, so it runs natively.
package main

import (
	"fmt"
	"io"
	"os"
	"sort"
)

// command is one subcommand of h3.
type command struct {
	summary string
	run     func(args []string, stdout, stderr io.Writer) int
}

// commands lists the subcommands; later ones (get, serve, demo, bench)
// join this table.
var commands = map[string]command{
	"wasm":  {"run WebAssembly modules with scoped UDP sockets", wasmMain},
	"serve": {"serve a directory over HTTP/3 (and HTTP/1.1, HTTP/2 with --tcp), with metrics", serveMain},
	"demo":  {"run an HTTP/3 server inside WebAssembly and send it requests natively (--quic: QUIC echo)", demoMain},
	"get":   {"fetch URLs over HTTP/3, with curl's options and exit codes", getMain},
	"bench": {"load-test an HTTP/3 server (h2load's -n -c -m -D)", benchMain},
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(stderr)
		return 2
	}
	c, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "h3: unknown command %q\n", args[0])
		usage(stderr)
		return 2
	}
	return c.run(args[1:], stdout, stderr)
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: h3 <command> [arguments]\n\ncommands:")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-8s %s\n", n, commands[n].summary)
	}
}
