package stream

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"testing"

	"github.com/vitrine-shop/vitrine/wire"
)

// model returns n deterministic bytes and the meta announcing them in
// chunks of chunkSize on stream 7.
func model(n, chunkSize int) ([]byte, wire.ModelMeta) {
	data := make([]byte, n)
	for i := range data {
		data[i] = byte(i*31 + i/7)
	}
	sum := sha256.Sum256(data)
	return data, wire.ModelMeta{
		Stream: 7, SKU: "chair-oak", Version: 3, Format: wire.FormatGLB,
		SizeBytes: int64(n), ChunkSize: chunkSize, Chunks: (n + chunkSize - 1) / chunkSize,
		SHA256: hex.EncodeToString(sum[:]),
	}
}

func chunk(data []byte, chunkSize, i int) []byte {
	end := min((i+1)*chunkSize, len(data))
	return data[i*chunkSize : end]
}

func hdr(i int) wire.FrameHeader {
	return wire.FrameHeader{Kind: wire.FrameModelChunk, Stream: 7, Index: uint32(i)}
}

func TestAssembleWholeModel(t *testing.T) {
	for _, tc := range []struct {
		name      string
		size      int
		chunkSize int
	}{
		{"one short chunk", 10, 64},
		{"exact multiple", 256, 64},
		{"remainder in last chunk", 300, 64},
		{"one byte", 1, 64},
	} {
		t.Run(tc.name, func(t *testing.T) {
			data, meta := model(tc.size, tc.chunkSize)
			a := New(0)
			if err := a.Begin(meta); err != nil {
				t.Fatalf("Begin: %v", err)
			}
			for i := 0; i < meta.Chunks; i++ {
				if err := a.Add(hdr(i), chunk(data, tc.chunkSize, i)); err != nil {
					t.Fatalf("Add(%d): %v", i, err)
				}
			}
			got, err := a.Done(wire.ModelDone{Stream: 7, Sent: meta.Chunks, SizeBytes: int64(tc.size)})
			if err != nil {
				t.Fatalf("Done: %v", err)
			}
			if !bytes.Equal(got, data) {
				t.Fatalf("model differs from what was sent")
			}
			if a.Active() || a.NextChunk() != 0 {
				t.Errorf("after Done: active=%v next=%d, want idle at 0", a.Active(), a.NextChunk())
			}
		})
	}
}

func TestBeginRejectsBadMeta(t *testing.T) {
	_, good := model(300, 64)
	for _, tc := range []struct {
		name   string
		mutate func(*wire.ModelMeta)
	}{
		{"zero size", func(m *wire.ModelMeta) { m.SizeBytes = 0 }},
		{"over the limit", func(m *wire.ModelMeta) { m.SizeBytes = 2000; m.Chunks = 32 }},
		{"zero chunk size", func(m *wire.ModelMeta) { m.ChunkSize = 0 }},
		{"chunk size over frame limit", func(m *wire.ModelMeta) { m.ChunkSize = wire.MaxBinaryFrameBytes + 1; m.Chunks = 1 }},
		{"chunk count too small", func(m *wire.ModelMeta) { m.Chunks = 4 }},
		{"chunk count too large", func(m *wire.ModelMeta) { m.Chunks = 6 }},
		{"negative from chunk", func(m *wire.ModelMeta) { m.FromChunk = -1 }},
		{"from chunk past the end", func(m *wire.ModelMeta) { m.FromChunk = 6 }},
		{"sha256 not hex", func(m *wire.ModelMeta) { m.SHA256 = "zz" }},
		{"sha256 too short", func(m *wire.ModelMeta) { m.SHA256 = "abcd" }},
		{"unknown format", func(m *wire.ModelMeta) { m.Format = "usdz" }},
		{"resume with nothing held", func(m *wire.ModelMeta) { m.FromChunk = 2 }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := good
			tc.mutate(&m)
			a := New(1000)
			if err := a.Begin(m); !errors.Is(err, ErrBadMeta) {
				t.Fatalf("Begin = %v, want ErrBadMeta", err)
			}
			if a.Active() {
				t.Errorf("stream active after a rejected meta")
			}
		})
	}
}

func TestAddRejectsBadChunks(t *testing.T) {
	data, meta := model(300, 64) // chunks 0..4, last one 44 bytes
	for _, tc := range []struct {
		name    string
		prior   int // chunks added correctly first
		header  wire.FrameHeader
		payload []byte
		want    error
	}{
		{"other stream", 0, wire.FrameHeader{Kind: wire.FrameModelChunk, Stream: 8}, chunk(data, 64, 0), ErrWrongStream},
		{"upload kind", 0, wire.FrameHeader{Kind: wire.FrameUploadChunk, Stream: 7}, chunk(data, 64, 0), ErrWrongStream},
		{"skips ahead", 1, hdr(2), chunk(data, 64, 2), ErrOutOfOrder},
		{"repeats a chunk", 2, hdr(1), chunk(data, 64, 1), ErrDuplicate},
		{"index past the end", 0, hdr(5), make([]byte, 10), ErrOversize},
		{"middle chunk too long", 0, hdr(0), make([]byte, 65), ErrOversize},
		{"middle chunk too short", 0, hdr(0), make([]byte, 63), ErrShortChunk},
		{"last chunk too long", 4, hdr(4), make([]byte, 45), ErrOversize},
		{"last chunk too short", 4, hdr(4), make([]byte, 43), ErrShortChunk},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := New(0)
			if err := a.Begin(meta); err != nil {
				t.Fatal(err)
			}
			for i := 0; i < tc.prior; i++ {
				if err := a.Add(hdr(i), chunk(data, 64, i)); err != nil {
					t.Fatalf("Add(%d): %v", i, err)
				}
			}
			if err := a.Add(tc.header, tc.payload); !errors.Is(err, tc.want) {
				t.Fatalf("Add = %v, want %v", err, tc.want)
			}
			if a.NextChunk() != tc.prior {
				t.Errorf("NextChunk = %d after a rejected chunk, want %d", a.NextChunk(), tc.prior)
			}
		})
	}
}

func TestAddBeforeBegin(t *testing.T) {
	if err := New(0).Add(hdr(0), []byte{1}); !errors.Is(err, ErrNotStarted) {
		t.Fatalf("Add = %v, want ErrNotStarted", err)
	}
}

func TestDoneVerifies(t *testing.T) {
	data, meta := model(300, 64)
	corrupt := bytes.Clone(data)
	corrupt[100] ^= 0xff
	for _, tc := range []struct {
		name   string
		source []byte
		chunks int
		done   wire.ModelDone
		want   error
	}{
		{"other stream", data, 5, wire.ModelDone{Stream: 9, Sent: 5, SizeBytes: 300}, ErrWrongStream},
		{"missing chunks", data, 4, wire.ModelDone{Stream: 7, Sent: 4, SizeBytes: 300}, ErrIncomplete},
		{"size disagrees", data, 5, wire.ModelDone{Stream: 7, Sent: 5, SizeBytes: 301}, ErrSizeMismatch},
		{"sent count disagrees", data, 5, wire.ModelDone{Stream: 7, Sent: 4, SizeBytes: 300}, ErrSizeMismatch},
		{"corrupted bytes", corrupt, 5, wire.ModelDone{Stream: 7, Sent: 5, SizeBytes: 300}, ErrChecksum},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := New(0)
			if err := a.Begin(meta); err != nil {
				t.Fatal(err)
			}
			for i := 0; i < tc.chunks; i++ {
				if err := a.Add(hdr(i), chunk(tc.source, 64, i)); err != nil {
					t.Fatalf("Add(%d): %v", i, err)
				}
			}
			got, err := a.Done(tc.done)
			if !errors.Is(err, tc.want) || got != nil {
				t.Fatalf("Done = %d bytes, %v; want nil, %v", len(got), err, tc.want)
			}
		})
	}
}

func TestResumeAfterInterruption(t *testing.T) {
	data, meta := model(300, 64)
	a := New(0)
	if err := a.Begin(meta); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		if err := a.Add(hdr(i), chunk(data, 64, i)); err != nil {
			t.Fatal(err)
		}
	}
	a.Interrupt()
	if held, total := a.Received(); held != 192 || total != 300 {
		t.Fatalf("Received = %d/%d, want 192/300", held, total)
	}
	if err := a.Add(hdr(3), chunk(data, 64, 3)); !errors.Is(err, ErrNotStarted) {
		t.Fatalf("Add while interrupted = %v, want ErrNotStarted", err)
	}

	resumed := meta
	resumed.Stream = 11 // a new connection numbers its streams afresh
	resumed.FromChunk = a.NextChunk()
	if err := a.Begin(resumed); err != nil {
		t.Fatalf("Begin(resume from %d): %v", resumed.FromChunk, err)
	}
	for i := 3; i < 5; i++ {
		h := hdr(i)
		h.Stream = 11
		if err := a.Add(h, chunk(data, 64, i)); err != nil {
			t.Fatalf("Add(%d): %v", i, err)
		}
	}
	got, err := a.Done(wire.ModelDone{Stream: 11, Sent: 2, SizeBytes: 300})
	if err != nil {
		t.Fatalf("Done: %v", err)
	}
	if !bytes.Equal(got, data) {
		t.Fatal("resumed model differs from what was sent")
	}
}

func TestResumeMustContinueWhereHeldChunksEnd(t *testing.T) {
	data, meta := model(300, 64)
	for _, tc := range []struct {
		name   string
		mutate func(*wire.ModelMeta)
	}{
		{"gap after held chunks", func(m *wire.ModelMeta) { m.FromChunk = 3 }},
		{"overlaps held chunks", func(m *wire.ModelMeta) { m.FromChunk = 1 }},
		{"another version", func(m *wire.ModelMeta) { m.FromChunk = 2; m.Version = 4 }},
		{"another product", func(m *wire.ModelMeta) { m.FromChunk = 2; m.SKU = "lamp" }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := New(0)
			if err := a.Begin(meta); err != nil {
				t.Fatal(err)
			}
			for i := 0; i < 2; i++ {
				if err := a.Add(hdr(i), chunk(data, 64, i)); err != nil {
					t.Fatal(err)
				}
			}
			a.Interrupt()
			m := meta
			tc.mutate(&m)
			if err := a.Begin(m); !errors.Is(err, ErrBadMeta) {
				t.Fatalf("Begin = %v, want ErrBadMeta", err)
			}
			if a.NextChunk() != 0 {
				t.Errorf("NextChunk = %d after a refused resume, want 0 (start over)", a.NextChunk())
			}
		})
	}
}

func TestRestartFromZeroDiscardsHeldChunks(t *testing.T) {
	data, meta := model(300, 64)
	a := New(0)
	if err := a.Begin(meta); err != nil {
		t.Fatal(err)
	}
	if err := a.Add(hdr(0), chunk(data, 64, 0)); err != nil {
		t.Fatal(err)
	}
	a.Interrupt()
	newData, newMeta := model(100, 64)
	newMeta.Version = 4
	if err := a.Begin(newMeta); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < newMeta.Chunks; i++ {
		if err := a.Add(hdr(i), chunk(newData, 64, i)); err != nil {
			t.Fatal(err)
		}
	}
	got, err := a.Done(wire.ModelDone{Stream: 7, Sent: newMeta.Chunks, SizeBytes: 100})
	if err != nil || !bytes.Equal(got, newData) {
		t.Fatalf("Done = %d bytes, %v; want the new version's 100 bytes", len(got), err)
	}
}

// FuzzAssembler feeds arbitrary frames after a valid meta; the assembler
// must never panic and must only return bytes whose checksum matches.
func FuzzAssembler(f *testing.F) {
	data, meta := model(200, 64)
	f.Add(wire.AppendFrame(nil, hdr(0), chunk(data, 64, 0)))
	f.Add([]byte{1, 0, 0, 0, 7, 0, 0, 0, 3, 9, 9})
	f.Fuzz(func(t *testing.T, frames []byte) {
		a := New(1 << 20)
		if err := a.Begin(meta); err != nil {
			t.Fatal(err)
		}
		for len(frames) >= wire.FrameHeaderSize {
			n := min(len(frames), wire.FrameHeaderSize+int(frames[0]))
			h, payload, werr := wire.DecodeFrame(frames[:n])
			frames = frames[n:]
			if werr == nil {
				_ = a.Add(h, payload)
			}
		}
		got, err := a.Done(wire.ModelDone{Stream: 7, Sent: meta.Chunks, SizeBytes: 200})
		if err == nil && !bytes.Equal(got, data) {
			t.Fatal("Done accepted bytes that differ from the model")
		}
	})
}
