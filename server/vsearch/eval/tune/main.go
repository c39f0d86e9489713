// Command tune chooses the built-in descriptor's block weights on data.
//
// It embeds a gallery and a tuning query set (generated with a seed and
// viewpoints different from the committed test queries, e.g.
// `go run ./server/vsearch/eval/gen -o /tmp/tune -gallery=false -seed 7
// -yaw-offset 15 -queries 16`) block by block — each query once per
// hypothesis, as the search service does, a gallery image matching it by
// the best hypothesis — splits the tuning queries
// into a training half (even query numbers) and a validation half (odd),
// grid-searches the weights maximising Recall@1 (mAP breaking ties) on the
// training half, and reports the best weights' figures on both halves, and
// each block's mean similarity between unrelated products (the baselines
// that calibrate Result.Why). With -masks (a set generated with gen
// -masks) it also measures the learned segmentation against the true
// product masks and the Recall@1 that true masks would give. The
// committed test queries are never read.
package main

import (
	"context"
	"flag"
	"fmt"
	"image"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/vitrine-shop/vitrine/server/vsearch"
	"github.com/vitrine-shop/vitrine/server/vsearch/eval"
	"github.com/vitrine-shop/vitrine/server/vsearch/eval/synth"
)

const numBlocks = 4

var blockNames = [numBlocks]string{"colour", "layout", "texture", "shape"}

func main() {
	galleryDir := flag.String("gallery", "server/vsearch/testdata/eval/gallery", "gallery folder")
	queriesDir := flag.String("queries", "", "tuning queries folder (not the committed test queries)")
	diag = flag.Bool("diag", false, "print, for every clutter query the defaults get wrong, each hypothesis' cues and best right and wrong scores")
	searchPenalty = flag.Bool("penalty-grid", true, "grid-search the hypothesis penalty weights (minutes)")
	masksDir := flag.String("masks", "", "the tuning set's true product masks (gen -masks writes them beside queries/): report the learned segmentation's IoU and Recall@1 with true masks")
	penaltyFlag := flag.String("penalty", "", "hypothesis penalty weights to report besides the defaults, comma-separated in the order "+strings.Join(vsearch.CueNames[:], ","))
	shapeFlag := flag.String("shape-weights", "", "only score these shape verification weights, comma-separated (say 0,0.1,0.2,0.3,0.5,1), with the gallery's shape banks, and the right product's mean best shape match")
	flag.Parse()
	var extra *[vsearch.NumCues]float32
	if *penaltyFlag != "" {
		pw, err := parsePenalty(*penaltyFlag)
		if err != nil {
			fmt.Fprintln(os.Stderr, "tune:", err)
			os.Exit(2)
		}
		extra = &pw
	}
	if *queriesDir == "" || strings.Contains(filepath.ToSlash(*queriesDir), "testdata/eval/queries") {
		fmt.Fprintln(os.Stderr, "tune: -queries must name a tuning set, never the committed test queries")
		os.Exit(2)
	}
	if *shapeFlag != "" {
		ws, err := parseWeights(*shapeFlag)
		if err == nil {
			err = tuneShapes(context.Background(), *galleryDir, *queriesDir, ws)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "tune:", err)
			os.Exit(1)
		}
		return
	}
	if err := run(context.Background(), *galleryDir, *queriesDir, *masksDir, extra); err != nil {
		fmt.Fprintln(os.Stderr, "tune:", err)
		os.Exit(1)
	}
}

// loadSets reads the gallery and the tuning queries.
func loadSets(galleryDir, queriesDir string) (gallery, queries []eval.Item, err error) {
	if gallery, err = eval.LoadSet(galleryDir); err != nil {
		return nil, nil, err
	}
	if queries, err = eval.LoadSet(queriesDir); err != nil {
		return nil, nil, err
	}
	return gallery, queries, nil
}

func run(ctx context.Context, galleryDir, queriesDir, masksDir string, extraPenalty *[vsearch.NumCues]float32) error {
	gallery, queries, err := loadSets(galleryDir, queriesDir)
	if err != nil {
		return err
	}
	d := vsearch.NewDescriptor()
	gb, _, err := embedBlocks(ctx, gallery, func(img image.Image) ([][numBlocks][]float32, []vsearch.PlausibilityCues, error) {
		b, err := d.EmbedBlocks(ctx, img)
		return [][numBlocks][]float32{b}, nil, err
	})
	if err != nil {
		return err
	}
	qb, qc, err := embedBlocks(ctx, queries, func(img image.Image) ([][numBlocks][]float32, []vsearch.PlausibilityCues, error) {
		return d.EmbedQueryBlocks(ctx, img)
	})
	if err != nil {
		return err
	}
	var train, val []int
	for i, q := range queries {
		var n int
		fmt.Sscanf(filepath.Base(q.Path), "q%d", &n)
		if n%2 == 0 {
			train = append(train, i)
		} else {
			val = append(val, i)
		}
	}
	// sims[q][h][g][b]: cosine of block b between hypothesis h of query q
	// and gallery image g.
	sims := make([][][][numBlocks]float32, len(queries))
	for q := range queries {
		sims[q] = make([][][numBlocks]float32, len(qb[q]))
		for h, hyp := range qb[q] {
			sims[q][h] = make([][numBlocks]float32, len(gallery))
			for g := range gallery {
				for b := range numBlocks {
					sims[q][h][g][b] = vsearch.Dot(hyp[b], gb[g][0][b])
				}
			}
		}
	}
	// scoreWith scores the queries of subset with block weights w and
	// hypothesis penalty weights pw, pooling hypotheses as the service
	// does (vsearch.HypothesisScore).
	scoreWith := func(w [numBlocks]float32, pw [vsearch.NumCues]float32, subset []int) eval.Metrics {
		var total float32
		for _, x := range w {
			total += x * x
		}
		sub := make([]eval.Item, len(subset))
		for i, q := range subset {
			sub[i] = queries[q]
		}
		return eval.Score(gallery, sub, func(q, g int) float32 {
			best := float32(-2)
			for h, hyp := range sims[subset[q]] {
				var s float32
				for b := range w {
					s += w[b] * w[b] * hyp[g][b]
				}
				best = max(best, vsearch.HypothesisScore(s/total, vsearch.HypothesisPenalty(qc[subset[q]][h], pw)))
			}
			return best
		})
	}
	score := func(w [numBlocks]float32, subset []int) eval.Metrics {
		return scoreWith(w, vsearch.DefaultPenaltyWeights, subset)
	}
	fmt.Printf("tuning queries: %d (train %d, validation %d); gallery %d images\n\n", len(queries), len(train), len(val), len(gallery))
	for b := range numBlocks {
		var w [numBlocks]float32
		w[b] = 1
		mt, mv := score(w, train), score(w, val)
		fmt.Printf("block %-8s alone: train R@1 %.3f, validation R@1 %.3f\n", blockNames[b], mt.RecallAt1, mv.RecallAt1)
	}
	grid := []float32{0, 0.25, 0.5, 0.75, 1, 1.5, 2}
	best, bestM := [numBlocks]float32{}, eval.Metrics{RecallAt1: -1}
	for _, wl := range grid {
		for _, wt := range grid {
			for _, ws := range grid {
				w := [numBlocks]float32{1, wl, wt, ws}
				m := score(w, train)
				if m.RecallAt1 > bestM.RecallAt1 || (m.RecallAt1 == bestM.RecallAt1 && m.MAP > bestM.MAP) {
					best, bestM = w, m
				}
			}
		}
	}
	mv := score(best, val)
	fmt.Printf("\nbest weights (colour, layout, texture, shape) = %v\n", best)
	fmt.Printf("  train:      R@1 %.3f  R@5 %.3f  mAP %.3f\n", bestM.RecallAt1, bestM.RecallAt5, bestM.MAP)
	fmt.Printf("  validation: R@1 %.3f  R@5 %.3f  mAP %.3f\n", mv.RecallAt1, mv.RecallAt5, mv.MAP)
	all := make([]int, len(queries))
	for i := range all {
		all[i] = i
	}
	ma := score(best, all)
	fmt.Printf("  all tuning queries, R@1 per background:")
	for _, bg := range synth.Backgrounds {
		if r, ok := ma.PerBackgroundRecallAt1[bg]; ok {
			fmt.Printf(" %s %.2f", bg, r)
		}
	}
	fmt.Println()
	cur := vsearch.DefaultWeights
	mc := score(cur, val)
	fmt.Printf("current DefaultWeights %v: validation R@1 %.3f mAP %.3f\n", cur, mc.RecallAt1, mc.MAP)
	// The same weights over all tuning queries: the figure to compare
	// changes to the descriptor by, free of the grid search's noise.
	ca := score(cur, all)
	hyps := 0
	for _, q := range qb {
		hyps += len(q)
	}
	fmt.Printf("current DefaultWeights, all tuning queries: R@1 %.3f  R@5 %.3f  mAP %.3f  (%.2f hypotheses per query)\n  R@1 per background:",
		ca.RecallAt1, ca.RecallAt5, ca.MAP, float64(hyps)/float64(len(qb)))
	for _, bg := range synth.Backgrounds {
		if r, ok := ca.PerBackgroundRecallAt1[bg]; ok {
			fmt.Printf(" %s %.2f", bg, r)
		}
	}
	fmt.Println()

	if *diag {
		diagnose(queries, gallery, sims, qc, all, vsearch.DefaultWeights)
	}
	if err := tunePenalty(queries, sims, qc, train, val, all, scoreWith, extraPenalty); err != nil {
		return err
	}

	// Baselines: mean block cosine between a query and gallery images of
	// other products.
	fmt.Printf("\nblock baselines (mean cosine, unrelated pairs, first hypothesis):")
	for b := range numBlocks {
		var sum float64
		var n int
		for q := range queries {
			for g := range gallery {
				if !sameProduct(queries[q].Label, gallery[g].Label) {
					sum += float64(sims[q][0][g][b])
					n++
				}
			}
		}
		fmt.Printf(" %s %.3f", blockNames[b], sum/float64(n))
	}
	fmt.Println()
	if masksDir != "" {
		return reportMasks(ctx, masksDir, gallery, queries, d)
	}
	return nil
}

// sameProduct treats distractor variants as unrelated to their source.
func sameProduct(a, b string) bool { return a == b }

func embedBlocks(ctx context.Context, items []eval.Item, embed func(image.Image) ([][numBlocks][]float32, []vsearch.PlausibilityCues, error)) ([][][numBlocks][]float32, [][]vsearch.PlausibilityCues, error) {
	type embedded struct {
		blocks [][numBlocks][]float32
		cues   []vsearch.PlausibilityCues
	}
	all, err := eval.Parallel(len(items), runtime.GOMAXPROCS(0), func(i int) (embedded, error) {
		b, c, err := embed(items[i].Image)
		if err != nil {
			return embedded{}, fmt.Errorf("embed %s: %w", items[i].Path, err)
		}
		return embedded{b, c}, nil
	})
	if err != nil {
		return nil, nil, err
	}
	out := make([][][numBlocks][]float32, len(items))
	cues := make([][]vsearch.PlausibilityCues, len(items))
	for i, e := range all {
		out[i], cues[i] = e.blocks, e.cues
	}
	return out, cues, nil
}
