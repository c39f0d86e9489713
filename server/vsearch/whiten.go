package vsearch

import (
	_ "embed" // the descriptor's learned whitening
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"sync"
)

// Learned whitening. Some descriptor blocks vary between two pictures of
// one object (a catalog view and a shopper's photo: another viewpoint,
// light, a mask that misses a part) along directions that say little
// about which object it is. A block's whitening subtracts a mean and
// multiplies by the inverse square root of the covariance of those
// differences (shrunk towards a multiple of the identity), so the cosine
// afterwards counts what tells objects apart rather than what changes
// with the picture. It is learned by server/vsearch/eval/whiten from
// random procedural objects, never the catalog, and embedded as
// whiten.bin.

// WhitenedBlock is one block's learned whitening: the block is replaced
// by Proj · (block − Mean), normalised.
type WhitenedBlock struct {
	// Block is the descriptor block (BlockColour … BlockShape).
	Block int
	// Mean has the block's dimension.
	Mean []float32
	// Proj is the block's dimension squared, row by row.
	Proj []float32
}

// whitenMagic starts a whitening blob; the digit is its format version.
const whitenMagic = "VWHT1"

// ErrWhitening marks a whitening blob that is malformed or does not fit
// the descriptor.
var ErrWhitening = errors.New("vsearch: whitening")

// MarshalWhitening encodes blocks: the magic, the count, then for each
// block its index and dimension (uint32, little-endian) and its Mean and
// Proj (float32, little-endian).
func MarshalWhitening(blocks []WhitenedBlock) ([]byte, error) {
	if err := checkWhitening(blocks); err != nil {
		return nil, err
	}
	out := append([]byte(whitenMagic), 0, 0, 0, 0)
	binary.LittleEndian.PutUint32(out[len(whitenMagic):], uint32(len(blocks)))
	for _, b := range blocks {
		out = binary.LittleEndian.AppendUint32(out, uint32(b.Block))
		out = binary.LittleEndian.AppendUint32(out, uint32(len(b.Mean)))
		for _, v := range b.Mean {
			out = binary.LittleEndian.AppendUint32(out, math.Float32bits(v))
		}
		for _, v := range b.Proj {
			out = binary.LittleEndian.AppendUint32(out, math.Float32bits(v))
		}
	}
	return out, nil
}

// UnmarshalWhitening decodes MarshalWhitening's output, checking every
// count against the descriptor's blocks before it allocates.
func UnmarshalWhitening(data []byte) ([]WhitenedBlock, error) {
	if len(data) < len(whitenMagic)+4 || string(data[:len(whitenMagic)]) != whitenMagic {
		return nil, fmt.Errorf("%w: not a whitening blob", ErrWhitening)
	}
	data = data[len(whitenMagic):]
	n := binary.LittleEndian.Uint32(data)
	data = data[4:]
	if n > numBlocks {
		return nil, fmt.Errorf("%w: %d blocks, the descriptor has %d", ErrWhitening, n, numBlocks)
	}
	blocks := make([]WhitenedBlock, 0, n)
	for range n {
		if len(data) < 8 {
			return nil, fmt.Errorf("%w: truncated", ErrWhitening)
		}
		block, dim := binary.LittleEndian.Uint32(data), binary.LittleEndian.Uint32(data[4:])
		data = data[8:]
		if block >= numBlocks {
			return nil, fmt.Errorf("%w: block %d does not exist", ErrWhitening, block)
		}
		if want := descriptorBlocks[block].End - descriptorBlocks[block].Start; int(dim) != want {
			return nil, fmt.Errorf("%w: block %d has dimension %d, the descriptor's %d", ErrWhitening, block, dim, want)
		}
		d := int(dim)
		if len(data) < 4*(d+d*d) {
			return nil, fmt.Errorf("%w: truncated", ErrWhitening)
		}
		b := WhitenedBlock{Block: int(block), Mean: make([]float32, d), Proj: make([]float32, d*d)}
		for i := range b.Mean {
			b.Mean[i] = math.Float32frombits(binary.LittleEndian.Uint32(data[4*i:]))
		}
		data = data[4*d:]
		for i := range b.Proj {
			b.Proj[i] = math.Float32frombits(binary.LittleEndian.Uint32(data[4*i:]))
		}
		data = data[4*d*d:]
		blocks = append(blocks, b)
	}
	if len(data) != 0 {
		return nil, fmt.Errorf("%w: %d bytes after the last block", ErrWhitening, len(data))
	}
	if err := checkWhitening(blocks); err != nil {
		return nil, err
	}
	return blocks, nil
}

// checkWhitening reports blocks that do not fit the descriptor: unknown
// or repeated blocks, wrong sizes, values that are not finite.
func checkWhitening(blocks []WhitenedBlock) error {
	var seen [numBlocks]bool
	for _, b := range blocks {
		if b.Block < 0 || b.Block >= numBlocks {
			return fmt.Errorf("%w: block %d does not exist", ErrWhitening, b.Block)
		}
		if seen[b.Block] {
			return fmt.Errorf("%w: block %d whitened twice", ErrWhitening, b.Block)
		}
		seen[b.Block] = true
		d := descriptorBlocks[b.Block].End - descriptorBlocks[b.Block].Start
		if len(b.Mean) != d || len(b.Proj) != d*d {
			return fmt.Errorf("%w: block %d has %d means and %d projection values, want %d and %d", ErrWhitening, b.Block, len(b.Mean), len(b.Proj), d, d*d)
		}
		for _, values := range [][]float32{b.Mean, b.Proj} {
			for _, v := range values {
				if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
					return fmt.Errorf("%w: block %d holds %v", ErrWhitening, b.Block, v)
				}
			}
		}
	}
	return nil
}

// whiten replaces each whitened block of blocks (each L2-normalised) by
// its projection, normalised.
func whiten(blocks *[numBlocks][]float32, ws []WhitenedBlock) {
	for _, w := range ws {
		x := blocks[w.Block]
		d := len(x)
		centred := make([]float32, d)
		for i, v := range x {
			centred[i] = v - w.Mean[i]
		}
		y := make([]float32, d)
		for r := range d {
			y[r] = Dot(w.Proj[r*d:(r+1)*d], centred)
		}
		Normalize(y)
		blocks[w.Block] = y
	}
}

// whitenWeights is the learned whitening, trained by
// `go run ./server/vsearch/eval/whiten` (make train-whiten).
//
//go:embed whiten.bin
var whitenWeights []byte

// learnedWhitening is the embedded whitening, decoded once.
var learnedWhitening = sync.OnceValues(func() ([]WhitenedBlock, error) {
	ws, err := UnmarshalWhitening(whitenWeights)
	if err != nil {
		return nil, fmt.Errorf("vsearch: load the embedded whitening (make train-whiten): %w", err)
	}
	return ws, nil
})
