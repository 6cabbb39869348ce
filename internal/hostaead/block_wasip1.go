//go:build wasip1 && (h3wasi_offload || h3wasi_hostcrypto)

package hostaead

import (
	"runtime"
	"unsafe"

	"github.com/h3wasi/h3wasi/internal/aeadbuf"
	"github.com/h3wasi/h3wasi/internal/wasiabi"
)

//go:wasmimport h3wasi_crypto block_new
//go:noescape
func block_new(suite uint32, key *byte, keyLen uint32, handle *uint32) uint32

//go:wasmimport h3wasi_crypto block_encrypt
//go:noescape
func block_encrypt(handle uint32, in *byte, out *byte) uint32

// NewBlockEncrypter returns the header protection mask function of a
// TLS 1.3 cipher suite for its header protection key, running in the
// host. Errors are as NewAEAD's; the host key is released when the
// encrypter is garbage collected.
func NewBlockEncrypter(suite uint16, key []byte) (Encrypter, error) {
	if !advertised {
		return nil, ErrUnavailable
	}
	var h uint32
	if e := block_new(uint32(suite), unsafe.SliceData(key), uint32(len(key)), &h); e != wasiabi.ErrnoSuccess {
		return nil, Errno(e)
	}
	b := &hostBlock{handle: h}
	runtime.AddCleanup(b, release, h)
	return b, nil
}

// hostBlock is a header protection cipher whose key lives in the host's
// table.
type hostBlock struct {
	handle uint32
}

func (b *hostBlock) BlockSize() int { return wasiabi.MaskSampleSize }

// Encrypt writes the mask of the sample in src's first 16 bytes to dst's
// first 16 bytes; as with cipher.Block, dst and src may be the same block
// but must not overlap otherwise.
func (b *hostBlock) Encrypt(dst, src []byte) {
	if len(src) < 16 {
		panic("hostcrypto: input not full block")
	}
	if len(dst) < 16 {
		panic("hostcrypto: output not full block")
	}
	if aeadbuf.InexactOverlap(dst[:16], src[:16]) {
		panic("hostcrypto: invalid buffer overlap")
	}
	e := block_encrypt(b.handle, unsafe.SliceData(src), unsafe.SliceData(dst))
	runtime.KeepAlive(b)
	if e != wasiabi.ErrnoSuccess {
		panic(Errno(e).Error())
	}
}
