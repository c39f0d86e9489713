package eval

import (
	"cmp"
	"context"
	"image"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/vitrine-shop/vitrine/server/vsearch"
)

// TestServiceRanksAsTheEvaluation: the search service — the index's
// per-hypothesis candidates, pooling and best-first shape verification —
// ranks the committed set's products as the evaluation scores them
// (every product, every image, every hypothesis), so the figures
// `vitrine eval search` prints are the service's.
func TestServiceRanksAsTheEvaluation(t *testing.T) {
	if testing.Short() {
		t.Skip("embeds the committed gallery")
	}
	ctx := context.Background()
	gallery, queries, shapes := loadCommitted(t)
	d := vsearch.NewDescriptor()
	svc := vsearch.NewService(d, vsearch.Options{})
	byLabel := map[string][]image.Image{}
	for _, g := range gallery {
		byLabel[g.Label] = append(byLabel[g.Label], g.Image)
	}
	for label, imgs := range byLabel {
		if err := svc.IndexProduct(ctx, label, "", 0, imgs); err != nil {
			t.Fatal(err)
		}
		svc.SetShapes(label, shapes[label])
	}
	gv, _, err := EmbedAll(ctx, d, gallery)
	if err != nil {
		t.Fatal(err)
	}
	// Every eleventh query: one per product, all six backgrounds.
	for q := 0; q < len(queries); q += 11 {
		hs, err := vsearch.EmbedHypotheses(ctx, d, queries[q].Image)
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]float32{}
		for g, item := range gallery {
			s := float32(-2)
			for _, h := range hs {
				s = max(s, vsearch.HypothesisScore(vsearch.Dot(h.Vector, gv[g]), h.Penalty))
			}
			if old, ok := want[item.Label]; !ok || s > old {
				want[item.Label] = s
			}
		}
		labels := make([]string, 0, len(want))
		for l := range want {
			want[l] = vsearch.ShapeScore(want[l], hs, shapes[l])
			labels = append(labels, l)
		}
		slices.SortFunc(labels, func(a, b string) int { // best first, then by SKU, as the service
			if c := cmp.Compare(want[b], want[a]); c != 0 {
				return c
			}
			return strings.Compare(a, b)
		})
		got, err := svc.SearchHypotheses(ctx, hs, 5, vsearch.Filter{})
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 5 {
			t.Fatalf("%s: %d results", queries[q].Path, len(got))
		}
		for i, r := range got {
			if r.SKU != labels[i] || math.Abs(float64(r.Score-want[r.SKU])) > 1e-5 {
				t.Errorf("%s: result %d is %s (%.5f), the evaluation ranks %s (%.5f) there", queries[q].Path, i+1, r.SKU, r.Score, labels[i], want[labels[i]])
			}
		}
	}
}
