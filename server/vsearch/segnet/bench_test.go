package segnet

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"testing"
)

// BenchmarkForward64 is one inference on a 64×64×6 input with the default
// widths: the cost added to every search query.
func BenchmarkForward64(b *testing.B) {
	n, err := New(Config{}, 1)
	if err != nil {
		b.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	in := randomInput(rng, n.cfg.In, 64, 64)
	logits := make([]float32, 64*64)
	b.ReportAllocs()
	for b.Loop() {
		if err := n.Forward(in, 64, 64, logits); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkForward64Parallel runs inferences from GOMAXPROCS goroutines
// on one Net.
func BenchmarkForward64Parallel(b *testing.B) {
	n, err := New(Config{}, 1)
	if err != nil {
		b.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	in := randomInput(rng, n.cfg.In, 64, 64)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		logits := make([]float32, 64*64)
		for pb.Next() {
			if err := n.Forward(in, 64, 64, logits); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkTrainStep64 is one training sample's forward pass, loss and
// backward pass on 64×64×6 with the default widths: a worker's unit of
// work in Train (the per-batch reduction and Adam update come on top).
func BenchmarkTrainStep64(b *testing.B) {
	n, err := New(Config{}, 1)
	if err != nil {
		b.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	s := Sample{In: randomInput(rng, n.cfg.In, 64, 64), Target: make([]float32, 64*64), W: 64, H: 64}
	for i := range s.Target {
		s.Target[i] = float32(rng.IntN(2))
	}
	tr := &trainer{net: n, workspaces: []map[[2]int]*workspace{{}}}
	grad := make([]float32, n.Params())
	b.ReportAllocs()
	for b.Loop() {
		if _, err := tr.sampleGradient(0, s, 0, 0, grad); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkTrainEpoch64 is Train over 32 samples of 64×64×6 (batch 16)
// on one worker and on GOMAXPROCS workers: its ms/sample, reduction and
// Adam steps included, is what a full training run costs per sample.
func BenchmarkTrainEpoch64(b *testing.B) {
	n, err := New(Config{}, 1)
	if err != nil {
		b.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	samples := make([]Sample, 32)
	for i := range samples {
		samples[i] = Sample{In: randomInput(rng, n.cfg.In, 64, 64), Target: make([]float32, 64*64), W: 64, H: 64}
		for j := range samples[i].Target {
			samples[i].Target[j] = float32(rng.IntN(2))
		}
	}
	for _, workers := range []int{1, runtime.GOMAXPROCS(0)} {
		b.Run(fmt.Sprintf("workers=%d", workers), func(b *testing.B) {
			for b.Loop() {
				if err := n.Train(b.Context(), samples, TrainOptions{Epochs: 1, Batch: 16, Seed: 1, Workers: workers}); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(b.Elapsed().Seconds()*1e3/float64(b.N*len(samples)), "ms/sample")
		})
	}
}
