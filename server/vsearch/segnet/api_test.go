package segnet

import (
	"errors"
	"math/rand/v2"
	"sync"
	"testing"
)

func TestNewConfig(t *testing.T) {
	n, err := New(Config{}, 1)
	if err != nil {
		t.Fatal(err)
	}
	want := Config{In: 6, E1: 16, E2: 24, E4: 32, Up1: 24, Up2: 16}
	if n.Config() != want {
		t.Errorf("defaults %+v, want %+v", n.Config(), want)
	}
	// e1..u2 weights and biases, then the 1×1 output conv.
	params := (6*16*9 + 16) + (16*24*9 + 24) + (24*24*9 + 24) + (24*32*9 + 32) +
		3*(32*32*9+32) + (56*24*9 + 24) + (40*16*9 + 16) + 17
	if n.Params() != params {
		t.Errorf("Params() = %d, want %d", n.Params(), params)
	}
	for _, bad := range []Config{{In: -1}, {E1: MaxChannels + 1}, {Up2: -3}} {
		if _, err := New(bad, 1); !errors.Is(err, ErrConfig) {
			t.Errorf("New(%+v) = %v, want ErrConfig", bad, err)
		}
	}
}

func TestNewSeeded(t *testing.T) {
	a, _ := New(Config{}, 7)
	b, _ := New(Config{}, 7)
	c, _ := New(Config{}, 8)
	same, differ := true, false
	for i := range a.params {
		same = same && a.params[i] == b.params[i]
		differ = differ || a.params[i] != c.params[i]
	}
	if !same || !differ {
		t.Errorf("same seed equal: %v, other seed different: %v; want both", same, differ)
	}
}

func TestForwardRejectsSizes(t *testing.T) {
	n, err := New(Config{In: 2, E1: 2, E2: 2, E4: 2, Up1: 2, Up2: 2}, 1)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name          string
		w, h, in, out int
	}{
		{"zero", 0, 0, 0, 0},
		{"not multiple of 4", 6, 8, 2 * 48, 48},
		{"negative", -4, 4, 0, 0},
		{"too large", MaxSide + 4, 4, 2 * (MaxSide + 4) * 4, (MaxSide + 4) * 4},
		{"short input", 8, 8, 2*64 - 1, 64},
		{"long input", 8, 8, 2*64 + 1, 64},
		{"short logits", 8, 8, 2 * 64, 63},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := n.Forward(make([]float32, max(tc.in, 0)), tc.w, tc.h, make([]float32, max(tc.out, 0)))
			if !errors.Is(err, ErrSize) {
				t.Errorf("Forward = %v, want ErrSize", err)
			}
		})
	}
}

func TestForwardConcurrent(t *testing.T) {
	n, err := New(Config{}, 3)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 1))
	sizes := [][2]int{{64, 64}, {32, 48}, {16, 16}}
	inputs := make([][]float32, len(sizes))
	wants := make([][]float32, len(sizes))
	for i, sz := range sizes {
		inputs[i] = randomInput(rng, 6, sz[0], sz[1])
		wants[i] = make([]float32, sz[0]*sz[1])
		if err := n.Forward(inputs[i], sz[0], sz[1], wants[i]); err != nil {
			t.Fatal(err)
		}
	}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			got := make([]float32, 64*64)
			for it := range 10 {
				i := (g + it) % len(sizes)
				out := got[:sizes[i][0]*sizes[i][1]]
				if err := n.Forward(inputs[i], sizes[i][0], sizes[i][1], out); err != nil {
					t.Error(err)
					return
				}
				for p := range out {
					if out[p] != wants[i][p] {
						t.Errorf("goroutine %d size %v: logit %d = %v, want %v", g, sizes[i], p, out[p], wants[i][p])
						return
					}
				}
			}
		})
	}
	wg.Wait()
}

func TestForwardNoAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector makes sync.Pool drop items")
	}
	n, err := New(Config{}, 3)
	if err != nil {
		t.Fatal(err)
	}
	in := make([]float32, 6*64*64)
	logits := make([]float32, 64*64)
	if err := n.Forward(in, 64, 64, logits); err != nil {
		t.Fatal(err)
	}
	allocs := testing.AllocsPerRun(20, func() {
		if err := n.Forward(in, 64, 64, logits); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("Forward allocates %.1f times per call in steady state, want 0", allocs)
	}
}
