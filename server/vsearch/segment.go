package vsearch

import (
	"context"
	_ "embed" // the segmentation's weights
	"fmt"
	"image"
	"math"
	"sync"

	"github.com/vitrine-shop/vitrine/server/vsearch/segnet"
)

// The learned segmentation's input: the working picture averaged down to
// segSide×segSide (stretched: a 4:3 photo becomes square) in segChannels
// planes — lightness, the two chroma axes, the pixel's position, the
// share of the cell the border model (rawForeground) calls foreground,
// the share in flat regions (flatRegions), the spread of lightness
// within the cell (shading and texture the averaging would hide), and the
// cell's strongest thin-line response (lineResponse).
const (
	segSide     = 64
	segChannels = 9
)

// SegmentationInputSide and SegmentationInputChannels describe what
// SegmentationInput returns: SegmentationInputChannels planes of
// SegmentationInputSide² values, plane by plane.
const (
	SegmentationInputSide     = segSide
	SegmentationInputChannels = segChannels
)

// SegmentationCoordinatePlanes are the input planes that hold the pixel's
// position, not the picture: a horizontal flip used to augment training
// data must leave them alone.
var SegmentationCoordinatePlanes = [2]int{3, 4}

// SegmentationInput is the learned segmentation's input for a photograph,
// computed exactly as a query is: shrunk to the working size, in CIELAB,
// with the border model's foreground. The segmentation's training command
// (server/vsearch/eval/segtrain) calls it on its generated photographs.
func SegmentationInput(ctx context.Context, img image.Image) ([]float32, error) {
	li, raw, flat, err := segmentationPicture(ctx, img)
	if err != nil {
		return nil, err
	}
	in := make([]float32, segChannels*segSide*segSide)
	segmentationInput(li, raw, flat, in)
	return in, nil
}

// segmentationPicture is what the segmentation sees of a photograph, as
// hypotheses computes it: the working picture in CIELAB, the border
// model's foreground and the flat regions.
func segmentationPicture(ctx context.Context, img image.Image) (li *labImage, raw, flat []bool, err error) {
	if err := ctx.Err(); err != nil {
		return nil, nil, nil, err
	}
	small, err := smallNRGBA(img, workSide)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("vsearch: segmentation: %w", err)
	}
	li = toLab(small)
	return li, rawForeground(li), flatRegions(li), nil
}

// segmentationInput fills in (segChannels planes of segSide²) from li, its
// border-model foreground raw and its flat regions, averaging each cell's
// pixels.
func segmentationInput(li *labImage, raw, flat []bool, in []float32) {
	const plane = segSide * segSide
	w, h := li.w, li.h
	ridge := lineResponse(li)
	for cy := range segSide {
		y0, y1 := cy*h/segSide, max((cy+1)*h/segSide, cy*h/segSide+1)
		for cx := range segSide {
			x0, x1 := cx*w/segSide, max((cx+1)*w/segSide, cx*w/segSide+1)
			var sl, sa, sb, sf, sflat, sll, rmax float32
			for y := y0; y < min(y1, h); y++ {
				for x := x0; x < min(x1, w); x++ {
					i := y*w + x
					rmax = max(rmax, ridge[i])
					sl += li.l[i]
					sll += li.l[i] * li.l[i]
					if flat[i] {
						sflat++
					}
					sa += li.a[i]
					sb += li.b[i]
					if raw[i] {
						sf++
					}
				}
			}
			n := float32((min(y1, h) - y0) * (min(x1, w) - x0))
			o := cy*segSide + cx
			in[o] = (sl/n - 50) / 50
			in[plane+o] = sa / n / 50
			in[2*plane+o] = sb / n / 50
			in[3*plane+o] = (float32(cx)+0.5)/segSide*2 - 1
			in[4*plane+o] = (float32(cy)+0.5)/segSide*2 - 1
			in[5*plane+o] = sf/n*2 - 1
			in[6*plane+o] = sflat/n*2 - 1
			mean := sl / n
			in[7*plane+o] = float32(math.Sqrt(float64(max(0, sll/n-mean*mean)))) / 10
			in[8*plane+o] = min(rmax, 2*lineScale)/lineScale - 1
		}
	}
}

// lineScale is the line response (in L* units) that the segmentation's
// line plane maps to 0; twice it maps to 1.
const lineScale = 8

// lineResponse is, for each pixel of li, how much it stands out in
// lightness from both its neighbours one or two pixels away across it, in
// the direction where it does most (horizontal, vertical or diagonal):
// a thin line — a lamp's pole, a chair's leg — scores its contrast, an
// edge between two regions scores nothing. Averaging over a cell hides a
// pixel-wide line; the cell's maximum of this response does not.
func lineResponse(li *labImage) []float32 {
	w, h := li.w, li.h
	out := make([]float32, w*h)
	dirs := [4][2]int{{1, 0}, {0, 1}, {1, 1}, {1, -1}}
	for y := range h {
		for x := range w {
			c := li.l[y*w+x]
			var best float32
			for _, d := range dirs {
				for k := 1; k <= 2; k++ {
					ax, ay, bx, by := x-k*d[0], y-k*d[1], x+k*d[0], y+k*d[1]
					if ax < 0 || ay < 0 || ay >= h || bx >= w || by < 0 || by >= h {
						continue
					}
					a, b := li.l[ay*w+ax], li.l[by*w+bx]
					best = max(best, min(a, b)-c, c-max(a, b))
				}
			}
			out[y*w+x] = best
		}
	}
	return out
}

// segnetWeights are the learned segmentation's weights, trained by
// `go run ./server/vsearch/eval/segtrain` on photographs of random
// procedural objects (docs/vsearch.md).
//
//go:embed segnet.bin
var segnetWeights []byte

// learnedSegmenter is the embedded segmentation network, loaded once.
var learnedSegmenter = sync.OnceValues(func() (*segnet.Net, error) {
	var n segnet.Net
	if err := n.UnmarshalBinary(segnetWeights); err != nil {
		return nil, fmt.Errorf("vsearch: load the embedded segmentation: %w", err)
	}
	if in := n.Config().In; in != segChannels {
		return nil, fmt.Errorf("vsearch: the embedded segmentation takes %d input planes, the descriptor makes %d: retrain it (make train-segnet)", in, segChannels)
	}
	return &n, nil
})

// segScratch holds one query's segmentation input and output.
type segScratch struct{ in, logits []float32 }

var segScratchPool = sync.Pool{New: func() any {
	return &segScratch{in: make([]float32, segChannels*segSide*segSide), logits: make([]float32, segSide*segSide)}
}}

// learnedProbability is the segmentation network's probability that each
// pixel of li is the product, at li's size (bilinear from its
// segSide×segSide output), given the border model's foreground raw and
// the flat regions.
func learnedProbability(li *labImage, raw, flat []bool) ([]float32, error) {
	net, err := learnedSegmenter()
	if err != nil {
		return nil, err
	}
	s := segScratchPool.Get().(*segScratch)
	defer segScratchPool.Put(s)
	segmentationInput(li, raw, flat, s.in)
	if err := net.Forward(s.in, segSide, segSide, s.logits); err != nil {
		return nil, fmt.Errorf("vsearch: segmentation: %w", err)
	}
	var prob [segSide * segSide]float32
	for i, l := range s.logits {
		prob[i] = segnet.Sigmoid(l)
	}
	w, h := li.w, li.h
	out := make([]float32, w*h)
	for y := range h {
		fy := (float32(y)+0.5)*segSide/float32(h) - 0.5
		y0 := int(max(0, min(fy, segSide-1)))
		y1 := min(y0+1, segSide-1)
		ty := min(max(fy-float32(y0), 0), 1)
		for x := range w {
			fx := (float32(x)+0.5)*segSide/float32(w) - 0.5
			x0 := int(max(0, min(fx, segSide-1)))
			x1 := min(x0+1, segSide-1)
			tx := min(max(fx-float32(x0), 0), 1)
			top := prob[y0*segSide+x0]*(1-tx) + prob[y0*segSide+x1]*tx
			bot := prob[y1*segSide+x0]*(1-tx) + prob[y1*segSide+x1]*tx
			out[y*w+x] = top*(1-ty) + bot*ty
		}
	}
	return out, nil
}

// learnedMask is the learned segmentation's product mask in li (its
// components kept as isolate keeps the border model's), and the pixels it
// is sure are background; nil, nil when the mask is too small to be a
// product.
func learnedMask(li *labImage, raw, flat []bool) (mask, sure []bool, err error) {
	prob, err := learnedProbability(li, raw, flat)
	if err != nil {
		return nil, nil, err
	}
	learned := make([]bool, len(prob))
	sure = make([]bool, len(prob))
	for i, p := range prob {
		learned[i] = p >= 0.5
		sure[i] = p < learnedSureBackground
	}
	mask = selectComponents(learned, li.w, li.h)
	if trueCount(mask) < minMaskFraction*float64(len(mask)) {
		return nil, nil, nil
	}
	return mask, sure, nil
}

// generousMask is the learned segmentation's generous mask: all it is not
// sure is background (sure, from learnedMask, w×h), its components kept as
// isolate keeps the border model's. It takes back product pixels the 0.5
// threshold cuts off, often thin parts such as a lamp's pole.
func generousMask(sure []bool, w, h int) []bool {
	unsure := make([]bool, len(sure))
	for i, s := range sure {
		unsure[i] = !s
	}
	return selectComponents(unsure, w, h)
}

// learnedSureBackground: pixels the learned segmentation gives less than
// this probability are certain background for its graph-cut refinement,
// and the rest make its generous mask (hypotheses).
const learnedSureBackground = 0.1

// SegmentationProbability is the learned segmentation's probability that
// each pixel of a photograph is the product, on the working picture
// (img shrunk to fit workSide², w×h, row by row) — what the first query
// hypothesis is cut from. Tools measure the segmentation with it.
func SegmentationProbability(ctx context.Context, img image.Image) (prob []float32, w, h int, err error) {
	li, raw, flat, err := segmentationPicture(ctx, img)
	if err != nil {
		return nil, 0, 0, err
	}
	prob, err = learnedProbability(li, raw, flat)
	if err != nil {
		return nil, 0, 0, err
	}
	return prob, li.w, li.h, nil
}
