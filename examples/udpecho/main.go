// Command udpecho is a UDP echo server and client that builds unchanged for
// native platforms and for WebAssembly (GOOS=wasip1 GOARCH=wasm), where
// package wasi gives it the host's sockets:
//
//	udpecho serve 127.0.0.1:7007
//	udpecho send 127.0.0.1:7007 hello world
//
//	GOOS=wasip1 GOARCH=wasm go build -o udpecho.wasm ./examples/udpecho
//	h3 wasm run udpecho.wasm serve 127.0.0.1:7007
package main

import (
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/h3wasi/h3wasi/wasi"
)

func main() {
	if len(os.Args) < 3 {
		fmt.Fprintln(os.Stderr, "usage: udpecho serve ADDR | udpecho send ADDR MESSAGE...")
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "serve":
		err = serve(os.Args[2])
	case "send":
		err = send(os.Args[2], strings.Join(os.Args[3:], " "))
	default:
		err = fmt.Errorf("unknown command %q", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "udpecho:", err)
		os.Exit(1)
	}
}

// serve echoes every datagram to its sender.
func serve(addr string) error {
	c, err := wasi.ListenPacket("udp", addr)
	if err != nil {
		return err
	}
	defer c.Close()
	fmt.Println("listening on", c.LocalAddr())
	buf := make([]byte, 65535)
	for {
		n, from, err := c.ReadFrom(buf)
		if err != nil {
			return err
		}
		if _, err := c.WriteTo(buf[:n], from); err != nil {
			return err
		}
	}
}

// send sends msg to addr and prints the echo and the round-trip time.
func send(addr, msg string) error {
	to, err := wasi.ResolveUDPAddr("udp", addr)
	if err != nil {
		return err
	}
	local := "127.0.0.1:0"
	if to.IP.To4() == nil {
		local = "[::1]:0"
		if !to.IP.IsLoopback() {
			local = "[::]:0"
		}
	} else if !to.IP.IsLoopback() {
		local = "0.0.0.0:0"
	}
	c, err := wasi.ListenPacket("udp", local)
	if err != nil {
		return err
	}
	defer c.Close()
	start := time.Now()
	if _, err := c.WriteTo([]byte(msg), to); err != nil {
		return err
	}
	c.SetReadDeadline(time.Now().Add(3 * time.Second))
	buf := make([]byte, 65535)
	n, from, err := c.ReadFrom(buf)
	if err != nil {
		return err
	}
	fmt.Printf("%q from %v in %v\n", buf[:n], from, time.Since(start).Round(time.Microsecond))
	return nil
}
