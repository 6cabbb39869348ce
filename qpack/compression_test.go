package qpack_test

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/h3wasi/h3wasi/qpack/internal/qif"
)

var writeCompression = flag.Bool("compression-md", false, "write COMPRESSION.md from TestCompressionReport")

// TestCompressionReport compares the size of our encoded files with the
// corpus encoders' for every QIF and setting they were run with. Run with
// -v to see the table, or -compression-md to rewrite COMPRESSION.md.
func TestCompressionReport(t *testing.T) {
	if testing.Short() {
		t.Skip("compression report skipped in -short mode (it encodes the whole corpus again)")
	}
	files, err := filepath.Glob(filepath.Join(corpus, "encoded", "qpack-05", "*", "*.out.*"))
	if err != nil {
		t.Fatal(err)
	}
	type key struct {
		qif string
		s   qif.Settings
	}
	theirs := map[key]map[string]int{}
	var encoders []string
	for _, path := range files {
		base := filepath.Base(path)
		name := base[:strings.Index(base, ".out.")]
		if name == "examples" {
			continue
		}
		s, _ := qif.ParseName(base)
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		k := key{name, s}
		if theirs[k] == nil {
			theirs[k] = map[string]int{}
		}
		enc := filepath.Base(filepath.Dir(path))
		theirs[k][enc] = int(fi.Size())
		if !contains(encoders, enc) {
			encoders = append(encoders, enc)
		}
	}
	keys := make([]key, 0, len(theirs))
	for k := range theirs {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		a, b := keys[i], keys[j]
		if a.qif != b.qif {
			return a.qif < b.qif
		}
		if a.s.TableSize != b.s.TableSize {
			return a.s.TableSize < b.s.TableSize
		}
		if a.s.MaxBlocked != b.s.MaxBlocked {
			return a.s.MaxBlocked < b.s.MaxBlocked
		}
		return a.s.AckMode < b.s.AckMode
	})
	var sb strings.Builder
	fmt.Fprintf(&sb, "| QIF | table.blocked.ack | h3wasi |")
	for _, e := range encoders {
		fmt.Fprintf(&sb, " %s |", e)
	}
	fmt.Fprintf(&sb, " h3wasi vs best |\n|---|---|---:|")
	for range encoders {
		sb.WriteString("---:|")
	}
	sb.WriteString("---:|\n")
	wins, total := 0, 0
	lists := map[string]int{}
	for _, k := range keys {
		want := loadQIF(t, k.qif)
		lists[k.qif] = len(want)
		data, err := qif.Encode(want, k.s)
		if err != nil {
			t.Fatal(err)
		}
		ours := len(data)
		best := -1
		fmt.Fprintf(&sb, "| %s | %s | %d |", k.qif, settingsName(k.s), ours)
		for _, e := range encoders {
			n, ok := theirs[k][e]
			if !ok {
				sb.WriteString(" - |")
				continue
			}
			fmt.Fprintf(&sb, " %d |", n)
			if best < 0 || n < best {
				best = n
			}
		}
		fmt.Fprintf(&sb, " %+.1f%% |\n", 100*float64(ours-best)/float64(best))
		total++
		if ours <= best {
			wins++
		}
	}
	fmt.Fprintf(&sb, "\nh3wasi is the smallest in %d of %d cases.\n", wins, total)
	t.Log("\n" + sb.String())
	if *writeCompression {
		doc := "# QPACK compression\n\n" +
			"Size in bytes of the offline-interop encoded file (encoder stream and field\n" +
			"sections, with the 12-byte block headers) for each QIF of `testdata/interop`,\n" +
			"by our encoder and by the encoders whose output is in the corpus. Settings are\n" +
			"table size, blocked streams and ack mode (1: every section acknowledged at once).\n" +
			"Regenerate with `go test ./qpack -run TestCompressionReport -compression-md`.\n\n" +
			sb.String()
		if err := os.WriteFile("COMPRESSION.md", []byte(doc), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
