package qpack_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/h3wasi/h3wasi/qpack"
	"github.com/h3wasi/h3wasi/qpack/internal/qif"
)

const corpus = "testdata/interop"

// loadQIF reads a QIF of the corpus by base name.
func loadQIF(t testing.TB, name string) [][]qpack.HeaderField {
	t.Helper()
	f, err := os.Open(filepath.Join(corpus, "qifs", name+".qif"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	lists, err := qif.Parse(f)
	if err != nil {
		t.Fatal(err)
	}
	return lists
}

func compareLists(t *testing.T, got, want [][]qpack.HeaderField) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%d header lists, want %d", len(got), len(want))
	}
	for i := range want {
		if !qif.Equal(got[i], want[i]) {
			t.Fatalf("list %d:\n got %v\nwant %v", i, got[i], want[i])
		}
	}
}

// TestInteropDecode decodes every encoded file of the offline interop
// corpus (every encoder, table size, blocked-streams limit and ack mode) and
// compares the result with the QIF it was made from.
func TestInteropDecode(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(corpus, "encoded", "qpack-05", "*", "*.out.*"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no corpus files: %v", err)
	}
	qifs := map[string][][]qpack.HeaderField{}
	for _, path := range files {
		base := filepath.Base(path)
		name := base[:strings.Index(base, ".out.")]
		t.Run(filepath.Base(filepath.Dir(path))+"/"+base, func(t *testing.T) {
			s, ok := qif.ParseName(base)
			if !ok {
				t.Fatalf("bad name %s", base)
			}
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			got, _, err := qif.Decode(data, s)
			if err != nil {
				t.Fatal(err)
			}
			want, ok := qifs[name]
			if !ok {
				if name == "examples" {
					want = rfcExampleLists
				} else {
					want = loadQIF(t, name)
				}
				qifs[name] = want
			}
			compareLists(t, got, want)
		})
	}
}

// TestInteropDraftExamples decodes the corpus's draft-examples.out, which
// has no settings in its name; it sets its own capacity (170) below 256.
func TestInteropDraftExamples(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(corpus, "encoded", "qpack-05", "draft-examples.out"))
	if err != nil {
		t.Fatal(err)
	}
	got, ids, err := qif.Decode(data, qif.Settings{TableSize: 256, MaxBlocked: 100})
	if err != nil {
		t.Fatal(err)
	}
	compareLists(t, got, loadQIF(t, "draft-examples"))
	if len(ids) != 3 || ids[0] != 4 || ids[2] != 12 {
		t.Fatalf("stream IDs %v", ids)
	}
}

// rfcExampleLists are the field sections of RFC 9204 Appendix B, which the
// corpus's "examples" file encodes (streams 0, 4 and 8).
var rfcExampleLists = [][]qpack.HeaderField{
	{{Name: ":path", Value: "/index.html"}},
	{{Name: ":authority", Value: "www.example.com"}, {Name: ":path", Value: "/sample/path"}},
	{{Name: ":authority", Value: "www.example.com"}, {Name: ":path", Value: "/"}, {Name: "custom-key", Value: "custom-value"}},
}

// TestInteropRoundTrip encodes every QIF of the corpus with our encoder at
// table sizes 0, 256, 512 and 4096, blocked streams 0 and 100, and both
// ack modes, then decodes it with our decoder.
func TestInteropRoundTrip(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(corpus, "qifs", "*.qif"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no QIFs: %v", err)
	}
	for _, path := range files {
		name := strings.TrimSuffix(filepath.Base(path), ".qif")
		want := loadQIF(t, name)
		for _, size := range []uint64{0, 256, 512, 4096} {
			for _, blocked := range []uint64{0, 100} {
				for _, ack := range []int{0, 1} {
					s := qif.Settings{TableSize: size, MaxBlocked: blocked, AckMode: ack}
					t.Run(name+"/"+settingsName(s), func(t *testing.T) {
						data, err := qif.Encode(want, s)
						if err != nil {
							t.Fatal(err)
						}
						got, _, err := qif.Decode(data, s)
						if err != nil {
							t.Fatal(err)
						}
						compareLists(t, got, want)
					})
				}
			}
		}
	}
}

func settingsName(s qif.Settings) string {
	var b bytes.Buffer
	b.WriteString(itoa(s.TableSize))
	b.WriteByte('.')
	b.WriteString(itoa(s.MaxBlocked))
	b.WriteByte('.')
	b.WriteString(itoa(uint64(s.AckMode)))
	return b.String()
}

func itoa(v uint64) string {
	if v == 0 {
		return "0"
	}
	var b [20]byte
	i := len(b)
	for v > 0 {
		i--
		b[i] = byte('0' + v%10)
		v /= 10
	}
	return string(b[i:])
}
