package vsearch

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"image"
	"image/color"
	"math/bits"
	"slices"
)

// Shape verification (descriptor version 8). A product with a 3D model
// has a ShapeBank: the silhouettes of the model seen from many viewpoints
// (the asset pipeline renders them as a sheet, assetpipe.RenderShapes). A
// query's hypotheses each carry their mask's Silhouette, and a candidate
// product's score moves by ShapeWeight·(match − NeutralShapeMatch), where
// match is the best intersection over union between any of the query's
// silhouettes and any of the product's (ShapeScore). It separates products whose colours
// and texture agree but whose proportions do not — the errors the
// descriptor's own coarse shape block, measured from one gallery pitch,
// left — because the bank covers the pitches and yaws a photograph is
// taken from. See docs/vsearch.md, "Shape verification (version 8)".

// ShapeGrid is the side of a normalised silhouette: the mask's bounding
// box, its aspect ratio kept, centred in a ShapeGrid×ShapeGrid grid.
const ShapeGrid = 24

const shapeWords = (ShapeGrid*ShapeGrid + 63) / 64

// Silhouette is a normalised mask, one bit per grid cell (row by row), a
// cell set when at least half of it is covered.
type Silhouette [shapeWords]uint64

// ShapeWeight is how far shape agreement moves a product's score: a
// product whose best silhouette match is m scores ShapeWeight·(m −
// NeutralShapeMatch) more. Chosen on the tuning sets (0.2 of {0.1 … 1};
// docs/vsearch.md).
const ShapeWeight = 0.2

// NeutralShapeMatch is the match that leaves a score as it is: the mean
// best match of the right product over the tuning queries. A product
// that matches as the right product typically does keeps the score its
// looks gave it (shown to shoppers as the match percentage), a product
// whose model cannot make the photo's outline loses up to
// ShapeWeight·NeutralShapeMatch, and a product without a ShapeBank (no
// 3D model, or one processed before banks existed) is left as it is,
// neither favoured nor handicapped.
const NeutralShapeMatch = 0.82

// maxShapeGain is the most ShapeScore can raise a score (a perfect
// match).
const maxShapeGain = ShapeWeight * (1 - NeutralShapeMatch)

// Bounds on a ShapeBank and on the sheet it is read from.
const (
	// MaxShapePoses bounds a bank's silhouettes.
	MaxShapePoses = 512
	// minShapeTile and maxShapeTile bound a sheet's tile side in pixels.
	minShapeTile = 16
	maxShapeTile = 512
)

// ErrShapeSheet is wrapped when a silhouette sheet cannot be read as one.
var ErrShapeSheet = errors.New("vsearch: not a silhouette sheet")

// ShapeBank is a product's silhouettes from many viewpoints. It is
// immutable once made.
type ShapeBank struct {
	poses []Silhouette
}

// Len is the number of silhouettes in the bank.
func (b *ShapeBank) Len() int { return len(b.poses) }

// NewShapeBankSheet reads a silhouette sheet: one row of square tiles
// (tile side = the sheet's height), each the model seen from one
// viewpoint, covered pixels light (grey ≥ 128) on dark. Blank tiles are
// skipped; a sheet with no silhouette at all is refused.
func NewShapeBankSheet(sheet image.Image) (*ShapeBank, error) {
	r := sheet.Bounds()
	w, h := r.Dx(), r.Dy()
	if h < minShapeTile || h > maxShapeTile || w%h != 0 || w/h > MaxShapePoses {
		return nil, fmt.Errorf("%w: %d×%d is not a row of at most %d square tiles of %d…%d px", ErrShapeSheet, w, h, MaxShapePoses, minShapeTile, maxShapeTile)
	}
	covered := make([]bool, w*h)
	for y := range h {
		for x := range w {
			if g, ok := sheet.(*image.Gray); ok { // what the pipeline writes
				covered[y*w+x] = g.Pix[g.PixOffset(r.Min.X+x, r.Min.Y+y)] >= 128
			} else {
				covered[y*w+x] = color.GrayModel.Convert(sheet.At(r.Min.X+x, r.Min.Y+y)).(color.Gray).Y >= 128
			}
		}
	}
	b := &ShapeBank{}
	for t := range w / h {
		at := func(x, y int) bool { return covered[y*w+t*h+x] }
		if s, ok := silhouetteOf(at, h, h); ok {
			b.poses = append(b.poses, s)
		}
	}
	if len(b.poses) == 0 {
		return nil, fmt.Errorf("%w: every tile is blank", ErrShapeSheet)
	}
	return b, nil
}

// silhouetteOf normalises the mask at(x, y) of a w×h picture. It reports
// false for an empty mask.
func silhouetteOf(at func(x, y int) bool, w, h int) (Silhouette, bool) {
	x0, y0, x1, y1 := w, h, 0, 0
	for y := range h {
		for x := range w {
			if at(x, y) {
				x0, x1 = min(x0, x), max(x1, x+1)
				y0, y1 = min(y0, y), max(y1, y+1)
			}
		}
	}
	if x1 <= x0 {
		return Silhouette{}, false
	}
	return boxSilhouette(at, x0, y0, x1, y1), true
}

// boxSilhouette normalises the mask at within its bounding box
// [x0,x1)×[y0,y1): the box's longer side spans the grid, the shorter one
// is centred. Each cell is sampled at 3×3 points and set when 5 or more
// fall on the mask, so a small mask and a large one of the same shape
// give the same silhouette.
func boxSilhouette(at func(x, y int) bool, x0, y0, x1, y1 int) Silhouette {
	bw, bh := float64(x1-x0), float64(y1-y0)
	side := max(bw, bh)
	ox, oy := float64(x0)-(side-bw)/2, float64(y0)-(side-bh)/2
	cell := side / ShapeGrid
	var s Silhouette
	for gy := range ShapeGrid {
		for gx := range ShapeGrid {
			hits := 0
			for sy := range 3 {
				for sx := range 3 {
					x := int(ox + (float64(gx)+(float64(sx)+0.5)/3)*cell)
					y := int(oy + (float64(gy)+(float64(sy)+0.5)/3)*cell)
					if x >= x0 && x < x1 && y >= y0 && y < y1 && at(x, y) {
						hits++
					}
				}
			}
			if hits >= 5 {
				i := gy*ShapeGrid + gx
				s[i/64] |= 1 << (i % 64)
			}
		}
	}
	return s
}

// foregroundSilhouette is the silhouette of a hypothesis' mask.
func foregroundSilhouette(fg foreground, w int) Silhouette {
	return boxSilhouette(func(x, y int) bool { return fg.mask[y*w+x] }, fg.x0, fg.y0, fg.x1, fg.y1)
}

// IoU is the intersection over union of two silhouettes (0 when both are
// empty).
func (s *Silhouette) IoU(o *Silhouette) float32 {
	var and, or int
	for i := range s {
		and += bits.OnesCount64(s[i] & o[i])
		or += bits.OnesCount64(s[i] | o[i])
	}
	if or == 0 {
		return 0
	}
	return float32(and) / float32(or)
}

// Match is the best IoU of s with any of the bank's silhouettes.
func (b *ShapeBank) Match(s *Silhouette) float32 {
	var best float32
	for i := range b.poses {
		best = max(best, s.IoU(&b.poses[i]))
	}
	return best
}

// ShapeScore is a product's score after shape verification: score plus
// ShapeWeight·(the best match of bank with any hypothesis' silhouette −
// NeutralShapeMatch). A product without a bank, and every product for a
// query whose hypotheses carry no silhouette (an embedder without masks),
// keeps its score. Every caller that
// ranks products by a query's hypotheses (Service, eval) scores with it.
func ShapeScore(score float32, hs []Hypothesis, bank *ShapeBank) float32 {
	return ShapeScoreWeighted(score, hs, bank, ShapeWeight)
}

// ShapeScoreWeighted is ShapeScore with another weight than ShapeWeight,
// for tuning it.
func ShapeScoreWeighted(score float32, hs []Hypothesis, bank *ShapeBank, weight float32) float32 {
	if bank == nil || !hasShapes(hs) {
		return score
	}
	return score + weight*(BestShapeMatch(hs, bank)-NeutralShapeMatch)
}

// BestShapeMatch is the best match of bank with any hypothesis'
// silhouette (0 when none has one).
func BestShapeMatch(hs []Hypothesis, bank *ShapeBank) float32 {
	var m float32
	for _, h := range hs {
		if h.Shape != nil {
			m = max(m, bank.Match(h.Shape))
		}
	}
	return m
}

func hasShapes(hs []Hypothesis) bool {
	for _, h := range hs {
		if h.Shape != nil {
			return true
		}
	}
	return false
}

// The shape banks file, saved beside the index (Service.Save), version 1,
// little-endian:
//
//	magic "VSSB", u16 format version, u16 ShapeGrid
//	u32 products
//	products: str sku, u16 poses, poses × shapeWords × u64
//	u32 CRC-32C (Castagnoli) of everything before it
const (
	shapesMagic         = "VSSB"
	shapesFormatVersion = 1
	// shapesSuffix is appended to the index key for the banks' file.
	shapesSuffix = ".shapes"
)

// encodeShapes writes banks in the file format above, products in SKU
// order.
func encodeShapes(banks map[string]*ShapeBank) []byte {
	skus := make([]string, 0, len(banks))
	for sku := range banks {
		skus = append(skus, sku)
	}
	slices.Sort(skus)
	b := append([]byte(nil), shapesMagic...)
	b = binary.LittleEndian.AppendUint16(b, shapesFormatVersion)
	b = binary.LittleEndian.AppendUint16(b, ShapeGrid)
	b = binary.LittleEndian.AppendUint32(b, uint32(len(skus)))
	for _, sku := range skus {
		bank := banks[sku]
		b = binary.LittleEndian.AppendUint16(b, uint16(len(sku)))
		b = append(b, sku...)
		b = binary.LittleEndian.AppendUint16(b, uint16(len(bank.poses)))
		for _, s := range bank.poses {
			for _, w := range s {
				b = binary.LittleEndian.AppendUint64(b, w)
			}
		}
	}
	return binary.LittleEndian.AppendUint32(b, crc32.Checksum(b, castagnoli))
}

// decodeShapes reads a banks file; anything malformed wraps
// ErrCorruptIndex (the banks are part of the saved index).
func decodeShapes(data []byte) (map[string]*ShapeBank, error) {
	if len(data) < len(shapesMagic)+4+4+4 || string(data[:4]) != shapesMagic {
		return nil, fmt.Errorf("%w: not a shape banks file", ErrCorruptIndex)
	}
	body, sum := data[:len(data)-4], binary.LittleEndian.Uint32(data[len(data)-4:])
	if crc32.Checksum(body, castagnoli) != sum {
		return nil, fmt.Errorf("%w: shape banks checksum mismatch", ErrCorruptIndex)
	}
	r := &reader{b: body[4:]}
	if v, g := r.u16(), r.u16(); r.err == nil && (v != shapesFormatVersion || g != ShapeGrid) {
		return nil, fmt.Errorf("%w: shape banks format %d grid %d, want %d and %d", ErrCorruptIndex, v, g, shapesFormatVersion, ShapeGrid)
	}
	n := int(r.u32())
	// Each product takes at least 2+1+2+one pose's bytes.
	if r.err == nil && n > len(r.b)/(5+shapeWords*8) {
		return nil, fmt.Errorf("%w: %d shape banks in %d bytes", ErrCorruptIndex, n, len(r.b))
	}
	out := make(map[string]*ShapeBank, n)
	for range n {
		sku := r.str()
		poses := int(r.u16())
		if r.err != nil {
			break
		}
		if sku == "" || poses == 0 || poses > MaxShapePoses || out[sku] != nil {
			return nil, fmt.Errorf("%w: shape bank %q with %d silhouettes", ErrCorruptIndex, sku, poses)
		}
		raw := r.take(poses * shapeWords * 8)
		if raw == nil {
			break
		}
		bank := &ShapeBank{poses: make([]Silhouette, poses)}
		for i := range bank.poses {
			for w := range shapeWords {
				bank.poses[i][w] = binary.LittleEndian.Uint64(raw[(i*shapeWords+w)*8:])
			}
		}
		out[sku] = bank
	}
	if r.err != nil {
		return nil, r.err
	}
	if len(r.b) != 0 {
		return nil, fmt.Errorf("%w: %d bytes after the shape banks", ErrCorruptIndex, len(r.b))
	}
	return out, nil
}
