// Package segnet is a small fully-convolutional network that labels each
// pixel of a shopper's photo with a foreground logit: how likely the pixel
// belongs to the product being photographed rather than its surroundings.
//
// The network is a compact U-shape: two stride-2 encoder stages, a context
// block of dilated convolutions whose receptive field spans a 64×64 input
// (so the central object can be told apart from background shapes), and two
// upsampling stages with skip connections back to full resolution. It is
// pure Go on float32, trained by [Net.Train] and shipped as the blob of
// [Net.MarshalBinary].
//
// Tensors are planar and channel-major: value (c, y, x) of a C×H×W tensor
// is at index c*H*W + y*W + x.
package segnet

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
)

// Limits on what the package accepts, so that a corrupt blob or a bad
// request cannot make it allocate without bound.
const (
	// MaxChannels is the widest layer a Config may ask for.
	MaxChannels = 256
	// MaxSide is the largest width or height Forward and Train accept.
	MaxSide = 512
)

// Errors callers can branch on with errors.Is.
var (
	// ErrSize reports an input, output or sample whose dimensions or
	// buffer lengths do not fit the network.
	ErrSize = errors.New("segnet: bad size")
	// ErrConfig reports an unusable Config.
	ErrConfig = errors.New("segnet: bad config")
	// ErrFormat reports a weights blob that is not a valid encoding.
	ErrFormat = errors.New("segnet: bad weights blob")
)

// Config holds the network's channel widths. A zero field takes its
// default; every width must be at most MaxChannels.
type Config struct {
	// In is the number of input channels (default 6).
	In int
	// E1 is the width of the full-resolution encoder conv (default 16).
	E1 int
	// E2 is the width of the two half-resolution encoder convs (default 24).
	E2 int
	// E4 is the width of the quarter-resolution encoder conv and of the
	// three dilated context convs (default 32).
	E4 int
	// Up1 is the width of the half-resolution decoder conv (default 24).
	Up1 int
	// Up2 is the width of the full-resolution decoder conv (default 16).
	Up2 int
}

// withDefaults returns c with zero fields replaced by their defaults.
func (c Config) withDefaults() Config {
	def := func(v *int, d int) {
		if *v == 0 {
			*v = d
		}
	}
	def(&c.In, 6)
	def(&c.E1, 16)
	def(&c.E2, 24)
	def(&c.E4, 32)
	def(&c.Up1, 24)
	def(&c.Up2, 16)
	return c
}

// validate reports whether every width of c (defaults applied) is in
// [1, MaxChannels].
func (c Config) validate() error {
	for _, f := range []struct {
		name  string
		value int
	}{{"In", c.In}, {"E1", c.E1}, {"E2", c.E2}, {"E4", c.E4}, {"Up1", c.Up1}, {"Up2", c.Up2}} {
		if f.value < 1 || f.value > MaxChannels {
			return fmt.Errorf("%w: %s = %d, want 1..%d", ErrConfig, f.name, f.value, MaxChannels)
		}
	}
	return nil
}

// Indices of the 3×3 convolutions in Net.convs.
const (
	layerE1 = iota
	layerE2
	layerE3
	layerE4
	layerC1
	layerC2
	layerC3
	layerU1
	layerU2
	numConvs
)

// conv is one 3×3 "same" convolution with bias and ReLU. Stride-1 convs
// read their padded input in place (an implicit matrix product over the
// nine taps); the two stride-2 convs gather patches (im2col) first.
type conv struct {
	name        string
	cin, cout   int
	stride, dil int
	k           int // cin*9: the length of one output channel's weights
	wOff, bOff  int // offsets of the weights and biases in Net.params
	w, b        []float32
	coBlocks4   int // ceil(cout/4)
	cinBlocks4  int // ceil(cin/4)
	coBlocks16  int // ceil(cout/16)
	kBlocks4    int // ceil(k/4)
	kBlocks16   int // ceil(k/16)
	// wf packs the weights for the forward pass: [coBlock4][tap][cin][4]
	// for stride 1, [coBlock4][k][4] for stride 2.
	wf []float32
	// wb packs them for the input gradient: [cinBlock4][tap][cout][4] for
	// stride 1, [kBlock4][cout][4] for stride 2.
	wb []float32
}

// Net is the segmentation network. Forward may be called concurrently from
// many goroutines; Train, UnmarshalBinary and Forward must not overlap.
// The zero Net is empty: UnmarshalBinary fills it.
type Net struct {
	cfg    Config
	params []float32
	convs  [numConvs]conv
	// The final 1×1 conv from Up2 channels to one logit.
	outW       []float32
	outB       []float32
	outWOff    int
	outBOff    int
	workspaces *workspacePools
}

// New returns a network with the widths of cfg (zero fields take their
// defaults) and He-initialised weights drawn from a PCG seeded by seed;
// biases start at zero.
func New(cfg Config, seed uint64) (*Net, error) {
	n, err := build(cfg)
	if err != nil {
		return nil, err
	}
	rng := rand.New(rand.NewPCG(seed, 0x5e6e7_1417))
	for i := range n.convs {
		l := &n.convs[i]
		std := math.Sqrt(2 / float64(l.k))
		for j := range l.w {
			l.w[j] = float32(rng.NormFloat64() * std)
		}
	}
	std := math.Sqrt(2 / float64(len(n.outW)))
	for j := range n.outW {
		n.outW[j] = float32(rng.NormFloat64() * std)
	}
	n.repack()
	return n, nil
}

// build lays out an all-zero network for cfg.
func build(cfg Config) (*Net, error) {
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	n := &Net{cfg: cfg, workspaces: newWorkspacePools()}
	specs := [numConvs]struct {
		name        string
		cin, cout   int
		stride, dil int
	}{
		layerE1: {"e1", cfg.In, cfg.E1, 1, 1},
		layerE2: {"e2", cfg.E1, cfg.E2, 2, 1},
		layerE3: {"e3", cfg.E2, cfg.E2, 1, 1},
		layerE4: {"e4", cfg.E2, cfg.E4, 2, 1},
		layerC1: {"c1", cfg.E4, cfg.E4, 1, 2},
		layerC2: {"c2", cfg.E4, cfg.E4, 1, 4},
		layerC3: {"c3", cfg.E4, cfg.E4, 1, 8},
		layerU1: {"u1", cfg.E4 + cfg.E2, cfg.Up1, 1, 1},
		layerU2: {"u2", cfg.Up1 + cfg.E1, cfg.Up2, 1, 1},
	}
	total := 0
	for i, s := range specs {
		l := &n.convs[i]
		*l = conv{
			name: s.name, cin: s.cin, cout: s.cout, stride: s.stride, dil: s.dil,
			k: s.cin * 9,
		}
		l.coBlocks4 = (l.cout + 3) / 4
		l.cinBlocks4 = (l.cin + 3) / 4
		l.coBlocks16 = (l.cout + 15) / 16
		l.kBlocks4 = (l.k + 3) / 4
		l.kBlocks16 = (l.k + 15) / 16
		l.wOff = total
		total += l.cout * l.k
		l.bOff = total
		total += l.cout
	}
	n.outWOff = total
	total += cfg.Up2
	n.outBOff = total
	total++
	n.params = make([]float32, total)
	n.bindParams()
	return n, nil
}

// bindParams points the per-layer weight slices into n.params and sizes
// the packed copies.
func (n *Net) bindParams() {
	for i := range n.convs {
		l := &n.convs[i]
		l.w = n.params[l.wOff : l.wOff+l.cout*l.k : l.wOff+l.cout*l.k]
		l.b = n.params[l.bOff : l.bOff+l.cout : l.bOff+l.cout]
		l.wf = make([]float32, l.coBlocks4*l.k*4)
		if l.stride == 1 {
			l.wb = make([]float32, l.cinBlocks4*9*l.cout*4)
		} else {
			l.wb = make([]float32, l.kBlocks4*l.cout*4)
		}
	}
	n.outW = n.params[n.outWOff : n.outWOff+n.cfg.Up2 : n.outWOff+n.cfg.Up2]
	n.outB = n.params[n.outBOff : n.outBOff+1 : n.outBOff+1]
}

// repack refreshes the packed weight copies the kernels read; it must run
// after every change to n.params.
func (n *Net) repack() {
	for i := range n.convs {
		l := &n.convs[i]
		clear(l.wf)
		clear(l.wb)
		for co := 0; co < l.cout; co++ {
			for ci := 0; ci < l.cin; ci++ {
				for tap := 0; tap < 9; tap++ {
					v := l.w[co*l.k+ci*9+tap]
					if l.stride == 1 {
						l.wf[(((co>>2)*9+tap)*l.cin+ci)*4+(co&3)] = v
						l.wb[(((ci>>2)*9+tap)*l.cout+co)*4+(ci&3)] = v
					} else {
						k := ci*9 + tap
						l.wf[((co>>2)*l.k+k)*4+(co&3)] = v
						l.wb[((k>>2)*l.cout+co)*4+(k&3)] = v
					}
				}
			}
		}
	}
}

// Config returns the network's widths, defaults filled in.
func (n *Net) Config() Config { return n.cfg }

// Params returns the number of learned parameters (weights and biases).
func (n *Net) Params() int { return len(n.params) }

// Sigmoid maps a logit to a probability, without overflow for any input.
func Sigmoid(x float32) float32 {
	if x >= 0 {
		return float32(1 / (1 + math.Exp(-float64(x))))
	}
	e := math.Exp(float64(x))
	return float32(e / (1 + e))
}
