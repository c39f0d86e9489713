// Command segtrain trains the visual search's learned segmentation
// (server/vsearch/segnet) on generated photographs of random procedural
// objects (synth.TrainingSample) — never the catalog's products or any
// evaluation query — and writes its weights where the vsearch package
// embeds them. Run from the module root:
//
//	go run ./server/vsearch/eval/segtrain
//
// It is deterministic for a given seed (on one CPU kind: the AVX2 and the
// portable kernels round differently).
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"os/signal"
	"runtime"
	"time"

	"github.com/disintegration/imaging"

	"github.com/vitrine-shop/vitrine/server/vsearch"
	"github.com/vitrine-shop/vitrine/server/vsearch/eval"
	"github.com/vitrine-shop/vitrine/server/vsearch/eval/synth"
	"github.com/vitrine-shop/vitrine/server/vsearch/segnet"
)

func main() {
	out := flag.String("o", "server/vsearch/segnet.bin", "where to write the trained weights")
	n := flag.Int("samples", 16000, "generated training photographs")
	nVal := flag.Int("validation", 300, "generated validation photographs (another seed)")
	epochs := flag.Int("epochs", 16, "passes over the training photographs")
	lr := flag.Float64("lr", 2e-3, "Adam's initial learning rate")
	finalLR := flag.Float64("final-lr", 1e-4, "learning rate at the end (a half cosine from -lr)")
	dice := flag.Float64("dice", 0, "weight of a soft-Dice term added to the cross-entropy")
	batch := flag.Int("batch", 16, "mini-batch size")
	seed := flag.Uint64("seed", 1, "random seed of the data and the initial weights")
	workers := flag.Int("workers", runtime.GOMAXPROCS(0), "parallel workers")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, *out, *n, *nVal, *epochs, *batch, segnet.TrainOptions{LR: float32(*lr), FinalLR: float32(*finalLR), DiceWeight: float32(*dice)}, *seed, *workers); err != nil {
		fmt.Fprintln(os.Stderr, "segtrain:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, out string, n, nVal, epochs, batch int, opt segnet.TrainOptions, seed uint64, workers int) error {
	start := time.Now()
	train, err := samples(ctx, n, seed, workers)
	if err != nil {
		return err
	}
	val, err := samples(ctx, nVal, seed+1_000_003, workers)
	if err != nil {
		return err
	}
	slog.Info("generated photographs", "train", len(train), "validation", len(val), "took", time.Since(start).Round(time.Second))
	net, err := segnet.New(segnet.Config{In: vsearch.SegmentationInputChannels}, seed)
	if err != nil {
		return err
	}
	slog.Info("untrained", "validation IoU", iou(net, val))
	opt.Epochs, opt.Batch, opt.Workers, opt.Seed = epochs, batch, workers, seed
	opt.Augment = flip
	opt.Progress = func(epoch int, loss float64) {
		slog.Info("epoch", "n", epoch, "loss", fmt.Sprintf("%.4f", loss), "validation IoU", fmt.Sprintf("%.3f", iou(net, val)), "elapsed", time.Since(start).Round(time.Second))
	}
	err = net.Train(ctx, train, opt)
	if err != nil {
		return err
	}
	blob, err := net.MarshalBinary()
	if err != nil {
		return err
	}
	if err := os.WriteFile(out, blob, 0o644); err != nil {
		return fmt.Errorf("write weights: %w", err)
	}
	slog.Info("wrote weights", "file", out, "bytes", len(blob), "params", net.Params(), "took", time.Since(start).Round(time.Second))
	return nil
}

// samples generates count photographs from seed on workers goroutines:
// each is JPEG-compressed at its own quality as a shopper's upload is,
// then turned into the segmentation's input; its target is the object's
// true coverage averaged over the same cells.
func samples(ctx context.Context, count int, seed uint64, workers int) ([]segnet.Sample, error) {
	return eval.Parallel(count, workers, func(i int) (segnet.Sample, error) {
		return sample(ctx, rand.New(rand.NewPCG(seed, uint64(i))))
	})
}

func sample(ctx context.Context, rng *rand.Rand) (segnet.Sample, error) {
	img, mask, quality, err := synth.TrainingSample(ctx, rng)
	if err != nil {
		return segnet.Sample{}, err
	}
	photo, err := eval.JPEGRoundTrip(img, quality)
	if err != nil {
		return segnet.Sample{}, err
	}
	in, err := vsearch.SegmentationInput(ctx, photo)
	if err != nil {
		return segnet.Sample{}, err
	}
	const side = vsearch.SegmentationInputSide
	target := make([]float32, side*side)
	small := imaging.Resize(mask, side, side, imaging.Box)
	for i := range target {
		target[i] = float32(small.Pix[4*i]) / 255
	}
	return segnet.Sample{In: in, Target: target, W: side, H: side}, nil
}

// flip mirrors a sample left to right, except the planes that hold the
// pixel's position.
func flip(rng *rand.Rand, s segnet.Sample) segnet.Sample {
	if rng.IntN(2) == 0 {
		return s
	}
	f := segnet.Sample{In: make([]float32, len(s.In)), Target: make([]float32, len(s.Target)), W: s.W, H: s.H}
	plane := s.W * s.H
	for c := 0; c < len(s.In)/plane; c++ {
		keep := c == vsearch.SegmentationCoordinatePlanes[0] || c == vsearch.SegmentationCoordinatePlanes[1]
		for y := 0; y < s.H; y++ {
			for x := 0; x < s.W; x++ {
				src := x
				if !keep {
					src = s.W - 1 - x
				}
				f.In[c*plane+y*s.W+x] = s.In[c*plane+y*s.W+src]
			}
		}
	}
	for y := 0; y < s.H; y++ {
		for x := 0; x < s.W; x++ {
			f.Target[y*s.W+x] = s.Target[y*s.W+s.W-1-x]
		}
	}
	return f
}

// iou is the mean intersection over union of the net's mask (probability
// ≥ 0.5) with the true one (coverage ≥ 0.5) over samples.
func iou(net *segnet.Net, samples []segnet.Sample) float64 {
	var sum float64
	logits := make([]float32, vsearch.SegmentationInputSide*vsearch.SegmentationInputSide)
	for _, s := range samples {
		if err := net.Forward(s.In, s.W, s.H, logits); err != nil {
			return 0
		}
		var inter, union int
		for i, l := range logits {
			p, t := l >= 0, s.Target[i] >= 0.5
			if p && t {
				inter++
			}
			if p || t {
				union++
			}
		}
		if union > 0 {
			sum += float64(inter) / float64(union)
		}
	}
	return sum / float64(max(len(samples), 1))
}
