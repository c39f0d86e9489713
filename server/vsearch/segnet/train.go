package segnet

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"sync"
	"sync/atomic"
)

// Sample is one training example: an input and the wanted foreground
// probability of each of its pixels.
type Sample struct {
	// In is the input, Config.In planes of W×H, channel-major.
	In []float32
	// Target holds W*H foreground probabilities in [0, 1].
	Target []float32
	// Weight optionally scales each pixel's share of the loss (W*H values
	// ≥ 0); nil weighs every pixel 1.
	Weight []float32
	// W and H are the sample's width and height: multiples of 4 in
	// [4, MaxSide]. Samples may differ in size, though each size in use
	// costs every worker a workspace.
	W, H int
}

// TrainOptions configures Train. Zero fields take the defaults noted.
type TrainOptions struct {
	// Epochs is the number of passes over the samples (default 1).
	Epochs int
	// Batch is the number of samples per Adam step (default 16).
	Batch int
	// LR is Adam's learning rate (default 1e-3).
	LR float32
	// Workers is the number of goroutines computing a batch's gradients
	// (default GOMAXPROCS). The result does not depend on it.
	Workers int
	// Seed drives the per-epoch shuffle and the rng handed to Augment.
	Seed uint64
	// FinalLR, when positive, makes the learning rate fall from LR to
	// FinalLR along a half cosine over all the steps of training.
	FinalLR float32
	// DiceWeight, when positive, adds DiceWeight times a soft-Dice loss
	// (1 - 2|P∩T|/(|P|+|T|), weighted, per sample) to the cross-entropy.
	DiceWeight float32
	// Progress, if set, is called after each epoch with its index and the
	// mean loss of its samples; the network holds the epoch's weights and
	// may be evaluated (Forward) inside the call.
	Progress func(epoch int, loss float64)
	// Augment, if set, may return a modified copy of a sample before it is
	// used; it must not modify s's slices. rng is seeded from Seed, the
	// epoch and the sample's position, so training stays deterministic.
	// It is called from several goroutines at once.
	Augment func(rng *rand.Rand, s Sample) Sample
}

// Adam's fixed hyper-parameters.
const (
	adamBeta1   = 0.9
	adamBeta2   = 0.999
	adamEpsilon = 1e-8
	// diceSmooth keeps the soft-Dice ratio defined on empty masks.
	diceSmooth = 1
)

// ErrDiverged reports a training loss or gradient that stopped being a
// finite number.
var ErrDiverged = errors.New("segnet: training diverged")

// checkSample reports whether s is a well-formed sample for n.
func (n *Net) checkSample(s Sample) error {
	if err := checkSize(s.W, s.H); err != nil {
		return err
	}
	p := s.W * s.H
	if len(s.In) != n.cfg.In*p {
		return fmt.Errorf("%w: input has %d values, want %d×%d×%d", ErrSize, len(s.In), n.cfg.In, s.W, s.H)
	}
	if len(s.Target) != p {
		return fmt.Errorf("%w: target has %d values, want %d×%d", ErrSize, len(s.Target), s.W, s.H)
	}
	if s.Weight != nil && len(s.Weight) != p {
		return fmt.Errorf("%w: weight has %d values, want %d×%d", ErrSize, len(s.Weight), s.W, s.H)
	}
	for i, v := range s.In {
		if !finite(v) {
			return fmt.Errorf("%w: input value %d is %v", ErrSize, i, v)
		}
	}
	for i, v := range s.Target {
		if !(v >= 0 && v <= 1) {
			return fmt.Errorf("%w: target value %d is %v, want [0, 1]", ErrSize, i, v)
		}
	}
	for i, v := range s.Weight {
		if !(v >= 0) || !finite(v) {
			return fmt.Errorf("%w: weight value %d is %v, want finite ≥ 0", ErrSize, i, v)
		}
	}
	return nil
}

// finite reports whether v is neither NaN nor infinite.
func finite(v float32) bool {
	return !math.IsNaN(float64(v)) && !math.IsInf(float64(v), 0)
}

// lossGradient returns s's loss given logits and writes its gradient with
// respect to the logits to g: the weighted binary cross-entropy on logits
// averaged over the W*H pixels, plus diceWeight times the soft Dice loss.
func lossGradient(logits []float32, s Sample, diceWeight float32, g []float32) float64 {
	p := len(logits)
	invN := 1 / float64(p)
	var bce, inter, sumP, sumT float64
	for i, z := range logits {
		zf := float64(z)
		t := float64(s.Target[i])
		wt := 1.0
		if s.Weight != nil {
			wt = float64(s.Weight[i])
		}
		// max(z,0) - z·t + log(1+e^{-|z|}) is log(1+e^z) - z·t without
		// overflow; its derivative is σ(z) - t.
		bce += wt * (math.Max(zf, 0) - zf*t + math.Log1p(math.Exp(-math.Abs(zf))))
		prob := float64(Sigmoid(z))
		g[i] = float32(wt * (prob - t) * invN)
		if diceWeight > 0 {
			inter += wt * prob * t
			sumP += wt * prob
			sumT += wt * t
		}
	}
	loss := bce * invN
	if diceWeight > 0 {
		num := 2*inter + diceSmooth
		den := sumP + sumT + diceSmooth
		loss += float64(diceWeight) * (1 - num/den)
		for i, z := range logits {
			wt := 1.0
			if s.Weight != nil {
				wt = float64(s.Weight[i])
			}
			prob := float64(Sigmoid(z))
			dDice := -wt * (2*float64(s.Target[i])*den - num) / (den * den)
			g[i] += float32(float64(diceWeight) * dDice * prob * (1 - prob))
		}
	}
	return loss
}

// maxWorkerSizes bounds how many sample sizes a training worker keeps a
// workspace for; samples of many sizes cost reallocations, not memory.
const maxWorkerSizes = 4

// trainer is one Train call's state.
type trainer struct {
	net *Net
	opt TrainOptions
	// workspaces holds each worker's workspaces by sample size, and
	// workerGrad each worker's gradient of its current sample.
	workspaces []map[[2]int]*workspace
	workerGrad [][]float32
	grad, m, v []float32
}

// Train fits the network to samples with Adam on mini-batches, minimising
// the mean weighted binary cross-entropy (plus the optional soft-Dice
// term). Each batch's per-sample gradients are computed on opt.Workers
// goroutines and summed in sample order, so for a given Seed the result
// is the same whatever the number of workers. Cancelling ctx stops
// training between batches; the weights then hold the last completed step.
func (n *Net) Train(ctx context.Context, samples []Sample, opt TrainOptions) error {
	if n.workspaces == nil {
		return fmt.Errorf("%w: training an empty network", ErrConfig)
	}
	if len(samples) == 0 {
		return fmt.Errorf("%w: no training samples", ErrSize)
	}
	for _, o := range []struct {
		name  string
		value float64
	}{
		{"Epochs", float64(opt.Epochs)}, {"Batch", float64(opt.Batch)}, {"Workers", float64(opt.Workers)},
		{"LR", float64(opt.LR)}, {"FinalLR", float64(opt.FinalLR)}, {"DiceWeight", float64(opt.DiceWeight)},
	} {
		if !(o.value >= 0) || math.IsInf(o.value, 0) {
			return fmt.Errorf("%w: training option %s is %v, want finite ≥ 0", ErrConfig, o.name, o.value)
		}
	}
	if opt.Epochs == 0 {
		opt.Epochs = 1
	}
	if opt.Batch == 0 {
		opt.Batch = 16
	}
	if opt.LR == 0 {
		opt.LR = 1e-3
	}
	if opt.Workers == 0 {
		opt.Workers = runtime.GOMAXPROCS(0)
	}
	opt.Batch = min(opt.Batch, len(samples))
	opt.Workers = min(opt.Workers, opt.Batch)
	for i, s := range samples {
		if err := n.checkSample(s); err != nil {
			return fmt.Errorf("segnet: training sample %d: %w", i, err)
		}
	}

	np := len(n.params)
	tr := &trainer{
		net: n, opt: opt,
		workspaces: make([]map[[2]int]*workspace, opt.Workers),
		workerGrad: make([][]float32, opt.Workers),
		grad:       make([]float32, np),
		m:          make([]float32, np),
		v:          make([]float32, np),
	}
	for i := range tr.workerGrad {
		tr.workspaces[i] = make(map[[2]int]*workspace)
		tr.workerGrad[i] = make([]float32, np)
	}

	order := make([]int, len(samples))
	for i := range order {
		order[i] = i
	}
	shuffle := rand.New(rand.NewPCG(opt.Seed, 0x5e6_5ff1e))
	step := 0
	for epoch := 0; epoch < opt.Epochs; epoch++ {
		shuffle.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
		var epochLoss float64
		for b0 := 0; b0 < len(order); b0 += opt.Batch {
			if err := ctx.Err(); err != nil {
				return fmt.Errorf("segnet: training stopped in epoch %d: %w", epoch, err)
			}
			batch := order[b0:min(b0+opt.Batch, len(order))]
			loss, err := tr.gradient(samples, batch, epoch, b0)
			if err != nil {
				return fmt.Errorf("segnet: epoch %d: %w", epoch, err)
			}
			if math.IsNaN(loss) || math.IsInf(loss, 0) {
				return fmt.Errorf("%w: loss %v in epoch %d", ErrDiverged, loss, epoch)
			}
			epochLoss += loss
			step++
			if err := tr.adam(step, tr.rate(step, (len(order)+opt.Batch-1)/opt.Batch*opt.Epochs)); err != nil {
				return fmt.Errorf("epoch %d: %w", epoch, err)
			}
		}
		if opt.Progress != nil {
			opt.Progress(epoch, epochLoss/float64(len(order)))
		}
	}
	return nil
}

// gradient computes into tr.grad the mean gradient of the batch (sample
// indices; the batch starts at position b0 of the epoch's order) and
// returns the sum of its samples' losses. Workers take samples in order
// and add their gradients to the total strictly in sample order, each
// waiting for its predecessor: the sum is the same whatever the number
// of workers, and memory stays one gradient per worker.
func (tr *trainer) gradient(samples []Sample, batch []int, epoch, b0 int) (float64, error) {
	var (
		next     atomic.Int64
		mu       sync.Mutex
		turn     int // the next slot to be added to the total
		advanced = sync.NewCond(&mu)
		loss     float64
		firstErr error
	)
	var wg sync.WaitGroup
	for wi := range tr.workerGrad {
		wg.Go(func() {
			g := tr.workerGrad[wi]
			for {
				slot := int(next.Add(1)) - 1
				if slot >= len(batch) {
					return
				}
				l, err := tr.sampleGradient(wi, samples[batch[slot]], epoch, b0+slot, g)
				mu.Lock()
				for turn != slot {
					advanced.Wait()
				}
				switch {
				case err != nil:
					if firstErr == nil {
						firstErr = fmt.Errorf("sample %d: %w", batch[slot], err)
					}
				case slot == 0:
					copy(tr.grad, g)
					loss = l
				default:
					for i, v := range g[:len(tr.grad)] {
						tr.grad[i] += v
					}
					loss += l
				}
				turn++
				advanced.Broadcast()
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if firstErr != nil {
		return 0, firstErr
	}
	scale := 1 / float32(len(batch))
	for i := range tr.grad {
		tr.grad[i] *= scale
	}
	return loss, nil
}

// sampleGradient writes to grad the loss gradient of one sample, evaluated
// on worker wi's workspace, and returns its loss.
func (tr *trainer) sampleGradient(wi int, s Sample, epoch, position int, grad []float32) (float64, error) {
	n := tr.net
	if tr.opt.Augment != nil {
		rng := rand.New(rand.NewPCG(tr.opt.Seed^0xa0_9e_3779_b97f_4a7c, uint64(epoch)<<32|uint64(position)))
		s = tr.opt.Augment(rng, s)
		if err := n.checkSample(s); err != nil {
			return 0, fmt.Errorf("after Augment: %w", err)
		}
	}
	ws := tr.workspaces[wi][[2]int{s.W, s.H}]
	if ws == nil {
		if len(tr.workspaces[wi]) >= maxWorkerSizes {
			clear(tr.workspaces[wi])
		}
		ws = newWorkspace(n, s.W, s.H, true)
		tr.workspaces[wi][[2]int{s.W, s.H}] = ws
	}
	n.forward(ws, s.In, ws.logits)
	loss := lossGradient(ws.logits, s, tr.opt.DiceWeight, ws.dOut)
	clear(grad)
	n.backward(ws, grad)
	return loss, nil
}

// rate is the learning rate of step (from 1) of total.
func (tr *trainer) rate(step, total int) float64 {
	lr := float64(tr.opt.LR)
	if tr.opt.FinalLR <= 0 || total <= 1 {
		return lr
	}
	final := float64(tr.opt.FinalLR)
	t := float64(step-1) / float64(total-1)
	return final + (lr-final)*0.5*(1+math.Cos(math.Pi*t))
}

// adam applies Adam step number step (from 1) with tr.grad at learning
// rate lr.
func (tr *trainer) adam(step int, lr float64) error {
	n := tr.net
	c1 := 1 / (1 - math.Pow(adamBeta1, float64(step)))
	c2 := 1 / (1 - math.Pow(adamBeta2, float64(step)))
	alpha := float32(lr * c1)
	c2f := float32(c2)
	for i, g := range tr.grad {
		if !finite(g) {
			return fmt.Errorf("%w: gradient of parameter %d is %v", ErrDiverged, i, g)
		}
	}
	m, v, p := tr.m, tr.v[:len(tr.m)], n.params[:len(tr.m)]
	for i, g := range tr.grad[:len(tr.m)] {
		mi := adamBeta1*m[i] + (1-adamBeta1)*g
		vi := adamBeta2*v[i] + (1-adamBeta2)*g*g
		m[i], v[i] = mi, vi
		p[i] -= alpha * mi / (float32(math.Sqrt(float64(vi*c2f))) + adamEpsilon)
	}
	n.repack()
	return nil
}
