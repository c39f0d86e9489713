package main

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/vitrine-shop/vitrine/server/vsearch"
	"github.com/vitrine-shop/vitrine/server/vsearch/eval"
	"github.com/vitrine-shop/vitrine/server/vsearch/eval/synth"
)

// penaltyGrid holds the values each cue's weight takes in the grid
// search: similarities of right and wrong products differ by hundredths.
var penaltyGrid = []float32{0, 0.02, 0.05, 0.1}

// tunePenalty chooses the hypothesis penalty weights with the block
// weights fixed at vsearch.DefaultWeights: each cue alone over all tuning
// queries, then a grid search over all cues for the best training
// Recall@1 (mAP breaking ties, then the smaller total weight), reported
// on the validation half and per background.
func tunePenalty(queries []eval.Item, sims [][][][numBlocks]float32, cues [][]vsearch.PlausibilityCues, train, val, all []int,
	scoreWith func([numBlocks]float32, [vsearch.NumCues]float32, []int) eval.Metrics, extra *[vsearch.NumCues]float32) error {
	if len(cues) != len(sims) {
		return fmt.Errorf("penalty: cues for %d queries, similarities for %d", len(cues), len(sims))
	}
	w := vsearch.DefaultWeights
	report := func(name string, pw [vsearch.NumCues]float32) {
		m := scoreWith(w, pw, all)
		fmt.Printf("%s %v, all tuning queries: R@1 %.3f  R@5 %.3f  mAP %.3f\n  R@1 per background:", name, pw, m.RecallAt1, m.RecallAt5, m.MAP)
		printBackgrounds(m)
	}
	fmt.Printf("\nhypothesis penalties (block weights %v; cues %s)\n", w, strings.Join(vsearch.CueNames[:], ", "))
	report("no penalty", [vsearch.NumCues]float32{})
	report("current DefaultPenaltyWeights", vsearch.DefaultPenaltyWeights)
	if extra != nil {
		report("given -penalty", *extra)
	}
	fmt.Println("each cue alone, all tuning queries, R@1 (clutter):")
	for c := range vsearch.NumCues {
		fmt.Printf("  %-10s", vsearch.CueNames[c])
		for _, x := range []float32{0.01, 0.02, 0.05, 0.1, 0.2} {
			var pw [vsearch.NumCues]float32
			pw[c] = x
			m := scoreWith(w, pw, all)
			fmt.Printf("  %.2f: %.3f (%.2f)", x, m.RecallAt1, m.PerBackgroundRecallAt1["clutter"])
		}
		fmt.Println()
	}
	if !*searchPenalty {
		return nil
	}
	var best [vsearch.NumCues]float32
	bestM, bestSum := eval.Metrics{RecallAt1: -1}, float32(0)
	var pw [vsearch.NumCues]float32
	var walk func(c int)
	walk = func(c int) {
		if c == vsearch.NumCues {
			m := scoreWith(w, pw, train)
			var sum float32
			for _, x := range pw {
				sum += x
			}
			if m.RecallAt1 > bestM.RecallAt1 || (m.RecallAt1 == bestM.RecallAt1 && (m.MAP > bestM.MAP || (m.MAP == bestM.MAP && sum < bestSum))) {
				best, bestM, bestSum = pw, m, sum
			}
			return
		}
		for _, x := range penaltyGrid {
			pw[c] = x
			walk(c + 1)
		}
	}
	walk(0)
	mv := scoreWith(w, best, val)
	m0 := scoreWith(w, [vsearch.NumCues]float32{}, train)
	m0v := scoreWith(w, [vsearch.NumCues]float32{}, val)
	fmt.Printf("best penalty weights %v (grid %v per cue)\n", best, penaltyGrid)
	fmt.Printf("  train:      R@1 %.3f  R@5 %.3f  mAP %.3f  (no penalty: R@1 %.3f mAP %.3f)\n", bestM.RecallAt1, bestM.RecallAt5, bestM.MAP, m0.RecallAt1, m0.MAP)
	fmt.Printf("  validation: R@1 %.3f  R@5 %.3f  mAP %.3f  (no penalty: R@1 %.3f mAP %.3f)\n", mv.RecallAt1, mv.RecallAt5, mv.MAP, m0v.RecallAt1, m0v.MAP)
	report("best penalty", best)
	return nil
}

func printBackgrounds(m eval.Metrics) {
	for _, bg := range synth.Backgrounds {
		if r, ok := m.PerBackgroundRecallAt1[bg]; ok {
			fmt.Printf(" %s %.2f", bg, r)
		}
	}
	fmt.Println()
}

// parsePenalty reads vsearch.NumCues comma-separated non-negative
// weights.
func parsePenalty(s string) ([vsearch.NumCues]float32, error) {
	var pw [vsearch.NumCues]float32
	parts := strings.Split(s, ",")
	if len(parts) != vsearch.NumCues {
		return pw, fmt.Errorf("-penalty has %d weights, want %d (%s)", len(parts), vsearch.NumCues, strings.Join(vsearch.CueNames[:], ","))
	}
	for i, p := range parts {
		x, err := strconv.ParseFloat(strings.TrimSpace(p), 32)
		if err != nil || x < 0 || x > 10 {
			return pw, fmt.Errorf("-penalty weight %d %q: want a number in [0, 10]", i, p)
		}
		pw[i] = float32(x)
	}
	return pw, nil
}

var diag, searchPenalty *bool

// diagnose prints, for each clutter query whose best product under the
// default pooling is wrong, every hypothesis' cues, its best score for
// the right product and for the best wrong one.
func diagnose(queries, gallery []eval.Item, sims [][][][numBlocks]float32, cues [][]vsearch.PlausibilityCues, subset []int, w [numBlocks]float32) {
	var total float32
	for _, x := range w {
		total += x * x
	}
	for _, q := range subset {
		if bg, _ := synth.BackgroundOfFile(queries[q].Path); bg != "clutter" {
			continue
		}
		fmt.Printf("%s %s\n", queries[q].Label, queries[q].Path)
		for h, hyp := range sims[q] {
			right, wrong, wrongLabel := float32(-2), float32(-2), ""
			for g := range gallery {
				var s float32
				for b := range w {
					s += w[b] * w[b] * hyp[g][b]
				}
				s /= total
				if gallery[g].Label == queries[q].Label {
					right = max(right, s)
				} else if s > wrong {
					wrong, wrongLabel = s, gallery[g].Label
				}
			}
			fmt.Printf("  h%d right %.3f wrong %.3f %-24s cues %.2f\n", h, right, wrong, wrongLabel, cues[q][h])
		}
	}
}
