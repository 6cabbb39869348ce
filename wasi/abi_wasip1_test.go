//go:build wasip1

package wasi

import (
	"testing"
	"unsafe"

	"github.com/h3wasi/h3wasi/internal/wasiabi"
)

// TestABILayout checks that the records this package passes to the host
// have the layouts internal/wasiabi defines, which wasihost reads.
func TestABILayout(t *testing.T) {
	var ai addrinfo
	var sa sockaddr
	for _, c := range []struct {
		name      string
		got, want uintptr
	}{
		{"iovec size", unsafe.Sizeof(iovec{}), wasiabi.IovecSize},
		{"address record size", unsafe.Sizeof(wasiAddr{}), wasiabi.AddrRecordSize},
		{"addrinfo size", unsafe.Sizeof(ai), wasiabi.AddrinfoSize},
		{"addrinfo.flags", unsafe.Offsetof(ai.flags), wasiabi.AddrinfoFlags},
		{"addrinfo.family", unsafe.Offsetof(ai.family), wasiabi.AddrinfoFamily},
		{"addrinfo.socktype", unsafe.Offsetof(ai.socktype), wasiabi.AddrinfoSocktype},
		{"addrinfo.protocol", unsafe.Offsetof(ai.protocol), wasiabi.AddrinfoProtocol},
		{"addrinfo.addrlen", unsafe.Offsetof(ai.addrlen), wasiabi.AddrinfoAddrlen},
		{"addrinfo.addr", unsafe.Offsetof(ai.addr), wasiabi.AddrinfoAddr},
		{"addrinfo.canonname", unsafe.Offsetof(ai.canonname), wasiabi.AddrinfoCanonname},
		{"addrinfo.canonname_len", unsafe.Offsetof(ai.canonameLen), wasiabi.AddrinfoCanonnameLen},
		{"addrinfo.next", unsafe.Offsetof(ai.next), wasiabi.AddrinfoNext},
		{"sockaddr size", unsafe.Sizeof(sa), wasiabi.SockaddrSize},
		{"sockaddr.family", unsafe.Offsetof(sa.family), wasiabi.SockaddrFamily},
		{"sockaddr.data_len", unsafe.Offsetof(sa.dataLen), wasiabi.SockaddrDataLen},
		{"sockaddr.data", unsafe.Offsetof(sa.data), wasiabi.SockaddrData},
	} {
		if c.got != c.want {
			t.Errorf("%s: %d, the ABI says %d", c.name, c.got, c.want)
		}
	}
}
