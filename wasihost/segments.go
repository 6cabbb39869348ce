package wasihost

import (
	"context"
	"errors"
	"net/netip"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"

	"github.com/h3wasi/h3wasi/internal/wasiabi"
)

// Segmented sends (wasiabi.ModuleSock's send_segments): a guest hands over a
// run of equal-sized datagrams to one address in one call. On Linux the run
// leaves in one UDP_SEGMENT sendmsg; elsewhere, or where the kernel refuses
// segmentation, one sendto per datagram, still saving the guest a host call
// each.

// A run's limits per system call: Linux's UDP_MAX_SEGMENTS and a margin
// under the largest UDP payload.
const (
	maxSegments    = 64
	maxSegmentsLen = 65000
)

// exportSegments builds the wasiabi.ModuleSock host module in r.
func (t *table) exportSegments(ctx context.Context, r wazero.Runtime) error {
	b := r.NewHostModuleBuilder(wasiabi.ModuleSock)
	t.exportFuncs(b, []hostExport{{wasiabi.SendSegments, t.sendSegments}})
	_, err := b.Instantiate(ctx)
	return err
}

// send_segments(fd, buf, buf_len, seg_size, *addr, port, *nwritten)
func (t *table) sendSegments(mod api.Module, p []uint32) uint32 {
	s := t.get(int32(p[0]))
	if s == nil {
		return wasiabi.ErrnoBadf
	}
	seg := int(p[3])
	if seg == 0 || seg > maxDatagram {
		return wasiabi.ErrnoInval
	}
	mem := mod.Memory()
	to, errno := t.sendTarget(s, mem, p[4], p[5])
	if errno != wasiabi.ErrnoSuccess {
		return errno
	}
	b, ok := mem.Read(p[1], p[2]) // straight from guest memory: no copy
	if !ok {
		return wasiabi.ErrnoFault
	}
	sent, err := s.h.sendRuns(b, seg, to)
	if err != nil && sent == 0 {
		return toErrno(err)
	}
	return writeU32(mem, p[6], uint32(sent))
}

// sendRuns sends b as datagrams of seg bytes to to, in runs as long as the
// kernel takes, and returns how many bytes left (whole datagrams).
func (s *hostSocket) sendRuns(b []byte, seg int, to netip.AddrPort) (int, error) {
	run := min(maxSegments, maxSegmentsLen/seg) * seg
	sent := 0
	for sent < len(b) {
		n := min(run, len(b)-sent)
		if n > seg && !s.noGSO {
			err := s.sendSegmented(b[sent:sent+n], seg, to)
			if errors.Is(err, errNoGSO) {
				s.noGSO = true
				continue
			}
			if err != nil { // a segmented send is all or nothing
				return sent, err
			}
			sent += n
			continue
		}
		m, err := s.sendEach(b[sent:sent+n], seg, to)
		sent += m
		if err != nil {
			return sent, err
		}
	}
	return sent, nil
}

// sendEach sends b as datagrams of seg bytes one by one and returns how many
// bytes left before an error.
func (s *hostSocket) sendEach(b []byte, seg int, to netip.AddrPort) (int, error) {
	sent := 0
	for sent < len(b) {
		n := min(seg, len(b)-sent)
		if _, err := s.sendTo(b[sent:sent+n], to); err != nil {
			return sent, err
		}
		sent += n
	}
	return sent, nil
}

// errNoGSO says the kernel or the path cannot segment.
var errNoGSO = errors.New("wasihost: no UDP segmentation offload")
