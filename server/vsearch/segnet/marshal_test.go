package segnet

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math"
	"math/rand/v2"
	"testing"
)

func TestMarshalRoundTrip(t *testing.T) {
	for _, cfg := range []Config{{}, {In: 2, E1: 3, E2: 5, E4: 6, Up1: 7, Up2: 2}} {
		n, err := New(cfg, 42)
		if err != nil {
			t.Fatal(err)
		}
		rng := rand.New(rand.NewPCG(1, 2))
		randomizeBiases(n, rng)
		blob, err := n.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		if want := blobHeader + 4*n.Params(); len(blob) != want {
			t.Errorf("blob is %d bytes, want %d", len(blob), want)
		}
		var m Net
		if err := m.UnmarshalBinary(blob); err != nil {
			t.Fatal(err)
		}
		if m.Config() != n.Config() {
			t.Errorf("config %+v after round trip, want %+v", m.Config(), n.Config())
		}
		again, err := m.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(blob, again) {
			t.Error("re-marshalled blob differs")
		}
		in := randomInput(rng, n.cfg.In, 32, 16)
		want := make([]float32, 32*16)
		got := make([]float32, 32*16)
		if err := n.Forward(in, 32, 16, want); err != nil {
			t.Fatal(err)
		}
		if err := m.Forward(in, 32, 16, got); err != nil {
			t.Fatal(err)
		}
		for i := range want {
			if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
				t.Fatalf("logit %d: %v after round trip, want %v (bit-identical)", i, got[i], want[i])
			}
		}
	}
}

func TestUnmarshalRefuses(t *testing.T) {
	n, err := New(Config{In: 2, E1: 3, E2: 4, E4: 5, Up1: 3, Up2: 2}, 1)
	if err != nil {
		t.Fatal(err)
	}
	good, err := n.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	edit := func(f func(b []byte) []byte) []byte {
		return f(bytes.Clone(good))
	}
	putU32 := func(at int, v uint32) []byte {
		return edit(func(b []byte) []byte { binary.LittleEndian.PutUint32(b[at:], v); return b })
	}
	cases := []struct {
		name string
		blob []byte
	}{
		{"empty", nil},
		{"header only", good[:blobHeader]},
		{"truncated header", good[:10]},
		{"truncated weights", good[:len(good)-1]},
		{"one weight short", good[:len(good)-4]},
		{"trailing byte", append(bytes.Clone(good), 0)},
		{"trailing weight", append(bytes.Clone(good), 0, 0, 0, 0)},
		{"bad magic", edit(func(b []byte) []byte { b[0] = 'X'; return b })},
		{"future version", putU32(4, blobVersion+1)},
		{"zero width", putU32(8+4*2, 0)},
		{"too wide", putU32(8+4*3, MaxChannels+1)},
		{"huge width", putU32(8, math.MaxUint32)},
		{"width changed", putU32(8+4*5, 3)},
		{"count mismatch", putU32(32, uint32(n.Params()+1))},
		{"NaN weight", putU32(blobHeader+4*7, math.Float32bits(float32(math.NaN())))},
		{"Inf weight", putU32(len(good)-4, math.Float32bits(float32(math.Inf(-1))))},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m, err := New(Config{In: 1, E1: 1, E2: 1, E4: 1, Up1: 1, Up2: 1}, 9)
			if err != nil {
				t.Fatal(err)
			}
			before, _ := m.MarshalBinary()
			err = m.UnmarshalBinary(tc.blob)
			if !errors.Is(err, ErrFormat) {
				t.Fatalf("UnmarshalBinary = %v, want ErrFormat", err)
			}
			if after, _ := m.MarshalBinary(); !bytes.Equal(before, after) {
				t.Error("a refused blob changed the network")
			}
		})
	}
}

func TestEmptyNet(t *testing.T) {
	var n Net
	if err := n.Forward(make([]float32, 6*16), 4, 4, make([]float32, 16)); err == nil {
		t.Error("Forward on a zero Net succeeded")
	}
	if _, err := n.MarshalBinary(); err == nil {
		t.Error("MarshalBinary on a zero Net succeeded")
	}
	if err := n.Train(t.Context(), []Sample{{}}, TrainOptions{}); err == nil {
		t.Error("Train on a zero Net succeeded")
	}
}

func FuzzUnmarshal(f *testing.F) {
	for _, cfg := range []Config{{In: 1, E1: 1, E2: 1, E4: 1, Up1: 1, Up2: 1}, {In: 2, E1: 3, E2: 2, E4: 4, Up1: 2, Up2: 3}} {
		n, err := New(cfg, 3)
		if err != nil {
			f.Fatal(err)
		}
		blob, err := n.MarshalBinary()
		if err != nil {
			f.Fatal(err)
		}
		f.Add(blob)
		f.Add(blob[:len(blob)/2])
	}
	f.Add([]byte("VSEG"))
	f.Fuzz(func(t *testing.T, data []byte) {
		var n Net
		if err := n.UnmarshalBinary(data); err != nil {
			if !errors.Is(err, ErrFormat) {
				t.Fatalf("error %v is not ErrFormat", err)
			}
			return
		}
		// An accepted blob is a working network that encodes back to the
		// same bytes.
		again, err := n.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(again, data) {
			t.Fatal("accepted blob does not round-trip")
		}
		if n.cfg.In*n.cfg.E1 > 64 {
			return // keep each fuzz iteration cheap
		}
		logits := make([]float32, 16)
		if err := n.Forward(make([]float32, n.cfg.In*16), 4, 4, logits); err != nil {
			t.Fatal(err)
		}
	})
}
