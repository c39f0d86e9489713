package main

import (
	"math/rand/v2"
	"testing"

	"github.com/vitrine-shop/vitrine/server/vsearch"
	"github.com/vitrine-shop/vitrine/server/vsearch/segnet"
)

func TestFlipMirrorsThePictureNotThePositions(t *testing.T) {
	const w, h = 4, 2
	c := vsearch.SegmentationInputChannels
	s := segnet.Sample{In: make([]float32, c*w*h), Target: make([]float32, w*h), W: w, H: h}
	for i := range s.In {
		s.In[i] = float32(i)
	}
	for i := range s.Target {
		s.Target[i] = float32(i%w) / w
	}
	var f segnet.Sample
	for seed := uint64(0); seed < 64; seed++ { // find a draw that flips
		if f = flip(rand.New(rand.NewPCG(seed, 1)), s); &f.In[0] != &s.In[0] {
			break
		}
	}
	if &f.In[0] == &s.In[0] {
		t.Fatal("flip never flipped")
	}
	plane := w * h
	for ch := range c {
		coord := ch == vsearch.SegmentationCoordinatePlanes[0] || ch == vsearch.SegmentationCoordinatePlanes[1]
		for y := range h {
			for x := range w {
				want := s.In[ch*plane+y*w+w-1-x]
				if coord {
					want = s.In[ch*plane+y*w+x]
				}
				if got := f.In[ch*plane+y*w+x]; got != want {
					t.Fatalf("plane %d (%d,%d) = %v, want %v", ch, x, y, got, want)
				}
			}
		}
	}
	for y := range h {
		for x := range w {
			if f.Target[y*w+x] != s.Target[y*w+w-1-x] {
				t.Fatal("target not mirrored")
			}
		}
	}
	if s.In[0] != 0 || s.Target[1] != 0.25 {
		t.Error("flip modified its input")
	}
}
