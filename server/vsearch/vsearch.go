// Package vsearch is Vitrine's visual similarity search: embedders that
// turn a product picture into an L2-normalised vector, a gallery index that
// holds several vectors per product (photos and rendered views) and answers
// "which products look most like this picture" with exact or approximate
// (HNSW) nearest-neighbour search, persistence of that index in the blob
// store, and the bounded decoding of query images sent by shoppers.
//
// Every vector carries the name and version of the embedder that made it:
// an index refuses vectors, queries and saved files from another embedder,
// so two descriptor spaces are never mixed.
package vsearch

import (
	"context"
	"errors"
	"fmt"
	"image"
	"math"
)

// Embedder turns an image into a fixed-length descriptor vector. Vectors
// are L2-normalised, so the dot product of two vectors is their cosine
// similarity. Name and Version identify the descriptor space: any change
// that alters vectors must change Version.
type Embedder interface {
	Name() string
	Version() string
	Dim() int
	Embed(ctx context.Context, img image.Image) ([]float32, error)
}

// QueryEmbedder is an Embedder that can describe a query picture by a few
// alternative vectors — hypotheses about which part of a busy photograph
// is the product — instead of one. A gallery image matches the query by
// the best of them. The first vector is the one Embed returns.
type QueryEmbedder interface {
	Embedder
	EmbedQuery(ctx context.Context, img image.Image) ([][]float32, error)
}

// EmbedQuery returns e's query vectors for img: EmbedQuery's when e is a
// QueryEmbedder, otherwise Embed's one vector.
func EmbedQuery(ctx context.Context, e Embedder, img image.Image) ([][]float32, error) {
	if qe, ok := e.(QueryEmbedder); ok {
		return qe.EmbedQuery(ctx, img)
	}
	v, err := e.Embed(ctx, img)
	if err != nil {
		return nil, err
	}
	return [][]float32{v}, nil
}

// HypothesisEmbedder is a QueryEmbedder that also judges how plausible
// each of its hypotheses is from the picture alone: EmbedHypotheses
// returns EmbedQuery's vectors, in order, each with a penalty that
// HypothesisScore subtracts from its similarities.
type HypothesisEmbedder interface {
	QueryEmbedder
	EmbedHypotheses(ctx context.Context, img image.Image) ([]Hypothesis, error)
}

// EmbedHypotheses returns e's query hypotheses for img: EmbedHypotheses'
// when e is a HypothesisEmbedder, otherwise EmbedQuery's vectors with no
// penalty.
func EmbedHypotheses(ctx context.Context, e Embedder, img image.Image) ([]Hypothesis, error) {
	if he, ok := e.(HypothesisEmbedder); ok {
		return he.EmbedHypotheses(ctx, img)
	}
	vs, err := EmbedQuery(ctx, e, img)
	if err != nil {
		return nil, err
	}
	out := make([]Hypothesis, len(vs))
	for i, v := range vs {
		out[i] = Hypothesis{Vector: v}
	}
	return out, nil
}

// Block is a named, contiguous range [Start, End) of a descriptor's
// dimensions. Reason is the user-facing explanation of a match that this
// block drives ("colour", "shape", "texture").
type Block struct {
	Name       string
	Reason     string
	Start, End int
}

// BlockEmbedder is an Embedder whose vector is a concatenation of blocks;
// the index uses the blocks to explain a match (Result.Why).
type BlockEmbedder interface {
	Embedder
	Blocks() []Block
	// BlockBaseline is the mean weighted dot product of block i between
	// images of unrelated products; a match is explained by the block that
	// exceeds its baseline by the largest margin.
	BlockBaseline(i int) float32
}

// Space identifies a descriptor space: an embedder's name, version and
// dimension. Indexes and saved files carry it.
type Space struct {
	Name    string
	Version string
	Dim     int
}

// SpaceOf returns e's descriptor space.
func SpaceOf(e Embedder) Space { return Space{Name: e.Name(), Version: e.Version(), Dim: e.Dim()} }

func (s Space) String() string { return fmt.Sprintf("%s@%s/%d", s.Name, s.Version, s.Dim) }

// ErrSpaceMismatch is wrapped when vectors, queries or a saved index come
// from a different embedder (name, version or dimension) than expected.
var ErrSpaceMismatch = errors.New("vsearch: embedder mismatch")

// ErrEmptyImage is wrapped when an image to embed has no pixels.
var ErrEmptyImage = errors.New("vsearch: empty image")

// Normalize scales v to unit L2 norm in place and returns the norm it had.
// A zero vector is left unchanged.
func Normalize(v []float32) float64 {
	var sum float64
	for _, x := range v {
		sum += float64(x) * float64(x)
	}
	norm := math.Sqrt(sum)
	if norm == 0 {
		return 0
	}
	inv := float32(1 / norm)
	for i := range v {
		v[i] *= inv
	}
	return norm
}

// Dot returns the dot product of a and b, which must have equal length.
// It is unrolled with four accumulators, which lets the CPU overlap the
// multiply-adds; it is the inner loop of every search.
func Dot(a, b []float32) float32 {
	n := len(a)
	b = b[:n]
	var s0, s1, s2, s3 float32
	i := 0
	for ; i+8 <= n; i += 8 {
		aa := a[i : i+8 : i+8]
		bb := b[i : i+8 : i+8]
		s0 += aa[0]*bb[0] + aa[4]*bb[4]
		s1 += aa[1]*bb[1] + aa[5]*bb[5]
		s2 += aa[2]*bb[2] + aa[6]*bb[6]
		s3 += aa[3]*bb[3] + aa[7]*bb[7]
	}
	for ; i < n; i++ {
		s0 += a[i] * b[i]
	}
	return (s0 + s1) + (s2 + s3)
}

// checkVector verifies that v has the dimension of s and finite entries.
func checkVector(s Space, v []float32) error {
	if len(v) != s.Dim {
		return fmt.Errorf("%w: vector has %d dimensions, space %s has %d", ErrSpaceMismatch, len(v), s, s.Dim)
	}
	for i, x := range v {
		if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
			return fmt.Errorf("vsearch: vector entry %d is not finite", i)
		}
	}
	return nil
}
