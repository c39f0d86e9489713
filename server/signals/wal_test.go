package signals

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

func testFrames(t *testing.T, n int) ([]byte, []int) {
	t.Helper()
	var data []byte
	var ends []int
	for i := range n {
		payload, err := marshalBatch(walBatch{Tokens: []uint64{uint64(i)}, Records: []Record{{EventID: "e", Type: "rotate", Consent: "analytics"}}})
		if err != nil {
			t.Fatal(err)
		}
		data = appendFrame(data, payload)
		ends = append(ends, len(data))
	}
	return data, ends
}

func TestScanFramesTornTail(t *testing.T) {
	whole, ends := testFrames(t, 3)
	flip := func(at int) []byte {
		b := bytes.Clone(whole)
		b[at] ^= 0x40
		return b
	}
	tests := []struct {
		name      string
		data      []byte
		wantValid int
		wantCount int
	}{
		{"whole", whole, len(whole), 3},
		{"empty", nil, 0, 0},
		{"short header", whole[:ends[1]+5], ends[1], 2},
		{"short payload", whole[:ends[2]-3], ends[1], 2},
		{"bad checksum in last", flip(ends[2] - 2), ends[1], 2},
		{"bad checksum in first", flip(frameHeaderBytes + 1), 0, 0},
		{"huge length", append(bytes.Clone(whole[:ends[0]]), 0xff, 0xff, 0xff, 0x7f, 0, 0, 0, 0), ends[0], 1},
		{"zero padding after", append(bytes.Clone(whole), make([]byte, 20)...), len(whole), 3},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			count := 0
			valid, err := scanFrames(tc.data, func(walBatch) error { count++; return nil })
			if err != nil {
				t.Fatal(err)
			}
			if valid != tc.wantValid || count != tc.wantCount {
				t.Fatalf("valid %d, %d batches; want %d, %d", valid, count, tc.wantValid, tc.wantCount)
			}
		})
	}
}

func TestRecoverSegmentTruncates(t *testing.T) {
	whole, ends := testFrames(t, 4)
	path := filepath.Join(t.TempDir(), "seg.wal")
	if err := os.WriteFile(path, whole[:ends[3]-7], 0o600); err != nil {
		t.Fatal(err)
	}
	valid, dropped, err := recoverSegment(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if valid != ends[2] || dropped != ends[3]-7-ends[2] {
		t.Fatalf("valid %d dropped %d; want %d %d", valid, dropped, ends[2], ends[3]-7-ends[2])
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Size() != int64(ends[2]) {
		t.Fatalf("file is %d bytes after recovery; want %d", fi.Size(), ends[2])
	}
	// Appending a frame after recovery yields a fully readable file.
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.Write(whole[ends[2]:ends[3]])
	f.Close()
	valid, total, err := readSegment(path, nil)
	if err != nil || valid != total || total != ends[3] {
		t.Fatalf("after re-append: valid %d of %d (%v); want %d", valid, total, err, ends[3])
	}
}

func TestDedupWindow(t *testing.T) {
	d := newDedup(3)
	for _, tok := range []uint64{1, 2, 3, 2, 4} {
		d.add(tok)
	}
	for tok, want := range map[uint64]bool{1: false, 2: true, 3: true, 4: true} {
		if d.has(tok) != want {
			t.Errorf("has(%d) = %v; want %v", tok, !want, want)
		}
	}
	path := filepath.Join(t.TempDir(), dedupFile)
	if err := d.save(path); err != nil {
		t.Fatal(err)
	}
	e := newDedup(3)
	if err := e.load(path); err != nil {
		t.Fatal(err)
	}
	if got := e.tokens(); len(got) != 3 || got[0] != 2 || got[2] != 4 {
		t.Fatalf("reloaded tokens %v; want [2 3 4]", got)
	}
	data, _ := os.ReadFile(path)
	data[9] ^= 1
	os.WriteFile(path, data, 0o600)
	if err := newDedup(3).load(path); err == nil {
		t.Fatal("a corrupt checkpoint loaded without error")
	}
}
