package vsearch

import "slices"

// Flat regions: areas of one unshaded colour, such as painted shapes,
// posters, walls or furniture behind the product. A region grows from a
// seed over 4-neighbours within flatStepDE of each other and flatSpanDE of
// the seed; regions covering flatMinFrac of the picture count as flat.
// A rendered or photographed product is shaded and textured, so its
// surfaces rarely form such regions.
const (
	flatStepDE  = 2.5
	flatSpanDE  = 5
	flatMinFrac = 0.01
)

// maxHypotheses bounds the masks hypotheses returns; Service.SearchVectors
// accepts at most 8 vectors per query.
const maxHypotheses = 8

// hypotheses returns candidate product masks for a photograph, distinct
// and at most maxHypotheses, the first being the learned segmentation's
// (segment.go; isolate's when the network finds nothing), the second its
// graph-cut refinement and the third its generous mask (all the network
// is not sure is background). A single threshold against the border's
// colours fails on clutter: shapes behind the product are kept and parts
// of the product lost, and a network can miss. So the query also tries
// isolate's mask, its best-scoring component alone, and isolate's mask
// without large flat regions refined by a graph cut on colour models; a
// hypothesis (but the first) mostly made of flat regions is dropped. A
// gallery image matches the query by the best of them. The learned
// masks, put first, took the three tuning sets' mean Recall@1 from 0.750
// to 0.826 (clutter 0.33 to 0.73); dropping version 4's two masks of
// "everything not flat" and its graph cut of isolate's mask then gained
// 0.009 with 1.5 fewer hypotheses and one cut less per query. Version 7's
// generous mask took version 6's 0.858 to 0.869, and with it the two
// masks of isolate's without flat regions (still the graph cut's start)
// no longer won a query: dropped, the hypotheses are as many as before.
// docs/vsearch.md has the steps. Each mask comes with its plausibility
// cues (plausibility.go). It fails only if the embedded network does.
func hypotheses(li *labImage) ([]foreground, []PlausibilityCues, error) {
	w, h := li.w, li.h
	// The independent steps run two at a time (see both): the border
	// model's mask beside the flat regions, then the graph cut of the
	// mask without flat regions beside the network.
	var raw, flat []bool
	both(func() { raw = rawForeground(li) }, func() { flat = flatRegions(li) })
	labels, comps := components(raw, w, h)
	masks := [][]bool{
		keepComponents(labels, comps, keepScoreRatio),
		keepComponents(labels, comps, 1),
	}
	notFlat := make([]bool, len(raw))
	for i := range raw {
		notFlat[i] = raw[i] && !flat[i]
	}
	// A graph-cut refinement (foreground_graphcut.go) of the foreground
	// without flat regions, with those regions as certain background,
	// which puts the colours of painted shapes merged with the product
	// into the background's model.
	var stepCut []bool
	var err error
	both(func() {
		if cut := refineCut(li, selectComponents(notFlat, w, h), flat); cut != nil {
			stepCut = selectComponents(cut, w, h)
		}
	}, func() {
		// The learned segmentation (segment.go) goes first: its mask,
		// and that mask refined by a graph cut with what the network is
		// sure of as background. Being first, the learned mask is never
		// dropped as flat (a framed print or a flat-coloured product is
		// flat) and is what the other hypotheses' disagreement is
		// measured against.
		var lm, sure []bool
		if lm, sure, err = learnedMask(li, raw, flat); err != nil || lm == nil {
			return
		}
		front := [][]bool{lm}
		if cut := refineCut(li, lm, sure); cut != nil {
			front = append(front, selectComponents(cut, w, h))
		}
		masks = append(append(front, generousMask(sure, w, h)), masks...)
	})
	if err != nil {
		return nil, nil, err
	}
	if stepCut != nil {
		masks = append(masks, stepCut)
	}

	out := make([]foreground, 0, maxHypotheses)
	for k, m := range masks {
		fg := boxed(m, w, h)
		if k > 0 && flatShare(fg, flat) >= flatRejectShare {
			// Mostly flat: a painted shape, not the product.
			continue
		}
		if !slices.ContainsFunc(out, func(o foreground) bool { return slices.Equal(o.mask, fg.mask) }) && len(out) < maxHypotheses {
			out = append(out, fg)
		}
	}
	cues := make([]PlausibilityCues, len(out))
	for i, fg := range out {
		cues[i] = hypothesisCues(fg, out[0], flat, w, h)
	}
	return out, cues, nil
}

// both runs f on another goroutine and g on this one, and returns when
// both have: a query's independent steps take the time of the longer
// one on a machine with a core to spare.
func both(f, g func()) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		f()
	}()
	g()
	<-done
}

// trueCount is the number of set pixels of m, as a float64 for
// comparisons with fractions of the picture.
func trueCount(m []bool) float64 {
	n := 0
	for _, v := range m {
		if v {
			n++
		}
	}
	return float64(n)
}

// flatRegions marks the pixels of large regions of nearly one colour.
func flatRegions(li *labImage) []bool {
	w, h := li.w, li.h
	n := w * h
	seen := make([]bool, n)
	flat := make([]bool, n)
	var region, stack []int32
	minArea := int(flatMinFrac * float64(n))
	tried := make([]bool, n)
	for start := 0; start < n; start++ {
		if seen[start] || tried[start] {
			continue
		}
		sl, sa, sb := li.l[start], li.a[start], li.b[start]
		seen[start] = true
		region = append(region[:0], int32(start))
		stack = append(stack[:0], int32(start))
		for len(stack) > 0 {
			p := int(stack[len(stack)-1])
			stack = stack[:len(stack)-1]
			x, y := p%w, p/w
			for _, d := range [4][2]int{{1, 0}, {-1, 0}, {0, 1}, {0, -1}} {
				nx, ny := x+d[0], y+d[1]
				if nx < 0 || ny < 0 || nx >= w || ny >= h {
					continue
				}
				q := ny*w + nx
				if seen[q] || labDist2(li, p, q) > flatStepDE*flatStepDE {
					continue
				}
				dl, da, db := li.l[q]-sl, li.a[q]-sa, li.b[q]-sb
				if dl*dl+da*da+db*db > flatSpanDE*flatSpanDE {
					continue
				}
				seen[q] = true
				region = append(region, int32(q))
				stack = append(stack, int32(q))
			}
		}
		if len(region) >= minArea {
			for _, p := range region {
				flat[p] = true
			}
		} else {
			// A small region's pixels may still join another region but
			// do not seed one: seeding from each would cost time
			// quadratic in the region's size.
			for _, p := range region[1:] {
				seen[p] = false
				tried[p] = true
			}
		}
	}
	return flat
}

// labDist2 is the squared CIELAB distance between pixels p and q.
func labDist2(li *labImage, p, q int) float32 {
	dl, da, db := li.l[p]-li.l[q], li.a[p]-li.a[q], li.b[p]-li.b[q]
	return dl*dl + da*da + db*db
}

// flatRejectShare: a hypothesis (other than the first) with at least
// this share of its pixels in flat regions is a painted shape, not the
// product, and is dropped.
const flatRejectShare = 0.5

// flatShare is the fraction of fg's pixels that are flat.
func flatShare(fg foreground, flat []bool) float64 {
	n := 0
	for i, in := range fg.mask {
		if in && flat[i] {
			n++
		}
	}
	return float64(n) / float64(max(fg.count, 1))
}
