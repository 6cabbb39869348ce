//go:build !unix

package wasihost

import (
	"errors"
	"net/netip"
	"os"

	"github.com/h3wasi/h3wasi/internal/wasiabi"
)

// doorbellSupported says whether this platform gives modules sockets and
// the stdin doorbell; here it does not, and every sock_open fails with
// ENOSYS.
const doorbellSupported = false

var errNoSockets = errors.New("wasihost: sockets are not supported on this platform")

type hostSocket struct{ noGSO bool }

func openHostSocket(bool) (*hostSocket, error) { return nil, errNoSockets }

func (*hostSocket) bind(netip.AddrPort) error                  { return errNoSockets }
func (*hostSocket) localAddr() (netip.AddrPort, error)         { return netip.AddrPort{}, errNoSockets }
func (*hostSocket) sendTo([]byte, netip.AddrPort) (int, error) { return 0, errNoSockets }
func (*hostSocket) sendSegmented([]byte, int, netip.AddrPort) error {
	return errNoSockets
}
func (*hostSocket) recvFrom([]byte) (int, netip.AddrPort, error) {
	return 0, netip.AddrPort{}, errNoSockets
}
func (*hostSocket) setBuffer(int, int) error { return errNoSockets }
func (*hostSocket) setReuseAddr(int) error   { return errNoSockets }
func (*hostSocket) watch() error             { return errNoSockets }
func (*hostSocket) close() error             { return nil }
func toErrno(error) uint32                   { return wasiabi.ErrnoNosys }

func rawNonblock(*os.File) (int, error) { return -1, errNoSockets }
func writeByte(int, byte)               {}
