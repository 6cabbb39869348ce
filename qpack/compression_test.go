package qpack_test

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/h3wasi/h3wasi/qpack"
	"github.com/h3wasi/h3wasi/qpack/internal/qif"
)

var writeCompression = flag.Bool("compression-md", false, "write COMPRESSION.md from TestCompressionReport")

// corpusCase is one QIF encoded with one setting.
type corpusCase struct {
	qif string
	s   qif.Settings
}

// corpusSizes returns the size of every corpus encoder's output per case,
// the cases in a stable order, and the encoder names.
func corpusSizes(t *testing.T) (map[corpusCase]map[string]int, []corpusCase, []string) {
	files, err := filepath.Glob(filepath.Join(corpus, "encoded", "qpack-05", "*", "*.out.*"))
	if err != nil {
		t.Fatal(err)
	}
	sizes := map[corpusCase]map[string]int{}
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
		k := corpusCase{name, s}
		if sizes[k] == nil {
			sizes[k] = map[string]int{}
		}
		enc := filepath.Base(filepath.Dir(path))
		sizes[k][enc] = int(fi.Size())
		if !contains(encoders, enc) {
			encoders = append(encoders, enc)
		}
	}
	keys := make([]corpusCase, 0, len(sizes))
	for k := range sizes {
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
	return sizes, keys, encoders
}

// TestCompressionReport compares the size of our encoded files with the
// corpus encoders' for every QIF and setting they were run with. Run with
// -v to see the table, or -compression-md to rewrite COMPRESSION.md.
func TestCompressionReport(t *testing.T) {
	if testing.Short() {
		t.Skip("compression report skipped in -short mode (it encodes the whole corpus again)")
	}
	theirs, keys, encoders := corpusSizes(t)
	var sb strings.Builder
	fmt.Fprintf(&sb, "| QIF | table.blocked.ack | h3wasi |")
	for _, e := range encoders {
		fmt.Fprintf(&sb, " %s |", e)
	}
	fmt.Fprintf(&sb, " h3wasi vs best |\n|---|---|---:|%s---:|\n", strings.Repeat("---:|", len(encoders)))
	wins := 0
	lists := map[string][][]qpack.HeaderField{}
	var ratios []caseRatio
	for _, k := range keys {
		if lists[k.qif] == nil {
			lists[k.qif] = loadQIF(t, k.qif)
		}
		data, err := qif.Encode(lists[k.qif], k.s)
		if err != nil {
			t.Fatal(err)
		}
		ours, best := len(data), -1
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
		ratios = append(ratios, caseRatio{k, float64(ours) / float64(best)})
		if ours <= best {
			wins++
		}
	}
	fmt.Fprintf(&sb, "\nh3wasi is the smallest in %d of %d cases.\n", wins, len(keys))
	summary := settingSummary(ratios)
	t.Log("\n" + summary + "\n" + sb.String())
	if *writeCompression {
		writeCompressionMD(t, summary+"\n"+sb.String())
	}
}

// caseRatio is our size divided by the best corpus encoder's for one case.
type caseRatio struct {
	k     corpusCase
	ratio float64
}

// settingSummary tabulates, per setting (in the order of ratios), the mean
// and the worst ratio of our size to the best corpus encoder's over the QIFs.
func settingSummary(ratios []caseRatio) string {
	type agg struct {
		sum, worst float64
		worstQIF   string
		n          int
	}
	by := map[string]*agg{}
	var order []string
	for _, r := range ratios {
		name := settingsName(r.k.s)
		a := by[name]
		if a == nil {
			a = &agg{}
			by[name] = a
			order = append(order, name)
		}
		a.sum += r.ratio
		a.n++
		if r.ratio > a.worst {
			a.worst, a.worstQIF = r.ratio, r.k.qif
		}
	}
	var sb strings.Builder
	sb.WriteString("| table.blocked.ack | mean h3wasi/best | worst h3wasi/best |\n|---|---:|---|\n")
	for _, name := range order {
		a := by[name]
		fmt.Fprintf(&sb, "| %s | %.3f | %.3f (%s) |\n", name, a.sum/float64(a.n), a.worst, a.worstQIF)
	}
	return sb.String()
}

// historyHeading starts the hand-written part of COMPRESSION.md.
const historyHeading = "## History"

func writeCompressionMD(t *testing.T, table string) {
	doc := "# QPACK compression\n\n" +
		"Size in bytes of the offline-interop encoded file (encoder stream and field\n" +
		"sections, with the 12-byte block headers) for each QIF of `testdata/interop`,\n" +
		"by our encoder and by the encoders whose output is in the corpus. Settings are\n" +
		"table size, blocked streams and ack mode (1: every section acknowledged at once).\n" +
		"Regenerate with `go test ./qpack -run TestCompressionReport -compression-md`;\n" +
		"the hand-written History section at the end is kept. The first table gives,\n" +
		"per setting, the mean and the worst over the QIFs of our size divided by the\n" +
		"best corpus encoder's.\n\n" +
		table
	// The hand-written history at the end survives regeneration.
	if old, err := os.ReadFile("COMPRESSION.md"); err == nil {
		if i := strings.Index(string(old), "\n"+historyHeading+"\n"); i >= 0 {
			doc += string(old[i:])
		}
	}
	if err := os.WriteFile("COMPRESSION.md", []byte(doc), 0o644); err != nil {
		t.Fatal(err)
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
