package qpack

import (
	"bufio"
	"fmt"
	"os"
	"sort"
	"strings"
	"testing"
)

func TestDebugCompression(t *testing.T) {
	name := os.Getenv("QIF")
	if name == "" {
		t.Skip()
	}
	f, _ := os.Open("testdata/interop/qifs/" + name + ".qif")
	var lists [][]HeaderField
	var cur []HeaderField
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		s := sc.Text()
		if strings.HasPrefix(s, "#") {
			continue
		}
		if s == "" {
			if cur != nil {
				lists = append(lists, cur)
			}
			cur = nil
			continue
		}
		n, v, _ := strings.Cut(s, "\t")
		cur = append(cur, HeaderField{Name: n, Value: v})
	}
	var size, blocked uint64 = 4096, 0
	fmt.Sscan(os.Getenv("SIZE"), &size)
	fmt.Sscan(os.Getenv("BLOCKED"), &blocked)
	e := NewEncoder(EncoderConfig{MaxTableCapacity: size, MaxBlockedStreams: blocked, TableCapacity: size})
	d := NewDecoder(DecoderConfig{MaxTableCapacity: size, MaxBlockedStreams: blocked})
	perName := map[string]int{}
	debugInserts = map[string]int{}
	defer func() { fmt.Println(debugInserts); debugInserts = nil }()
	kinds := map[string][5]int{}
	secTotal, esTotal := 0, 0
	for i, l := range lists {
		sec := e.EncodeFieldSection(nil, uint64(i+1), l)
		for j, r := range e.reps {
			k := kinds[l[j].Name]
			k[r.kind]++
			kinds[l[j].Name] = k
			one := e.appendReps(nil, 0)
			_ = one
		}
		for k := range debugInserts {
			_ = k
		}
		es := e.AppendEncoderStream(nil)
		secTotal += len(sec)
		esTotal += len(es)
		d.WriteEncoderStream(es)
		d.DecodeFieldSection(nil, uint64(i+1), sec)
		e.WriteDecoderStream(d.AppendDecoderStream(nil))
	}
	_ = perName
	fmt.Println("sections", secTotal, "encoder stream", esTotal)
	names := []string{}
	for n := range kinds {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Println(n, kinds[n])
	}
}
