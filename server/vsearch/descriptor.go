package vsearch

import (
	"cmp"
	"context"
	"fmt"
	"image"
	"math"
	"strconv"
	"strings"
)

// Descriptor layout. Each block is computed on the isolated foreground,
// L2-normalised on its own, multiplied by its weight, and the
// concatenation is normalised again, so the cosine similarity of two
// descriptors is the weight²-weighted mean of the four block cosines.
const (
	workSide = 160 // the picture is shrunk to fit workSide² first

	colourLBins, colourABins, colourBBins = 4, 5, 5
	colourABRange                         = 40.0 // a*, b* binned over [-40, 40]
	colourDim                             = colourLBins * colourABins * colourBBins

	layoutGrid = 3
	layoutDim  = layoutGrid * layoutGrid * 4

	hogSide    = 48 // the foreground's square box is resampled to hogSide²
	hogCells   = 4
	hogOrient  = 8
	textureDim = hogCells * hogCells * hogOrient

	shapeGrid   = 10
	shapeRadial = 24
	shapeDim    = shapeGrid*shapeGrid + shapeRadial + 1

	descriptorDim = colourDim + layoutDim + textureDim + shapeDim
)

// Block indices of the built-in descriptor, in vector order.
const (
	BlockColour = iota
	BlockLayout
	BlockTexture
	BlockShape
	numBlocks
)

var descriptorBlocks = [numBlocks]Block{
	{Name: "colour", Reason: "colour", Start: 0, End: colourDim},
	{Name: "layout", Reason: "colour", Start: colourDim, End: colourDim + layoutDim},
	{Name: "texture", Reason: "texture", Start: colourDim + layoutDim, End: colourDim + layoutDim + textureDim},
	{Name: "shape", Reason: "shape", Start: colourDim + layoutDim + textureDim, End: descriptorDim},
}

// DefaultWeights are the block weights of the built-in descriptor, in
// block order (colour, layout, texture, shape). They were chosen on data
// by server/vsearch/eval/tune (a grid search maximising Recall@1 on the
// training half of a generated tuning set, checked on its validation
// half, never on the committed test queries); docs/vsearch.md records the
// run.
var DefaultWeights = [numBlocks]float32{1, 1, 0.5, 1}

// defaultBaselines are the mean block contributions between unrelated
// products, measured by the same tuning run; they calibrate Result.Why.
var defaultBaselines = [numBlocks]float32{0.293, 0.001, 0.512, 0.011}

// DescriptorName is the built-in descriptor's embedder name.
const DescriptorName = "vitrine-desc"

// descriptorVersion changes whenever the computation changes. Version 2:
// cut-out masks, outline pixels out of the colour blocks, query
// hypotheses, re-tuned weights. Version 3: graph-cut query hypotheses,
// mostly flat hypotheses dropped (gallery vectors are unchanged, but a
// version names one computation). Version 4: each query hypothesis
// penalised by its implausibility (plausibility.go; vectors unchanged,
// scores not). Version 5: the learned segmentation's masks first among
// the query hypotheses, the two masks of "everything not flat" and the
// graph cut of isolate's mask gone (segment.go; gallery vectors
// unchanged). Version 6: the segmentation sees thin lines (a ninth input
// plane), and the layout and shape blocks are whitened (whiten.go).
// Version 7: the learned segmentation's generous mask is a third query
// hypothesis, and the two masks of isolate's without flat regions are
// gone (gallery vectors unchanged). Version 8: each hypothesis carries
// its mask's silhouette, checked against products' shape banks
// (shapes.go; vectors unchanged, scores not — and an index of version 8
// holds the banks).
const descriptorVersion = "8"

// Descriptor is the built-in pure-Go embedder: no model files, a few
// milliseconds per image. It isolates the product — a cut-out by its
// alpha, a photograph from its background (border gradient and palette
// model) — then describes colour (a soft CIELAB histogram), colour layout
// (3×3 grid of mean colours over the product's box), texture and edges (a
// HOG-like grid of gradient orientation histograms) and silhouette shape
// (a downsampled mask, a radial profile and the aspect ratio); the layout
// and shape blocks are then whitened as learned from random objects
// (whiten.go). As a QueryEmbedder it describes a query photograph once
// per hypothesis about where the product is (see hypotheses).
type Descriptor struct {
	weights        [numBlocks]float32
	penaltyWeights [NumCues]float32
	baselines      [numBlocks]float32
	version        string
	unwhitened     bool // blocks as described, without the learned whitening
}

// NewDescriptor returns the built-in descriptor with DefaultWeights.
func NewDescriptor() *Descriptor {
	d, _ := NewDescriptorWeights(DefaultWeights)
	return d
}

// NewDescriptorWeights returns the built-in descriptor with other block
// weights (colour, layout, texture, shape); its Version records them so an
// index never mixes weightings. Weights must be finite, non-negative and
// not all zero.
func NewDescriptorWeights(w [numBlocks]float32) (*Descriptor, error) {
	sum := float32(0)
	for i, x := range w {
		if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) || x < 0 {
			return nil, fmt.Errorf("vsearch: descriptor weight %d is %v; weights must be finite and non-negative", i, x)
		}
		sum += x
	}
	if sum == 0 {
		return nil, fmt.Errorf("vsearch: descriptor weights are all zero")
	}
	d := &Descriptor{weights: w, penaltyWeights: DefaultPenaltyWeights, baselines: defaultBaselines, version: descriptorVersion}
	if w != DefaultWeights {
		parts := make([]string, len(w))
		for i, x := range w {
			parts[i] = strconv.FormatFloat(float64(x), 'g', 4, 32)
		}
		d.version += "+w=" + strings.Join(parts, ",")
	}
	return d, nil
}

// Unwhitened returns a copy of d that leaves out the learned whitening
// (whiten.go): what the whitening is learned from. Its Version says so.
func (d *Descriptor) Unwhitened() *Descriptor {
	u := *d
	u.unwhitened = true
	u.version += "+unwhitened"
	return &u
}

// Name implements Embedder.
func (d *Descriptor) Name() string { return DescriptorName }

// Version implements Embedder.
func (d *Descriptor) Version() string { return d.version }

// Dim implements Embedder.
func (d *Descriptor) Dim() int { return descriptorDim }

// Blocks implements BlockEmbedder.
func (d *Descriptor) Blocks() []Block { return descriptorBlocks[:] }

// BlockBaseline implements BlockEmbedder.
func (d *Descriptor) BlockBaseline(i int) float32 {
	if i < 0 || i >= numBlocks {
		return 0
	}
	w2, total := d.weights[i]*d.weights[i], float32(0)
	for _, w := range d.weights {
		total += w * w
	}
	return d.baselines[i] * w2 / total
}

// Embed implements Embedder. A query picture is better embedded with
// EmbedQuery.
func (d *Descriptor) Embed(ctx context.Context, img image.Image) ([]float32, error) {
	blocks, err := d.EmbedBlocks(ctx, img)
	if err != nil {
		return nil, err
	}
	return d.combine(blocks), nil
}

// EmbedQuery implements QueryEmbedder: a photograph is described once for
// each hypothesis about where the product is (see hypotheses), the first
// being the learned segmentation's; a cut-out has one, Embed's. (Embed
// keeps isolate's mask for photographs: on the tuning sets, describing
// the gallery's studio photos by the learned mask instead scored 0.805
// against 0.818.)
func (d *Descriptor) EmbedQuery(ctx context.Context, img image.Image) ([][]float32, error) {
	hyps, err := d.EmbedHypotheses(ctx, img)
	if err != nil {
		return nil, err
	}
	out := make([][]float32, len(hyps))
	for i, h := range hyps {
		out[i] = h.Vector
	}
	return out, nil
}

// EmbedHypotheses implements HypothesisEmbedder: EmbedQuery's vectors,
// each with its penalty from the mask's plausibility cues weighted by
// DefaultPenaltyWeights.
func (d *Descriptor) EmbedHypotheses(ctx context.Context, img image.Image) ([]Hypothesis, error) {
	hyps, cues, masks, err := d.queryBlocks(ctx, img)
	if err != nil {
		return nil, err
	}
	out := make([]Hypothesis, len(hyps))
	for i, blocks := range hyps {
		out[i] = Hypothesis{Vector: d.combine(blocks), Penalty: HypothesisPenalty(cues[i], d.penaltyWeights), Whole: masks[i].whole, Shape: masks[i].shape}
	}
	return out, nil
}

// combine weights and concatenates blocks and normalises the result.
func (d *Descriptor) combine(blocks [numBlocks][]float32) []float32 {
	out := make([]float32, 0, descriptorDim)
	for b, v := range blocks {
		w := d.weights[b]
		for _, x := range v {
			out = append(out, x*w)
		}
	}
	Normalize(out)
	return out
}

// EmbedBlocks returns the four unweighted, individually L2-normalised
// blocks of img's descriptor (colour, layout, texture, shape). Tuning
// tools use it to score weightings without re-embedding.
func (d *Descriptor) EmbedBlocks(ctx context.Context, img image.Image) ([numBlocks][]float32, error) {
	li, cutout, err := d.prepare(ctx, img)
	if err != nil {
		return [numBlocks][]float32{}, err
	}
	return d.describe(li, isolate(li, cutout))
}

// EmbedQueryBlocks is EmbedBlocks for each of EmbedQuery's hypotheses,
// with each hypothesis' plausibility cues (all zero for a cut-out's one
// mask). Tuning tools use it to score weightings and penalties.
func (d *Descriptor) EmbedQueryBlocks(ctx context.Context, img image.Image) ([][numBlocks][]float32, []PlausibilityCues, error) {
	blocks, cues, _, err := d.queryBlocks(ctx, img)
	return blocks, cues, err
}

// maskFacts are what a query hypothesis' mask tells besides its blocks:
// whether it is the whole picture standing in for none (boxed), and its
// silhouette (nil then: the whole picture has no product outline to
// check).
type maskFacts struct {
	whole bool
	shape *Silhouette
}

func factsOf(fg foreground, w int) maskFacts {
	f := maskFacts{whole: fg.whole}
	if !fg.whole {
		s := foregroundSilhouette(fg, w)
		f.shape = &s
	}
	return f
}

// queryBlocks is EmbedQueryBlocks, also reporting each hypothesis' mask
// facts.
func (d *Descriptor) queryBlocks(ctx context.Context, img image.Image) ([][numBlocks][]float32, []PlausibilityCues, []maskFacts, error) {
	li, cutout, err := d.prepare(ctx, img)
	if err != nil {
		return nil, nil, nil, err
	}
	if cutout != nil {
		fg := isolate(li, cutout)
		blocks, err := d.describe(li, fg)
		if err != nil {
			return nil, nil, nil, err
		}
		return [][numBlocks][]float32{blocks}, []PlausibilityCues{{}}, []maskFacts{factsOf(fg, li.w)}, nil
	}
	fgs, cues, err := hypotheses(li)
	if err != nil {
		return nil, nil, nil, err
	}
	facts := make([]maskFacts, len(fgs))
	for i, fg := range fgs {
		facts[i] = factsOf(fg, li.w)
	}
	// Two at a time, as hypotheses' steps (both): the even masks here,
	// the odd ones beside.
	out := make([][numBlocks][]float32, len(fgs))
	var errs [2]error
	both(func() { errs[1] = d.describeEvery(li, fgs, out, 1) }, func() { errs[0] = d.describeEvery(li, fgs, out, 0) })
	if err := cmp.Or(errs[0], errs[1]); err != nil {
		return nil, nil, nil, err
	}
	return out, cues, facts, nil
}

// describeEvery describes fgs[first], fgs[first+2], … into out.
func (d *Descriptor) describeEvery(li *labImage, fgs []foreground, out [][numBlocks][]float32, first int) error {
	for i := first; i < len(fgs); i += 2 {
		var err error
		if out[i], err = d.describe(li, fgs[i]); err != nil {
			return err
		}
	}
	return nil
}

// prepare shrinks img to the working size and converts it to CIELAB,
// returning a cut-out's own mask when it has one.
func (d *Descriptor) prepare(ctx context.Context, img image.Image) (*labImage, []bool, error) {
	if err := ctx.Err(); err != nil {
		return nil, nil, err
	}
	small, cutout, err := smallCutout(img, workSide)
	if err != nil {
		return nil, nil, fmt.Errorf("vsearch: descriptor: %w", err)
	}
	return toLab(small), cutout, nil
}

// describe computes the four blocks of the product fg in li, each
// L2-normalised, and whitens them (whiten.go) unless d is Unwhitened. It
// fails only if the embedded whitening does.
func (d *Descriptor) describe(li *labImage, fg foreground) ([numBlocks][]float32, error) {
	blocks := describeBlocks(li, fg)
	if d.unwhitened {
		return blocks, nil
	}
	ws, err := learnedWhitening()
	if err != nil {
		return blocks, err
	}
	whiten(&blocks, ws)
	return blocks, nil
}

// describeBlocks computes the four blocks of the product fg in li, each
// L2-normalised.
func describeBlocks(li *labImage, fg foreground) [numBlocks][]float32 {
	var blocks [numBlocks][]float32
	blocks[BlockColour] = colourHistogram(li, fg)
	blocks[BlockLayout] = colourLayout(li, fg)
	blocks[BlockTexture] = edgeHistogram(li, fg)
	blocks[BlockShape] = silhouette(li, fg)
	for _, b := range blocks {
		Normalize(b)
	}
	return blocks
}

// softBin splits value v over the two nearest of n bins spanning [lo, hi]
// (bin centres at lo + (i+0.5)·step), clamping at the ends.
func softBin(v, lo, hi float32, n int) (i0, i1 int, w1 float32) {
	t := (v-lo)/(hi-lo)*float32(n) - 0.5
	if t <= 0 {
		return 0, 0, 0
	}
	if t >= float32(n-1) {
		return n - 1, n - 1, 0
	}
	i0 = int(t)
	return i0, i0 + 1, t - float32(i0)
}

// colourHistogram is a trilinearly soft-binned L*a*b* histogram of the
// foreground, square-rooted (Hellinger), so that the cosine of two
// histograms is their Bhattacharyya coefficient.
func colourHistogram(li *labImage, fg foreground) []float32 {
	h := make([]float32, colourDim)
	for i, in := range fg.mask {
		if !in {
			continue
		}
		pw := fg.colourWeight(i)
		l0, l1, lw := softBin(li.l[i], 0, 100, colourLBins)
		a0, a1, aw := softBin(li.a[i], -colourABRange, colourABRange, colourABins)
		b0, b1, bw := softBin(li.b[i], -colourABRange, colourABRange, colourBBins)
		for _, lc := range [2]struct {
			i int
			w float32
		}{{l0, 1 - lw}, {l1, lw}} {
			for _, ac := range [2]struct {
				i int
				w float32
			}{{a0, 1 - aw}, {a1, aw}} {
				base := (lc.i*colourABins + ac.i) * colourBBins
				wla := lc.w * ac.w * pw
				h[base+b0] += wla * (1 - bw)
				h[base+b1] += wla * bw
			}
		}
	}
	for i, v := range h {
		h[i] = float32(math.Sqrt(float64(v)))
	}
	return h
}

// colourLayout is a 3×3 grid over the foreground's box: each cell's mean
// colour minus the whole product's mean, and its coverage minus the mean
// coverage. Centring makes the block describe where colours sit (a blue
// base under a white body), leaving absolute colour to the histogram.
func colourLayout(li *labImage, fg foreground) []float32 {
	var sums [layoutGrid * layoutGrid][5]float64
	var total [4]float64
	bw, bh := fg.x1-fg.x0, fg.y1-fg.y0
	for y := fg.y0; y < fg.y1; y++ {
		gy := (y - fg.y0) * layoutGrid / bh
		for x := fg.x0; x < fg.x1; x++ {
			i := y*li.w + x
			if !fg.mask[i] {
				continue
			}
			gx := (x - fg.x0) * layoutGrid / bw
			s := &sums[gy*layoutGrid+gx]
			pw := float64(fg.colourWeight(i))
			s[0] += pw * float64(li.l[i])
			s[1] += pw * float64(li.a[i])
			s[2] += pw * float64(li.b[i])
			s[3]++
			s[4] += pw
			total[0] += pw * float64(li.l[i])
			total[1] += pw * float64(li.a[i])
			total[2] += pw * float64(li.b[i])
			total[3] += pw
		}
	}
	out := make([]float32, layoutDim)
	n := float64(fg.count)
	if n == 0 {
		return out
	}
	meanCover := n / float64(bw*bh)
	for c, s := range sums {
		cellArea := float64(bw*bh) / float64(layoutGrid*layoutGrid)
		o := out[c*4 : c*4+4]
		o[3] = float32((s[3]/cellArea - meanCover) * 2)
		if s[4] == 0 {
			continue
		}
		o[0] = float32((s[0]/s[4] - total[0]/total[3]) / 25)
		o[1] = float32((s[1]/s[4] - total[1]/total[3]) / 15)
		o[2] = float32((s[2]/s[4] - total[2]/total[3]) / 15)
	}
	return out
}

// squareBox is the square box centred on the foreground's box, with a
// small margin, in image coordinates (it may extend past the image).
func squareBox(fg foreground) (x0, y0, side float32) {
	bw, bh := float32(fg.x1-fg.x0), float32(fg.y1-fg.y0)
	side = max(bw, bh) * 1.06
	cx, cy := float32(fg.x0)+bw/2, float32(fg.y0)+bh/2
	return cx - side/2, cy - side/2, side
}

// sampleL bilinearly samples L* at (x, y), clamping to the edges.
func sampleL(li *labImage, x, y float32) float32 {
	x = min(max(x-0.5, 0), float32(li.w-1))
	y = min(max(y-0.5, 0), float32(li.h-1))
	x0, y0 := int(x), int(y)
	x1, y1 := min(x0+1, li.w-1), min(y0+1, li.h-1)
	fx, fy := x-float32(x0), y-float32(y0)
	top := li.l[y0*li.w+x0]*(1-fx) + li.l[y0*li.w+x1]*fx
	bot := li.l[y1*li.w+x0]*(1-fx) + li.l[y1*li.w+x1]*fx
	return top*(1-fy) + bot*fy
}

// maskNear reports whether (x, y) is foreground or next to it, so that
// the product's outline edges count as the product's.
func maskNear(fg foreground, w, h int, x, y float32) bool {
	cx, cy := int(x), int(y)
	for dy := -1; dy <= 1; dy++ {
		for dx := -1; dx <= 1; dx++ {
			nx, ny := cx+dx, cy+dy
			if nx >= 0 && ny >= 0 && nx < w && ny < h && fg.mask[ny*w+nx] {
				return true
			}
		}
	}
	return false
}

// edgeHistogram is a HOG-like descriptor: the foreground's square box is
// resampled to hogSide² in L*, and each of hogCells² cells accumulates a
// magnitude-weighted, softly binned histogram of unsigned gradient
// orientation, square-rooted.
func edgeHistogram(li *labImage, fg foreground) []float32 {
	x0, y0, side := squareBox(fg)
	step := side / hogSide
	var grid [hogSide * hogSide]float32
	var inFG [hogSide * hogSide]bool
	for gy := 0; gy < hogSide; gy++ {
		y := y0 + (float32(gy)+0.5)*step
		for gx := 0; gx < hogSide; gx++ {
			x := x0 + (float32(gx)+0.5)*step
			grid[gy*hogSide+gx] = sampleL(li, x, y)
			inFG[gy*hogSide+gx] = maskNear(fg, li.w, li.h, x, y)
		}
	}
	out := make([]float32, textureDim)
	const cellSide = hogSide / hogCells
	for gy := 1; gy < hogSide-1; gy++ {
		for gx := 1; gx < hogSide-1; gx++ {
			i := gy*hogSide + gx
			if !inFG[i] {
				continue
			}
			dx := grid[i+1] - grid[i-1]
			dy := grid[i+hogSide] - grid[i-hogSide]
			mag := float32(math.Sqrt(float64(dx*dx + dy*dy)))
			if mag < 1 {
				continue
			}
			angle := math.Atan2(float64(dy), float64(dx))
			if angle < 0 {
				angle += math.Pi
			}
			t := float32(angle/math.Pi)*hogOrient - 0.5
			if t < 0 {
				t += hogOrient
			}
			o0 := int(t) % hogOrient
			o1 := (o0 + 1) % hogOrient
			f := t - float32(int(t))
			cell := (gy/cellSide)*hogCells + gx/cellSide
			out[cell*hogOrient+o0] += mag * (1 - f)
			out[cell*hogOrient+o1] += mag * f
		}
	}
	for i, v := range out {
		out[i] = float32(math.Sqrt(float64(v)))
	}
	return out
}

// silhouette describes the mask's shape: its coverage of a shapeGrid²
// grid over the square box (centred), a radial profile (the farthest
// foreground pixel from the centroid in each of shapeRadial directions,
// relative to the farthest overall, centred) and the log aspect ratio of
// the box.
func silhouette(li *labImage, fg foreground) []float32 {
	out := make([]float32, shapeDim)
	if fg.count == 0 {
		return out
	}
	x0, y0, side := squareBox(fg)
	cells := out[:shapeGrid*shapeGrid]
	var cx, cy float64
	for y := fg.y0; y < fg.y1; y++ {
		for x := fg.x0; x < fg.x1; x++ {
			if !fg.mask[y*li.w+x] {
				continue
			}
			cx += float64(x) + 0.5
			cy += float64(y) + 0.5
			gx := int((float32(x) + 0.5 - x0) / side * shapeGrid)
			gy := int((float32(y) + 0.5 - y0) / side * shapeGrid)
			gx, gy = min(max(gx, 0), shapeGrid-1), min(max(gy, 0), shapeGrid-1)
			cells[gy*shapeGrid+gx]++
		}
	}
	cellArea := side * side / (shapeGrid * shapeGrid)
	centre(cells, 1/cellArea)
	normalizeInto(cells, 1)

	cx /= float64(fg.count)
	cy /= float64(fg.count)
	radial := out[shapeGrid*shapeGrid : shapeGrid*shapeGrid+shapeRadial]
	for y := fg.y0; y < fg.y1; y++ {
		for x := fg.x0; x < fg.x1; x++ {
			if !fg.mask[y*li.w+x] {
				continue
			}
			dx, dy := float64(x)+0.5-cx, float64(y)+0.5-cy
			bin := int((math.Atan2(dy, dx) + math.Pi) / (2 * math.Pi) * shapeRadial)
			bin = min(max(bin, 0), shapeRadial-1)
			radial[bin] = max(radial[bin], float32(math.Hypot(dx, dy)))
		}
	}
	var far float32
	for _, r := range radial {
		far = max(far, r)
	}
	if far > 0 {
		centre(radial, 1/far)
		normalizeInto(radial, 0.7)
	}
	aspect := math.Log(float64(fg.x1-fg.x0) / float64(fg.y1-fg.y0))
	out[shapeDim-1] = float32(math.Max(-2, math.Min(2, aspect)) * 0.25)
	return out
}

// centre scales v by s and subtracts its mean.
func centre(v []float32, s float32) {
	var mean float32
	for i := range v {
		v[i] *= s
		mean += v[i]
	}
	mean /= float32(len(v))
	for i := range v {
		v[i] -= mean
	}
}

// normalizeInto scales v to norm length (leaving a zero vector alone).
func normalizeInto(v []float32, length float32) {
	if Normalize(v) > 0 {
		for i := range v {
			v[i] *= length
		}
	}
}
