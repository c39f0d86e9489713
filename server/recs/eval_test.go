package recs_test

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/vitrine-shop/vitrine/server/recs"
	"github.com/vitrine-shop/vitrine/server/recs/synth"
)

func TestEvalRecsOnSynthetic(t *testing.T) {
	ds := synth.Generate(synth.Options{Seed: 7, Products: 600, Sessions: 800, Days: 3})
	var out bytes.Buffer
	rep, err := recs.EvalRecs(context.Background(), &out, ds.Events, ds.Items, recs.EvalOptions{Similar: ds.Similar})
	if err != nil {
		t.Fatal(err)
	}
	t.Log("\n" + out.String())
	if len(rep.Rows) != 8 || rep.Predictions < 1000 {
		t.Fatalf("report %+v: want 8 rows and over 1000 predictions", rep)
	}
	row := map[string]recs.EvalRow{}
	for _, r := range rep.Rows {
		row[r.Name] = r
		if r.HitRate < 0 || r.HitRate > 1 || r.NDCG > r.HitRate || r.Coverage > 1 || r.ILD > 1 {
			t.Errorf("row %+v out of range", r)
		}
	}
	base := row["baseline: global popularity"]
	for _, name := range []string{"session next-item", "co-view", "blend"} {
		if row[name].HitRate <= 2*base.HitRate {
			t.Errorf("%s HitRate %.3f is not clearly above the popularity baseline %.3f", name, row[name].HitRate, base.HitRate)
		}
	}
	if row["blend"].ILD <= row["blend, no diversity"].ILD {
		t.Errorf("the diversity step did not raise intra-list diversity: %.3f vs %.3f", row["blend"].ILD, row["blend, no diversity"].ILD)
	}
	if !strings.Contains(out.String(), "HitRate@10") {
		t.Errorf("report lacks its header:\n%s", out.String())
	}
	// Deterministic: the same seed gives the same figures.
	ds2 := synth.Generate(synth.Options{Seed: 7, Products: 600, Sessions: 800, Days: 3})
	rep2, _ := recs.EvalRecs(context.Background(), &bytes.Buffer{}, ds2.Events, ds2.Items, recs.EvalOptions{Similar: ds2.Similar})
	if rep2.Rows[5] != rep.Rows[5] {
		t.Errorf("two runs differ: %+v vs %+v", rep.Rows[5], rep2.Rows[5])
	}
}
