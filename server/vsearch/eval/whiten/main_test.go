package main

import (
	"bytes"
	"context"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/vitrine-shop/vitrine/server/vsearch"
)

// TestLearnDiscountsWhatChangesBetweenPictures: pictures of one object
// differ along one direction of the shape block, objects along another.
// The learned projection must shrink the first against the second.
func TestLearnDiscountsWhatChangesBetweenPictures(t *testing.T) {
	shape := vsearch.NewDescriptor().Blocks()[vsearch.BlockShape]
	const dim = 389
	rng := rand.New(rand.NewPCG(1, 2))
	picture := func(identity float64) []float32 {
		v := make([]float32, dim)
		for i := range v {
			v[i] = float32(rng.NormFloat64() * 0.01)
		}
		v[shape.Start] += float32(rng.NormFloat64())         // changes with the picture
		v[shape.Start+1] += float32(identity)                // the object's own
		v[shape.Start+2] += float32(rng.NormFloat64() * 0.1) // a little of both
		return v
	}
	var objs []object
	for range 200 {
		id := rng.NormFloat64()
		objs = append(objs, object{views: [][]float32{picture(id), picture(id)}, photos: [][]float32{picture(id)}})
	}
	ws, err := Learn(objs, Options{Shrink: 0.01, Blocks: []string{"shape"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(ws) != 1 || ws[0].Block != vsearch.BlockShape {
		t.Fatalf("learned %d blocks", len(ws))
	}
	d := shape.End - shape.Start
	gain := func(axis int) float64 {
		var s float64
		for r := range d {
			s += float64(ws[0].Proj[r*d+axis]) * float64(ws[0].Proj[r*d+axis])
		}
		return math.Sqrt(s)
	}
	if changes, identity := gain(0), gain(1); changes*3 > identity {
		t.Errorf("gain along what changes between pictures %.3f, along the object's identity %.3f: want the first far smaller", changes, identity)
	}
	if _, err := Learn(objs, Options{Blocks: []string{"smell"}}); err == nil {
		t.Error("an unknown block was accepted")
	}
}

// TestRunWritesAWhiteningTheDescriptorReads runs the whole command on a
// few objects, twice, with different numbers of workers: the same seed
// must give the same bytes.
func TestRunWritesAWhiteningTheDescriptorReads(t *testing.T) {
	learn := func(workers int) []byte {
		out := filepath.Join(t.TempDir(), "whiten.bin")
		if err := run(context.Background(), out, Options{Objects: 3, Views: 2, Photos: 1, Seed: 1, Shrink: 1, Blocks: []string{"layout", "shape"}, Workers: workers}); err != nil {
			t.Fatal(err)
		}
		blob, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		return blob
	}
	blob := learn(2)
	if !bytes.Equal(blob, learn(1)) {
		t.Error("one and two workers learned different whitenings")
	}
	ws, err := vsearch.UnmarshalWhitening(blob)
	if err != nil {
		t.Fatal(err)
	}
	if len(ws) != 2 || ws[0].Block != vsearch.BlockLayout || ws[1].Block != vsearch.BlockShape {
		t.Fatalf("wrote blocks %v", ws)
	}
}
