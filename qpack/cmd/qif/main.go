// Command qif runs the h3wasi QPACK encoder and decoder on the files of the
// QPACK Offline Interop, so other implementations can check us:
//
//	qif encode [-table-size N] [-max-blocked N] [-ack-mode 0|1] in.qif out.bin
//	qif decode [-table-size N] [-max-blocked N] in.bin out.qif
//
// The encoded file is a sequence of blocks (8-byte big-endian stream ID, 0
// for the encoder stream; 4-byte big-endian length; data); the n-th header
// list of a QIF is stream n. For decode, the settings default to the ones in
// the file name suffix .out.<table size>.<max blocked>.<ack mode>. Use "-"
// for standard input or output.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/h3wasi/h3wasi/qpack/internal/qif"
)

func main() {
	if len(os.Args) < 2 {
		usage()
	}
	var err error
	switch os.Args[1] {
	case "encode":
		err = encode(os.Args[2:])
	case "decode":
		err = decode(os.Args[2:])
	default:
		usage()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "qif:", err)
		os.Exit(1)
	}
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: qif encode [-table-size N] [-max-blocked N] [-ack-mode 0|1] in.qif out.bin")
	fmt.Fprintln(os.Stderr, "       qif decode [-table-size N] [-max-blocked N] in.bin out.qif")
	os.Exit(2)
}

// flags parses the settings flags. Flags not given take their value from
// the file name suffix when fromName is set and the name has one, else from
// def.
func flags(name string, args []string, def qif.Settings, fromName bool) (qif.Settings, []string, error) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	size := fs.Uint64("table-size", def.TableSize, "dynamic table capacity (SETTINGS_QPACK_MAX_TABLE_CAPACITY)")
	blocked := fs.Uint64("max-blocked", def.MaxBlocked, "SETTINGS_QPACK_BLOCKED_STREAMS")
	ack := fs.Int("ack-mode", def.AckMode, "1: assume each section is acknowledged at once")
	if err := fs.Parse(args); err != nil {
		return qif.Settings{}, nil, err
	}
	if fs.NArg() != 2 {
		usage()
	}
	if n, ok := qif.ParseName(filepath.Base(fs.Arg(0))); ok && fromName {
		set := map[string]bool{}
		fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
		if !set["table-size"] {
			*size = n.TableSize
		}
		if !set["max-blocked"] {
			*blocked = n.MaxBlocked
		}
	}
	return qif.Settings{TableSize: *size, MaxBlocked: *blocked, AckMode: *ack}, fs.Args(), nil
}

func encode(args []string) error {
	s, files, err := flags("encode", args, qif.Settings{TableSize: 4096, MaxBlocked: 100}, false)
	if err != nil {
		return err
	}
	in, err := readInput(files[0])
	if err != nil {
		return err
	}
	lists, err := qif.Parse(bytes.NewReader(in))
	if err != nil {
		return err
	}
	out, err := qif.Encode(lists, s)
	if err != nil {
		return err
	}
	return writeOutput(files[1], out)
}

func decode(args []string) error {
	s, files, err := flags("decode", args, qif.Settings{}, true)
	if err != nil {
		return err
	}
	in, err := readInput(files[0])
	if err != nil {
		return err
	}
	lists, _, err := qif.Decode(in, s)
	if err != nil {
		return err
	}
	var b bytes.Buffer
	if err := qif.Write(&b, lists); err != nil {
		return err
	}
	return writeOutput(files[1], b.Bytes())
}

func readInput(name string) ([]byte, error) {
	if name == "-" {
		return io.ReadAll(os.Stdin)
	}
	return os.ReadFile(name)
}

func writeOutput(name string, b []byte) error {
	if name == "-" {
		_, err := os.Stdout.Write(b)
		return err
	}
	return os.WriteFile(name, b, 0o644)
}
