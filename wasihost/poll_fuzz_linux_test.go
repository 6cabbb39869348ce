//go:build linux

package wasihost

import (
	"encoding/binary"
	"testing"

	"github.com/h3wasi/h3wasi/internal/wasiabi"
)

// FuzzPollOneoff feeds arbitrary subscriptions to the poll_oneoff
// replacement. The doorbell is hung up first, so that no input can make it
// sleep; it must answer an errno and never panic or write outside memory.
func FuzzPollOneoff(f *testing.F) {
	sub := func(tag byte, fdOrTimeout uint64, flags uint16) []byte {
		s := make([]byte, subSize)
		binary.LittleEndian.PutUint64(s, 0xfeed)
		s[8] = tag
		if tag == eventClock {
			binary.LittleEndian.PutUint64(s[24:], fdOrTimeout)
			binary.LittleEndian.PutUint16(s[40:], flags)
		} else {
			binary.LittleEndian.PutUint32(s[16:], uint32(fdOrTimeout))
		}
		return s
	}
	// As Go's netpoller asks: a clock timeout and a read on stdin.
	f.Add(uint32(0), uint32(4096), uint32(2), uint32(8000), append(sub(eventClock, 1e6, 0), sub(eventFdRead, 0, 0)...))
	f.Add(uint32(0), uint32(4096), uint32(1), uint32(8000), sub(eventFdRead, 0, 0))
	f.Add(uint32(0), uint32(4096), uint32(3), uint32(8000), append(append(sub(eventFdWrite, 1, 0), sub(eventClock, 5, 1)...), sub(eventFdRead, 7, 0)...))
	mod := newMemModule(f)
	f.Fuzz(func(t *testing.T, in, out, n, nevents uint32, subs []byte) {
		mem := mod.Memory()
		buf, _ := mem.Read(0, 65536)
		clear(buf)
		copy(buf, subs)
		bell, err := newDoorbell()
		if err != nil {
			t.Fatal(err)
		}
		defer bell.close()
		bell.hangup()
		tb := newTable(Policy{}, 4, nil)
		tb.bell = bell
		defer tb.closeAll()
		if s, errno := tb.open(false); errno == wasiabi.ErrnoSuccess {
			s.wanted = true
		}
		if errno := tb.pollOneoff(mod, in%70000, out%70000, n%300, nevents%70000); errno > 76 {
			t.Fatalf("errno %d", errno)
		}
	})
}
