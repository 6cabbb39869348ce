//go:build linux

package main

import (
	"os"
	"syscall"
	"unsafe"
)

// fileIsTTY reports whether f is a terminal: whether it answers TCGETS.
func fileIsTTY(f *os.File) bool {
	rc, err := f.SyscallConn()
	if err != nil {
		return false
	}
	ok := false
	rc.Control(func(fd uintptr) {
		var t syscall.Termios
		_, _, errno := syscall.Syscall(syscall.SYS_IOCTL, fd, syscall.TCGETS, uintptr(unsafe.Pointer(&t)))
		ok = errno == 0
	})
	return ok
}
