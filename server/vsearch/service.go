package vsearch

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"image"
	"math"
	"slices"
	"strings"
	"sync"

	"github.com/vitrine-shop/vitrine/server/blob"
)

// Result is one product found by a visual search.
type Result struct {
	SKU   string
	Score float32
	// Why names the descriptor block that agreed most beyond its usual
	// agreement between unrelated products: "colour", "shape" or
	// "texture"; empty for embedders without blocks.
	Why string
}

// Service ties an embedder to a gallery index: it embeds product images
// as products are indexed and query images as they are searched. It is
// safe for concurrent use.
type Service struct {
	emb   Embedder
	index *Index

	shapesMu sync.RWMutex
	shapes   map[string]*ShapeBank // sku → its model's silhouettes
}

// NewService returns a service with an empty index for emb.
func NewService(emb Embedder, opt Options) *Service {
	return &Service{emb: emb, index: NewIndex(SpaceOf(emb), opt), shapes: map[string]*ShapeBank{}}
}

// LoadService returns a service whose index (and shape banks, saved
// beside it) is loaded from store at key. A missing index gives an empty
// one (err wrapping blob.ErrNotFound is returned alongside it so the
// caller can log "starting empty"); a file from another embedder is
// refused with ErrSpaceMismatch; an index whose banks are missing or
// unreadable is refused with ErrCorruptIndex, like a corrupt index.
func LoadService(ctx context.Context, emb Embedder, store blob.Store, key string, opt Options) (*Service, error) {
	x, err := Load(ctx, store, key, SpaceOf(emb), opt, 0)
	if errors.Is(err, blob.ErrNotFound) {
		return NewService(emb, opt), err
	}
	if err != nil {
		return nil, err
	}
	shapes, err := loadShapes(ctx, store, key+shapesSuffix)
	if err != nil {
		return nil, err
	}
	return &Service{emb: emb, index: x, shapes: shapes}, nil
}

// loadShapes reads the shape banks saved at key; a missing file is a
// corrupt index (an index is saved after its banks).
func loadShapes(ctx context.Context, store blob.Store, key string) (map[string]*ShapeBank, error) {
	data, err := readSaved(ctx, store, key, "shape banks", DefaultMaxIndexBytes)
	if errors.Is(err, blob.ErrNotFound) {
		return nil, fmt.Errorf("%w: the index has no shape banks file %s", ErrCorruptIndex, key)
	}
	if err != nil {
		return nil, err
	}
	shapes, err := decodeShapes(data)
	if err != nil {
		return nil, fmt.Errorf("vsearch: load shape banks %s: %w", key, err)
	}
	return shapes, nil
}

// Embedder returns the service's embedder.
func (s *Service) Embedder() Embedder { return s.emb }

// Index returns the service's index.
func (s *Service) Index() *Index { return s.index }

// Save persists the index in store under key, and the shape banks beside
// it (key + ".shapes"). The banks are written first: an index is never
// left without the banks it was saved with.
func (s *Service) Save(ctx context.Context, store blob.Store, key string) error {
	s.shapesMu.RLock()
	data := encodeShapes(s.shapes)
	s.shapesMu.RUnlock()
	if err := store.Put(ctx, key+shapesSuffix, bytes.NewReader(data), int64(len(data)), blob.PutOptions{ContentType: "application/octet-stream"}); err != nil {
		return fmt.Errorf("vsearch: save shape banks %s: %w", key+shapesSuffix, err)
	}
	return s.index.Save(ctx, store, key)
}

// SetShapes gives sku the silhouettes of its model, checked against a
// query's (ShapeScore); nil takes them away (a product without a model
// keeps the score its looks give it).
func (s *Service) SetShapes(sku string, bank *ShapeBank) {
	s.shapesMu.Lock()
	defer s.shapesMu.Unlock()
	if bank == nil {
		delete(s.shapes, sku)
		return
	}
	s.shapes[sku] = bank
}

// Shapes returns sku's shape bank, nil when it has none.
func (s *Service) Shapes(sku string) *ShapeBank {
	s.shapesMu.RLock()
	defer s.shapesMu.RUnlock()
	return s.shapes[sku]
}

// IndexProduct embeds a product's images (photos and rendered views) and
// replaces its vectors in the index.
func (s *Service) IndexProduct(ctx context.Context, sku, category string, price float64, images []image.Image) error {
	if err := checkProduct(sku, category, price, len(images)); err != nil {
		return err
	}
	vectors := make([][]float32, 0, len(images))
	for i, img := range images {
		v, err := s.emb.Embed(ctx, img)
		if err != nil {
			return fmt.Errorf("vsearch: index %s image %d: %w", sku, i, err)
		}
		vectors = append(vectors, v)
	}
	return s.index.Add(sku, category, price, vectors)
}

// Remove drops a product from the index, and its shape bank; it reports
// whether it was in the index.
func (s *Service) Remove(sku string) bool {
	s.SetShapes(sku, nil)
	return s.index.Remove(sku)
}

// Search embeds img and returns the k most similar products that pass
// filter, best first. A QueryEmbedder's hypotheses are each searched and a
// product scores its best match over all of them, each less its
// hypothesis' penalty (see SearchHypotheses).
func (s *Service) Search(ctx context.Context, img image.Image, k int, filter Filter) ([]Result, error) {
	res, _, err := s.SearchPhoto(ctx, img, k, filter)
	return res, err
}

// SearchPhoto is Search, also reporting whether no product was told
// apart from img's background (NoProductFound), so that the shopper can
// be told.
func (s *Service) SearchPhoto(ctx context.Context, img image.Image, k int, filter Filter) (res []Result, noProduct bool, err error) {
	hs, err := EmbedHypotheses(ctx, s.emb, img)
	if err != nil {
		return nil, false, fmt.Errorf("vsearch: embed query: %w", err)
	}
	res, err = s.SearchHypotheses(ctx, hs, k, filter)
	return res, NoProductFound(hs), err
}

// SearchVector is Search for an already embedded query.
func (s *Service) SearchVector(ctx context.Context, q []float32, k int, filter Filter) ([]Result, error) {
	return s.SearchVectors(ctx, [][]float32{q}, k, filter)
}

// maxQueryVectors bounds the hypotheses one search may send.
const maxQueryVectors = 8

// SearchVectors is Search for a query already embedded as one or more
// alternative vectors, all taken at face value (no penalty): each product
// scores its best match over all of them.
func (s *Service) SearchVectors(ctx context.Context, qs [][]float32, k int, filter Filter) ([]Result, error) {
	hs := make([]Hypothesis, min(len(qs), maxQueryVectors+1))
	for i := range hs {
		hs[i] = Hypothesis{Vector: qs[i]}
	}
	return s.SearchHypotheses(ctx, hs, k, filter)
}

// shapeCandidates is how many products beyond k each hypothesis brings
// for shape verification to re-rank: the shape term moves a score by at
// most ShapeWeight (by maxShapeGain up, the rest down), so the products
// it lifts into the top k come from just below it.
const shapeCandidates = 32

// SearchHypotheses is Search for a query already embedded as hypotheses:
// each product scores the best over them of HypothesisScore(its best
// similarity to the hypothesis' vector, the hypothesis' penalty), then,
// when the hypotheses carry silhouettes, ShapeScore with its shape bank.
// Each hypothesis' own k best (k + shapeCandidates with silhouettes) are
// the candidates: without silhouettes they are exact, a product in the
// pooled top k being in the top k of the hypothesis it scores by.
func (s *Service) SearchHypotheses(ctx context.Context, hs []Hypothesis, k int, filter Filter) ([]Result, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if k <= 0 {
		return nil, nil
	}
	if len(hs) == 0 || len(hs) > maxQueryVectors {
		return nil, fmt.Errorf("vsearch: search: %d query vectors, want 1…%d", len(hs), maxQueryVectors)
	}
	for i, h := range hs {
		if p := float64(h.Penalty); math.IsNaN(p) || math.IsInf(p, 0) || p < 0 {
			return nil, fmt.Errorf("vsearch: search: hypothesis %d has penalty %v, want finite and non-negative", i, h.Penalty)
		}
	}
	be, _ := s.emb.(BlockEmbedder)
	var blocks []Block
	if be != nil {
		blocks = be.Blocks()
	}
	shaped := hasShapes(hs)
	depth := k
	if shaped {
		depth = k + shapeCandidates
	}
	hits, err := s.index.Search(hs[0].Vector, depth, filter, blocks)
	if err != nil {
		return nil, fmt.Errorf("vsearch: search: %w", err)
	}
	for i := range hits {
		hits[i].Score = HypothesisScore(hits[i].Score, hs[0].Penalty)
	}
	if len(hs) > 1 || shaped {
		best := make(map[string]Hit, len(hits)*len(hs))
		for _, h := range hits {
			best[h.SKU] = h
		}
		for i, q := range hs[1:] {
			more, err := s.index.Search(q.Vector, depth, filter, blocks)
			if err != nil {
				return nil, fmt.Errorf("vsearch: search hypothesis %d: %w", i+1, err)
			}
			for _, h := range more {
				h.Score = HypothesisScore(h.Score, q.Penalty)
				if b, ok := best[h.SKU]; !ok || h.Score > b.Score {
					best[h.SKU] = h
				}
			}
		}
		hits = hits[:0]
		for _, h := range best {
			hits = append(hits, h)
		}
		slices.SortFunc(hits, byScore)
		if shaped {
			hits = s.verifyShapes(hits, hs, k)
		}
		if len(hits) > k {
			hits = hits[:k]
		}
	}
	out := make([]Result, len(hits))
	for i, h := range hits {
		out[i] = Result{SKU: h.SKU, Score: h.Score}
		if be != nil {
			out[i].Why = explain(be, blocks, h.BlockScores)
		}
	}
	return out, nil
}

// byScore orders hits best first, then by SKU.
func byScore(a, b Hit) int {
	if c := cmp.Compare(b.Score, a.Score); c != 0 {
		return c
	}
	return strings.Compare(a.SKU, b.SKU)
}

// verifyShapes re-scores hits (sorted byScore) with ShapeScore and returns
// the k best, sorted. The shape term raises a score by at most
// maxShapeGain, so once a hit's score before it is that far below the
// k-th best score after it, no later hit can enter the top k: only the
// candidates that could are verified.
func (s *Service) verifyShapes(hits []Hit, hs []Hypothesis, k int) []Hit {
	// Hypotheses often share a mask (a graph cut that changed nothing):
	// each distinct silhouette is matched once.
	var uniq []Hypothesis
	for _, h := range hs {
		if h.Shape != nil && !slices.ContainsFunc(uniq, func(u Hypothesis) bool { return *u.Shape == *h.Shape }) {
			uniq = append(uniq, Hypothesis{Shape: h.Shape})
		}
	}
	top := make([]Hit, 0, k+1)
	s.shapesMu.RLock()
	defer s.shapesMu.RUnlock()
	for _, h := range hits {
		if len(top) == k && h.Score+maxShapeGain < top[k-1].Score {
			break
		}
		h.Score = ShapeScore(h.Score, uniq, s.shapes[h.SKU])
		i, _ := slices.BinarySearchFunc(top, h, byScore)
		top = slices.Insert(top, i, h)
		if len(top) > k {
			top = top[:k]
		}
	}
	return top
}

// explain picks the reason of the block whose contribution most exceeds
// its baseline between unrelated products.
func explain(be BlockEmbedder, blocks []Block, scores []float32) string {
	best, why := float32(-1e9), ""
	for i, b := range blocks {
		if i >= len(scores) {
			break
		}
		if margin := scores[i] - be.BlockBaseline(i); margin > best {
			best, why = margin, b.Reason
		}
	}
	return why
}
