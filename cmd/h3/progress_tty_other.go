//go:build !linux

package main

import "os"

// fileIsTTY reports whether f is a terminal. Without an ioctl (wasip1 has none,
// and this keeps other systems free of per-OS code) it takes a character device
// for one, with a TERM that is not "dumb".
func fileIsTTY(f *os.File) bool {
	fi, err := f.Stat()
	if err != nil || fi.Mode()&os.ModeCharDevice == 0 {
		return false
	}
	return os.Getenv("TERM") != "dumb"
}
