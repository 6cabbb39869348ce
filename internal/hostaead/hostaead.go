// Package hostaead is the guest side of wasihost's packet crypto offload:
// AEADs and header protection masks computed by the host functions of
// module "h3wasi_crypto" (see internal/wasiabi for the ABI and package
// wasi/hostcrypto, its public face, for their semantics).
//
// It lives below internal/protect, which uses it directly, so that packet
// protection depends on no wasi package. The host functions are imported
// only with GOOS=wasip1 and the build tag h3wasi_offload (or its older
// name h3wasi_hostcrypto); otherwise Enabled is false and the constructors
// return ErrUnavailable.
package hostaead

import (
	"errors"
	"strconv"

	"github.com/h3wasi/h3wasi/internal/wasiabi"
)

// Errors of NewAEAD, NewBlockEncrypter and an AEAD's Open.
var (
	ErrUnavailable = errors.New("hostcrypto: host crypto is not available (build with GOOS=wasip1 -tags h3wasi_offload and run on wasihost)")
	ErrOpen        = errors.New("hostcrypto: message authentication failed")
)

// Encrypter computes header protection masks: Encrypt writes the 16-byte
// mask of the 16-byte sample src to dst.
type Encrypter interface {
	BlockSize() int
	Encrypt(dst, src []byte)
}

// Errno is a WASI errno answered by a host crypto function.
type Errno uint32

func (e Errno) Error() string {
	switch e {
	case wasiabi.ErrnoBadf:
		return "hostcrypto: bad key handle"
	case wasiabi.ErrnoBadmsg:
		return "hostcrypto: message authentication failed"
	case wasiabi.ErrnoFault:
		return "hostcrypto: buffer outside guest memory"
	case wasiabi.ErrnoInval:
		return "hostcrypto: invalid argument"
	case wasiabi.ErrnoMfile:
		return "hostcrypto: host key table full"
	}
	return "hostcrypto: errno " + strconv.FormatUint(uint64(e), 10)
}
