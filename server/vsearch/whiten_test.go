package vsearch

import (
	"errors"
	"math"
	"testing"
)

// identityWhitening whitens block b with a zero mean and scale·identity.
func identityWhitening(b int, scale float32) WhitenedBlock {
	d := descriptorBlocks[b].End - descriptorBlocks[b].Start
	w := WhitenedBlock{Block: b, Mean: make([]float32, d), Proj: make([]float32, d*d)}
	for i := range d {
		w.Proj[i*d+i] = scale
	}
	return w
}

func TestWhiteningRoundTrip(t *testing.T) {
	in := []WhitenedBlock{identityWhitening(BlockShape, 2), identityWhitening(BlockLayout, 1)}
	in[0].Mean[3] = 0.25
	blob, err := MarshalWhitening(in)
	if err != nil {
		t.Fatal(err)
	}
	out, err := UnmarshalWhitening(blob)
	if err != nil {
		t.Fatal(err)
	}
	if len(out) != 2 || out[0].Block != BlockShape || out[1].Block != BlockLayout || out[0].Mean[3] != 0.25 || out[0].Proj[0] != 2 {
		t.Fatalf("round trip changed the whitening: %+v", out[0].Mean[:4])
	}
}

func TestWhiteningRejectsMalformedBlobs(t *testing.T) {
	good, err := MarshalWhitening([]WhitenedBlock{identityWhitening(BlockLayout, 1)})
	if err != nil {
		t.Fatal(err)
	}
	wrongDim := identityWhitening(BlockLayout, 1)
	wrongDim.Block = BlockShape
	nan := identityWhitening(BlockLayout, 1)
	nan.Proj[5] = float32(math.NaN())
	for name, blocks := range map[string][]WhitenedBlock{
		"dimension of another block": {wrongDim},
		"not finite":                 {nan},
		"block twice":                {identityWhitening(BlockLayout, 1), identityWhitening(BlockLayout, 1)},
		"no such block":              {{Block: numBlocks}},
	} {
		if _, err := MarshalWhitening(blocks); !errors.Is(err, ErrWhitening) {
			t.Errorf("%s: marshal gave %v", name, err)
		}
	}
	for name, blob := range map[string][]byte{
		"empty":          nil,
		"other magic":    append([]byte("XWHT1"), good[5:]...),
		"truncated":      good[:len(good)-1],
		"trailing bytes": append(append([]byte{}, good...), 0),
		"too many":       append([]byte(whitenMagic), 0xff, 0xff, 0xff, 0xff),
	} {
		if _, err := UnmarshalWhitening(blob); !errors.Is(err, ErrWhitening) {
			t.Errorf("%s: unmarshal gave %v", name, err)
		}
	}
}

func TestWhitenProjectsAndNormalises(t *testing.T) {
	var blocks [numBlocks][]float32
	for b := range numBlocks {
		blocks[b] = make([]float32, descriptorBlocks[b].End-descriptorBlocks[b].Start)
		blocks[b][0], blocks[b][1] = 0.6, 0.8
	}
	w := identityWhitening(BlockShape, 3)
	w.Mean[1] = 0.8 // only the first dimension is left
	whiten(&blocks, []WhitenedBlock{w})
	if got := blocks[BlockShape]; got[0] != 1 || got[1] != 0 {
		t.Errorf("whitened shape block starts %v, want [1 0]", got[:2])
	}
	if got := blocks[BlockLayout]; got[0] != 0.6 || got[1] != 0.8 {
		t.Errorf("an unwhitened block changed: %v", got[:2])
	}
}

func TestEmbeddedWhiteningLoads(t *testing.T) {
	ws, err := learnedWhitening()
	if err != nil {
		t.Fatal(err)
	}
	if len(ws) == 0 {
		t.Fatal("the embedded whitening whitens no block")
	}
}

func FuzzUnmarshalWhitening(f *testing.F) {
	good, err := MarshalWhitening([]WhitenedBlock{identityWhitening(BlockLayout, 1)})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add(whitenWeights)
	f.Add([]byte(whitenMagic))
	f.Fuzz(func(t *testing.T, data []byte) {
		ws, err := UnmarshalWhitening(data)
		if err != nil {
			if !errors.Is(err, ErrWhitening) {
				t.Fatalf("error %v is not ErrWhitening", err)
			}
			return
		}
		again, err := MarshalWhitening(ws)
		if err != nil {
			t.Fatalf("decoded whitening does not encode: %v", err)
		}
		if string(again) != string(data) {
			t.Fatal("decode then encode changed the blob")
		}
	})
}
