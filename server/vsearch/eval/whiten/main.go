// Command whiten learns the built-in descriptor's block whitening
// (server/vsearch/whiten.go) from random procedural objects
// (synth.ObjectViews) — never the catalog's products or any evaluation
// query — and writes it where the vsearch package embeds it. Run from the
// module root after the learned segmentation is trained (the shoppers'
// photos are described through it):
//
//	go run ./server/vsearch/eval/whiten
//
// Each object is rendered as catalog views and composited into shoppers'
// photos; each photo's first query hypothesis is paired with each view.
// A whitened block's projection is the inverse square root of the mean
// outer product of the pairs' differences, shrunk towards the identity
// (times its mean variance), after subtracting the mean of all pictures.
// The command is deterministic for a given seed.
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"math"
	"math/rand/v2"
	"os"
	"os/signal"
	"runtime"
	"slices"
	"strings"
	"time"

	"gonum.org/v1/gonum/mat"

	"github.com/vitrine-shop/vitrine/server/vsearch"
	"github.com/vitrine-shop/vitrine/server/vsearch/eval"
	"github.com/vitrine-shop/vitrine/server/vsearch/eval/synth"
)

// Options is what a learning run takes.
type Options struct {
	Objects, Views, Photos int
	Seed                   uint64
	// Shrink is the weight of the identity (times the covariance's mean
	// variance) added to the covariance.
	Shrink float64
	// Blocks names the whitened blocks.
	Blocks  []string
	Workers int
}

func main() {
	out := flag.String("o", "server/vsearch/whiten.bin", "where to write the whitening")
	var opt Options
	flag.IntVar(&opt.Objects, "objects", 1500, "random objects")
	flag.IntVar(&opt.Views, "views", 4, "catalog views of each object")
	flag.IntVar(&opt.Photos, "photos", 3, "shoppers' photos of each object")
	flag.Uint64Var(&opt.Seed, "seed", 1, "random seed")
	flag.Float64Var(&opt.Shrink, "shrink", 1, "shrinkage towards the identity")
	blocks := flag.String("blocks", "layout,shape", "comma-separated blocks to whiten (colour, layout, texture, shape)")
	flag.IntVar(&opt.Workers, "workers", runtime.GOMAXPROCS(0), "parallel workers")
	flag.Parse()
	opt.Blocks = strings.Split(*blocks, ",")
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, *out, opt); err != nil {
		fmt.Fprintln(os.Stderr, "whiten:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, out string, opt Options) error {
	start := time.Now()
	objs, err := describeObjects(ctx, opt)
	if err != nil {
		return err
	}
	slog.Info("described objects", "objects", len(objs), "took", time.Since(start).Round(time.Second))
	ws, err := Learn(objs, opt)
	if err != nil {
		return err
	}
	blob, err := vsearch.MarshalWhitening(ws)
	if err != nil {
		return err
	}
	if err := os.WriteFile(out, blob, 0o644); err != nil {
		return fmt.Errorf("write whitening: %w", err)
	}
	slog.Info("wrote whitening", "file", out, "bytes", len(blob), "blocks", strings.Join(opt.Blocks, ","), "took", time.Since(start).Round(time.Second))
	return nil
}

// object is one random object's unwhitened descriptor blocks: its
// catalog views' and its photos' (first hypothesis).
type object struct {
	views, photos [][]float32 // per picture, the four blocks concatenated
}

// describeObjects renders and describes opt.Objects random objects on
// opt.Workers goroutines; object i draws from its own seeded generator.
func describeObjects(ctx context.Context, opt Options) ([]object, error) {
	d := vsearch.NewDescriptor().Unwhitened()
	return eval.Parallel(opt.Objects, opt.Workers, func(i int) (object, error) {
		if err := ctx.Err(); err != nil {
			return object{}, err
		}
		rng := rand.New(rand.NewPCG(opt.Seed, uint64(i)))
		cutouts, shots, qualities, err := synth.ObjectViews(ctx, rng, opt.Views, opt.Photos)
		if err != nil {
			return object{}, fmt.Errorf("object %d: %w", i, err)
		}
		var o object
		for _, c := range cutouts {
			b, err := d.EmbedBlocks(ctx, c)
			if err != nil {
				return object{}, fmt.Errorf("object %d: %w", i, err)
			}
			o.views = append(o.views, slices.Concat(b[:]...))
		}
		for k, s := range shots {
			photo, err := eval.JPEGRoundTrip(s, qualities[k])
			if err != nil {
				return object{}, fmt.Errorf("object %d: %w", i, err)
			}
			hyps, _, err := d.EmbedQueryBlocks(ctx, photo)
			if err != nil {
				return object{}, fmt.Errorf("object %d: %w", i, err)
			}
			o.photos = append(o.photos, slices.Concat(hyps[0][:]...))
		}
		return o, nil
	})
}

// Learn computes the whitening of opt.Blocks from objs.
func Learn(objs []object, opt Options) ([]vsearch.WhitenedBlock, error) {
	d := vsearch.NewDescriptor()
	var out []vsearch.WhitenedBlock
	for _, name := range opt.Blocks {
		idx := slices.IndexFunc(d.Blocks(), func(b vsearch.Block) bool { return b.Name == name })
		if idx < 0 {
			return nil, fmt.Errorf("no descriptor block %q", name)
		}
		blk := d.Blocks()[idx]
		w, err := learnBlock(objs, blk.Start, blk.End, opt.Shrink)
		if err != nil {
			return nil, fmt.Errorf("block %s: %w", name, err)
		}
		w.Block = idx
		out = append(out, w)
	}
	return out, nil
}

// learnBlock learns the whitening of dimensions [lo, hi) of the
// concatenated blocks.
func learnBlock(objs []object, lo, hi int, shrink float64) (vsearch.WhitenedBlock, error) {
	dim := hi - lo
	mean := make([]float64, dim)
	n := 0
	for _, o := range objs {
		for _, v := range slices.Concat(o.views, o.photos) {
			for i := range dim {
				mean[i] += float64(v[lo+i])
			}
			n++
		}
	}
	if n == 0 {
		return vsearch.WhitenedBlock{}, fmt.Errorf("no pictures")
	}
	for i := range mean {
		mean[i] /= float64(n)
	}
	cov := mat.NewSymDense(dim, nil)
	diff := mat.NewVecDense(dim, nil)
	pairs := 0
	for _, o := range objs {
		for _, p := range o.photos {
			for _, v := range o.views {
				for i := range dim {
					diff.SetVec(i, float64(p[lo+i]-v[lo+i]))
				}
				cov.SymRankOne(cov, 1, diff)
				pairs++
			}
		}
	}
	if pairs == 0 {
		return vsearch.WhitenedBlock{}, fmt.Errorf("no photo and view pairs")
	}
	cov.ScaleSym(1/float64(pairs), cov)
	trace := 0.0
	for i := range dim {
		trace += cov.At(i, i)
	}
	for i := range dim {
		cov.SetSym(i, i, cov.At(i, i)+shrink*trace/float64(dim))
	}
	var eig mat.EigenSym
	if !eig.Factorize(cov, true) {
		return vsearch.WhitenedBlock{}, fmt.Errorf("eigen-decomposition failed")
	}
	values := eig.Values(nil)
	var vectors mat.Dense
	eig.VectorsTo(&vectors)
	w := vsearch.WhitenedBlock{Mean: make([]float32, dim), Proj: make([]float32, dim*dim)}
	for i, m := range mean {
		w.Mean[i] = float32(m)
	}
	// Proj = V · diag(1/√λ) · Vᵀ.
	for r := range dim {
		for c := range dim {
			var s float64
			for k, l := range values {
				s += vectors.At(r, k) * vectors.At(c, k) / math.Sqrt(l)
			}
			w.Proj[r*dim+c] = float32(s)
		}
	}
	return w, nil
}
