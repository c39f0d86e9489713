package segnet

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"testing"
)

// smallTask is a few 16×16 disc samples for quick training tests.
func smallTask(seed uint64, count int) []Sample {
	rng := rand.New(rand.NewPCG(seed, 0))
	out := make([]Sample, count)
	for i := range out {
		out[i] = discSample(rng, 16, 16)
	}
	return out
}

// smallConfig is a narrow network for quick training tests.
var smallConfig = Config{In: 3, E1: 4, E2: 6, E4: 8, Up1: 6, Up2: 4}

// trainedParams trains a fresh small network and returns its parameters.
func trainedParams(t *testing.T, samples []Sample, opt TrainOptions) []float32 {
	t.Helper()
	n, err := New(smallConfig, 5)
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Train(context.Background(), samples, opt); err != nil {
		t.Fatal(err)
	}
	return n.params
}

func TestTrainDeterministic(t *testing.T) {
	samples := smallTask(1, 24)
	// Weighted samples and the Dice term take part too.
	for i := range samples {
		if i%2 == 0 {
			samples[i].Weight = make([]float32, len(samples[i].Target))
			for j := range samples[i].Weight {
				samples[i].Weight[j] = 0.5 + float32(j%3)
			}
		}
	}
	opt := TrainOptions{Epochs: 3, Batch: 5, LR: 2e-3, Seed: 77, Augment: hflip, DiceWeight: 0.5}
	opt.Workers = 1
	ref := trainedParams(t, samples, opt)
	for _, workers := range []int{1, 2, 3, 8} {
		opt.Workers = workers
		got := trainedParams(t, samples, opt)
		for i := range ref {
			if math.Float32bits(got[i]) != math.Float32bits(ref[i]) {
				t.Fatalf("workers=%d: parameter %d is %v, want %v as with one worker", workers, i, got[i], ref[i])
			}
		}
	}
	opt.Seed = 78
	other := trainedParams(t, samples, opt)
	same := true
	for i := range ref {
		same = same && other[i] == ref[i]
	}
	if same {
		t.Error("a different seed gave the same weights: the seed is not used")
	}
}

func TestTrainReducesLoss(t *testing.T) {
	samples := smallTask(2, 32)
	n, err := New(smallConfig, 5)
	if err != nil {
		t.Fatal(err)
	}
	var losses []float64
	err = n.Train(context.Background(), samples, TrainOptions{Epochs: 8, Batch: 4, LR: 3e-3, Seed: 1, DiceWeight: 1,
		Progress: func(epoch int, loss float64) { losses = append(losses, loss) }})
	if err != nil {
		t.Fatal(err)
	}
	if len(losses) != 8 {
		t.Fatalf("Progress called %d times, want 8", len(losses))
	}
	if !(losses[7] < 0.7*losses[0]) {
		t.Errorf("loss went from %.4f to %.4f, want a clear decrease", losses[0], losses[7])
	}
}

func TestTrainCancel(t *testing.T) {
	samples := smallTask(3, 16)
	n, err := New(smallConfig, 5)
	if err != nil {
		t.Fatal(err)
	}
	before := append([]float32(nil), n.params...)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err = n.Train(ctx, samples, TrainOptions{Epochs: 2, Seed: 1})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Train on a cancelled context = %v, want context.Canceled", err)
	}
	for i := range before {
		if n.params[i] != before[i] {
			t.Fatal("a cancelled Train changed the weights")
		}
	}
	// Cancelling from Progress stops before the next epoch's first batch.
	ctx, cancel = context.WithCancel(context.Background())
	defer cancel()
	epochs := 0
	err = n.Train(ctx, samples, TrainOptions{Epochs: 5, Seed: 1, Progress: func(int, float64) { epochs++; cancel() }})
	if !errors.Is(err, context.Canceled) || epochs != 1 {
		t.Errorf("Train = %v after %d epochs, want context.Canceled after 1", err, epochs)
	}
}

func TestTrainRejects(t *testing.T) {
	n, err := New(smallConfig, 5)
	if err != nil {
		t.Fatal(err)
	}
	good := smallTask(4, 1)[0]
	mod := func(f func(s *Sample)) Sample {
		s := good
		s.In = append([]float32(nil), good.In...)
		s.Target = append([]float32(nil), good.Target...)
		f(&s)
		return s
	}
	cases := []struct {
		name   string
		sample Sample
		opt    TrainOptions
	}{
		{"short input", mod(func(s *Sample) { s.In = s.In[1:] }), TrainOptions{}},
		{"short target", mod(func(s *Sample) { s.Target = s.Target[1:] }), TrainOptions{}},
		{"short weight", mod(func(s *Sample) { s.Weight = make([]float32, 3) }), TrainOptions{}},
		{"odd size", mod(func(s *Sample) { s.W, s.H = 15, 17 }), TrainOptions{}},
		{"target above 1", mod(func(s *Sample) { s.Target[3] = 1.5 }), TrainOptions{}},
		{"NaN target", mod(func(s *Sample) { s.Target[3] = float32(math.NaN()) }), TrainOptions{}},
		{"Inf input", mod(func(s *Sample) { s.In[3] = float32(math.Inf(1)) }), TrainOptions{}},
		{"negative weight", mod(func(s *Sample) { s.Weight = make([]float32, len(s.Target)); s.Weight[0] = -1 }), TrainOptions{}},
		{"negative epochs", good, TrainOptions{Epochs: -1}},
		{"NaN learning rate", good, TrainOptions{LR: float32(math.NaN())}},
		{"bad augment", good, TrainOptions{Augment: func(_ *rand.Rand, s Sample) Sample { s.Target = nil; return s }}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if err := n.Train(context.Background(), []Sample{tc.sample}, tc.opt); err == nil {
				t.Error("Train accepted it")
			}
		})
	}
	if err := n.Train(context.Background(), nil, TrainOptions{}); !errors.Is(err, ErrSize) {
		t.Errorf("Train with no samples = %v, want ErrSize", err)
	}
}

func TestTrainMixedSizes(t *testing.T) {
	rng := rand.New(rand.NewPCG(6, 0))
	var samples []Sample
	for i := range 12 {
		w, h := 16, 16
		if i%3 == 1 {
			w, h = 24, 8
		}
		samples = append(samples, discSample(rng, w, h))
	}
	n, err := New(smallConfig, 5)
	if err != nil {
		t.Fatal(err)
	}
	var last float64
	err = n.Train(context.Background(), samples, TrainOptions{Epochs: 2, Batch: 4, Seed: 1, Workers: 2,
		Progress: func(_ int, loss float64) { last = loss }})
	if err != nil {
		t.Fatal(err)
	}
	if !(last > 0) || math.IsInf(last, 0) {
		t.Errorf("final loss %v, want a positive finite number", last)
	}
}

func TestCosineLearningRate(t *testing.T) {
	tr := &trainer{opt: TrainOptions{LR: 1e-2, FinalLR: 1e-4}}
	if r := tr.rate(1, 101); math.Abs(r-1e-2) > 1e-9 {
		t.Errorf("first step rate %v, want 1e-2", r)
	}
	if r := tr.rate(51, 101); math.Abs(r-(1e-4+(1e-2-1e-4)/2)) > 1e-9 {
		t.Errorf("middle rate %v", r)
	}
	if r := tr.rate(101, 101); math.Abs(r-1e-4) > 1e-9 {
		t.Errorf("last step rate %v, want 1e-4", r)
	}
	for s := 2; s <= 101; s++ {
		if tr.rate(s, 101) > tr.rate(s-1, 101) {
			t.Fatalf("rate rises at step %d", s)
		}
	}
	flat := &trainer{opt: TrainOptions{LR: 1e-3}}
	if flat.rate(50, 100) != float64(float32(1e-3)) {
		t.Error("without FinalLR the rate changed")
	}
}
