package main

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/vitrine-shop/vitrine/server/vsearch"
	"github.com/vitrine-shop/vitrine/server/vsearch/eval"
)

// tuneShapes scores the tuning queries with each shape verification
// weight (vsearch.ShapeWeight) and prints Recall@1 for each, and the mean
// over queries of the right product's best shape match (what
// vsearch.NeutralShapeMatch stands for).
func tuneShapes(ctx context.Context, galleryDir, queriesDir string, weights []float32) error {
	gallery, queries, err := loadSets(galleryDir, queriesDir)
	if err != nil {
		return err
	}
	shapes, err := eval.LoadShapes(galleryDir)
	if err != nil {
		return err
	}
	d := vsearch.NewDescriptor()
	gv, _, err := eval.EmbedAll(ctx, d, gallery)
	if err != nil {
		return err
	}
	qv, _, err := eval.EmbedQueries(ctx, d, queries)
	if err != nil {
		return err
	}
	fmt.Printf("tuning queries: %d; gallery %d images, %d shape banks\n", len(queries), len(gallery), len(shapes))
	for _, w := range weights {
		m := eval.ScoreEmbedded(gallery, queries, gv, qv, shapes, w)
		fmt.Printf("shape weight %.2f: R@1 %.3f (%d)  R@5 %.3f  mAP %.3f\n", w, m.RecallAt1, int(m.RecallAt1*float64(m.Queries)+0.5), m.RecallAt5, m.MAP)
	}
	var sum float64
	n := 0
	for q, item := range queries {
		if bank := shapes[item.Label]; bank != nil {
			sum += float64(vsearch.BestShapeMatch(qv[q], bank))
			n++
		}
	}
	if n > 0 {
		fmt.Printf("right product's best shape match, mean over %d queries: %.3f\n", n, sum/float64(n))
	}
	return nil
}

func parseWeights(s string) ([]float32, error) {
	var out []float32
	for _, f := range strings.Split(s, ",") {
		v, err := strconv.ParseFloat(strings.TrimSpace(f), 32)
		if err != nil || v < 0 || v > 10 {
			return nil, fmt.Errorf("shape weight %q: want a number in 0…10", f)
		}
		out = append(out, float32(v))
	}
	return out, nil
}
