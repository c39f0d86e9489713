package vsearch

import "math"

// A query photograph is described once per hypothesis about where the
// product is, and a product scores its best match over them. On clutter
// a wrong hypothesis (a lone painted shape) can match a flat-coloured
// gallery product better than the right one matches the right product,
// so each hypothesis carries a penalty from image evidence alone —
// never from the gallery — and a product scores
//
//	max over hypotheses of HypothesisScore(similarity, penalty)
//
// in Service.SearchHypotheses, the evaluation and the tuner alike.

// Hypothesis is one query vector and its implausibility penalty,
// λ·(1 − plausibility) = Σ weight·cue (see HypothesisPenalty); 0 for a
// hypothesis taken at face value. Whole reports a vector that describes
// the whole picture because no product was told apart from its
// background there (see NoProductFound). Shape is the silhouette of the
// hypothesis' mask, checked against products' ShapeBanks (ShapeScore);
// nil for the whole picture and from embedders without masks.
type Hypothesis struct {
	Vector  []float32
	Penalty float32
	Whole   bool
	Shape   *Silhouette
}

// NoProductFound reports whether every hypothesis of a query describes
// the whole picture for want of a product mask — a blank wall, or a
// product the segmentation could not tell from a busy pattern behind it.
// The results then compare the whole picture, and cropping to the
// product helps.
func NoProductFound(hs []Hypothesis) bool {
	for _, h := range hs {
		if !h.Whole {
			return false
		}
	}
	return len(hs) > 0
}

// HypothesisScore is a gallery image's score for one hypothesis: its
// cosine similarity less the hypothesis' penalty. Every caller that
// pools hypotheses scores them with it.
func HypothesisScore(similarity, penalty float32) float32 { return similarity - penalty }

// Plausibility cues of a hypothesis mask, each in [0, 1], higher for a
// less plausible product mask.
const (
	// CueOffCentre is the distance of the mask's centroid from the
	// picture's centre over the half-diagonal: people frame the product.
	CueOffCentre = iota
	// CueFlat is the share of the mask in flat regions (painted shapes,
	// walls, posters).
	CueFlat
	// CueDisagree is 1 − the intersection over union with the first
	// hypothesis (the learned segmentation's mask).
	CueDisagree
	// CueFrame is the share of the picture's four sides the mask touches.
	CueFrame
	// CueSmall is how far the mask falls short of a tenth of the
	// picture: 1 − area/(0.1·picture), at least 0.
	CueSmall
	// CueBoxFill is the mask's share of its bounding box: painted
	// rectangles and discs fill theirs, furniture rarely does.
	CueBoxFill
	// CueSmallFilled is CueSmall × CueBoxFill: a small shape that fills
	// its box, such as a lone painted disc or rectangle.
	CueSmallFilled
	// NumCues is the number of cues.
	NumCues
)

// CueNames name the cues for reports, in order.
var CueNames = [NumCues]string{"off-centre", "flat", "disagree", "frame", "small", "box-fill", "small-filled"}

// PlausibilityCues are a hypothesis' cues, indexed by the Cue constants.
type PlausibilityCues [NumCues]float32

// DefaultPenaltyWeights weight the cues into a hypothesis' penalty:
// flat 0.02, frame 0.05, small 0.02, box-fill 0.1, small-filled 0.05.
// The tuner's grid pick on the seed-7 tuning set (training half), checked
// on the seed-11 set; docs/vsearch.md has the runs.
var DefaultPenaltyWeights = [NumCues]float32{0, 0.02, 0, 0.05, 0.02, 0.1, 0.05}

// HypothesisPenalty is Σ w[i]·cues[i], the penalty HypothesisScore
// subtracts.
func HypothesisPenalty(cues PlausibilityCues, w [NumCues]float32) float32 {
	var p float32
	for i, c := range cues {
		p += w[i] * c
	}
	return p
}

// hypothesisCues measures fg's cues in a w×h picture, given the flat
// pixels and the first hypothesis.
func hypothesisCues(fg, first foreground, flat []bool, w, h int) PlausibilityCues {
	var c PlausibilityCues
	n := w * h
	var sx, sy float64
	inter, union := 0, 0
	for i, in := range fg.mask {
		if in {
			sx += float64(i%w) + 0.5
			sy += float64(i/w) + 0.5
		}
		if in && first.mask[i] {
			inter++
		}
		if in || first.mask[i] {
			union++
		}
	}
	count := float64(max(fg.count, 1))
	dx, dy := sx/count/float64(w)-0.5, sy/count/float64(h)-0.5
	c[CueOffCentre] = float32(min(1, math.Sqrt(dx*dx+dy*dy)/math.Sqrt(0.5)))
	c[CueFlat] = float32(flatShare(fg, flat))
	c[CueDisagree] = float32(1 - float64(inter)/float64(max(union, 1)))
	sides := 0
	for _, touches := range [4]bool{fg.x0 == 0, fg.y0 == 0, fg.x1 == w, fg.y1 == h} {
		if touches {
			sides++
		}
	}
	c[CueFrame] = float32(sides) / 4
	c[CueSmall] = float32(max(0, 1-float64(fg.count)/(0.1*float64(n))))
	boxArea := max((fg.x1-fg.x0)*(fg.y1-fg.y0), 1)
	c[CueBoxFill] = float32(min(1, float64(fg.count)/float64(boxArea)))
	c[CueSmallFilled] = c[CueSmall] * c[CueBoxFill]
	return c
}
