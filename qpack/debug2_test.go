package qpack

import (
	"encoding/binary"
	"fmt"
	"os"
	"testing"
)

func TestDebugTheirs(t *testing.T) {
	path := os.Getenv("ENCFILE")
	if path == "" {
		t.Skip()
	}
	var size uint64 = 4096
	fmt.Sscan(os.Getenv("SIZE"), &size)
	b, _ := os.ReadFile(path)
	d := NewDecoder(DecoderConfig{MaxTableCapacity: size, MaxBlockedStreams: 100, InitialTableCapacity: size})
	var icBefore uint64
	per := map[string][2]int{}
	debugLine = func(name string, b []byte) {
		k := fmt.Sprintf("%s/%02x", name, b[0]&0xf0)
		v := per[k]
		v[0]++
		v[1] += len(b)
		per[k] = v
	}
	defer func() {
		debugLine = nil
		for k, v := range per {
			fmt.Println(k, v)
		}
	}()
	blockedRefs, esBytes, secBytes := 0, 0, 0
	for len(b) > 0 {
		id := binary.BigEndian.Uint64(b)
		l := int(binary.BigEndian.Uint32(b[8:]))
		data := b[12 : 12+l]
		b = b[12+l:]
		if id == 0 {
			icBefore = d.InsertCount()
			esBytes += l
			if err := d.WriteEncoderStream(data); err != nil {
				t.Fatal(err)
			}
			continue
		}
		secBytes += l
		enc, _, _ := readInt(data, 8)
		ric, _ := d.decodeRIC(enc)
		if ric > icBefore {
			blockedRefs++
		}
		icBefore = d.InsertCount()
		d.DecodeFieldSection(nil, id, data)
	}
	fmt.Println("sections", secBytes, "encoder", esBytes, "sections referencing this block's inserts", blockedRefs, "inserts", d.InsertCount())
}
