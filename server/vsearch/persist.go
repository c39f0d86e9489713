package vsearch

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math"

	"github.com/vitrine-shop/vitrine/server/blob"
)

// The index file format, version 1, little-endian:
//
//	magic "VSIX", u16 format version
//	str embedder name, str embedder version, u32 dim     (str = u16 length + bytes)
//	u32 products, u32 vectors, u8 has graph
//	products: str sku, str category, f64 price, u32 start, u32 count, u8 dead
//	vectors:  vectors×dim f32
//	graph:    u16 M, u32 efConstruction, i32 entry, u8 top,
//	          per node u8 level, u8 count0, count0×i32,
//	          then per upper layer u8 count, count×i32
//	u32 CRC-32C (Castagnoli) of everything before it
//
// The whole state is saved, tombstones included, so a loaded index is
// exactly the saved one, graph and all, without re-embedding or
// rebuilding.
const (
	indexMagic         = "VSIX"
	indexFormatVersion = 1
)

// ErrCorruptIndex is wrapped when a saved index is truncated, fails its
// checksum or is malformed.
var ErrCorruptIndex = errors.New("vsearch: corrupt index file")

// DefaultMaxIndexBytes bounds the size of an index file Load reads.
const DefaultMaxIndexBytes = 8 << 30

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// Save writes the index to store under key.
func (x *Index) Save(ctx context.Context, store blob.Store, key string) error {
	data := x.encode()
	if err := store.Put(ctx, key, bytes.NewReader(data), int64(len(data)), blob.PutOptions{ContentType: "application/octet-stream"}); err != nil {
		return fmt.Errorf("vsearch: save index %s: %w", key, err)
	}
	return nil
}

func (x *Index) encode() []byte {
	x.mu.RLock()
	defer x.mu.RUnlock()
	var b []byte
	str := func(s string) {
		b = binary.LittleEndian.AppendUint16(b, uint16(len(s)))
		b = append(b, s...)
	}
	b = append(b, indexMagic...)
	b = binary.LittleEndian.AppendUint16(b, indexFormatVersion)
	str(x.space.Name)
	str(x.space.Version)
	b = binary.LittleEndian.AppendUint32(b, uint32(x.space.Dim))
	b = binary.LittleEndian.AppendUint32(b, uint32(len(x.products)))
	b = binary.LittleEndian.AppendUint32(b, uint32(len(x.owner)))
	if x.graph != nil {
		b = append(b, 1)
	} else {
		b = append(b, 0)
	}
	for _, p := range x.products {
		str(p.sku)
		str(p.category)
		b = binary.LittleEndian.AppendUint64(b, math.Float64bits(p.price))
		b = binary.LittleEndian.AppendUint32(b, uint32(p.start))
		b = binary.LittleEndian.AppendUint32(b, uint32(p.count))
		if p.dead {
			b = append(b, 1)
		} else {
			b = append(b, 0)
		}
	}
	b = grow(b, len(x.vecs)*4)
	for _, v := range x.vecs {
		b = binary.LittleEndian.AppendUint32(b, math.Float32bits(v))
	}
	if g := x.graph; g != nil {
		b = binary.LittleEndian.AppendUint16(b, uint16(g.m))
		b = binary.LittleEndian.AppendUint32(b, uint32(g.efConstruction))
		b = binary.LittleEndian.AppendUint32(b, uint32(g.entry))
		b = append(b, uint8(g.top))
		for id, level := range g.levels {
			b = append(b, level)
			ns := g.neighbours(int32(id), 0)
			b = append(b, uint8(len(ns)))
			for _, n := range ns {
				b = binary.LittleEndian.AppendUint32(b, uint32(n))
			}
			for l := 1; l <= int(level); l++ {
				ns := g.neighbours(int32(id), l)
				b = append(b, uint8(len(ns)))
				for _, n := range ns {
					b = binary.LittleEndian.AppendUint32(b, uint32(n))
				}
			}
		}
	}
	return binary.LittleEndian.AppendUint32(b, crc32.Checksum(b, castagnoli))
}

func grow(b []byte, n int) []byte {
	if cap(b)-len(b) < n {
		nb := make([]byte, len(b), len(b)+n+n/8)
		copy(nb, b)
		return nb
	}
	return b
}

// Load reads an index saved by Save. It refuses (ErrSpaceMismatch) a file
// made by another embedder, name, version or dimension, than want, and
// (ErrCorruptIndex) a file that fails its checksum or structure checks.
// maxBytes bounds the file (0 means DefaultMaxIndexBytes).
func Load(ctx context.Context, store blob.Store, key string, want Space, opt Options, maxBytes int64) (*Index, error) {
	if maxBytes <= 0 {
		maxBytes = DefaultMaxIndexBytes
	}
	data, err := readSaved(ctx, store, key, "index", maxBytes)
	if err != nil {
		return nil, err
	}
	x, err := decodeIndex(data, want, opt)
	if err != nil {
		return nil, fmt.Errorf("vsearch: load index %s: %w", key, err)
	}
	return x, nil
}

// readSaved reads what (the index, or a file saved beside it) from store
// at key, at most maxBytes: a larger file, by its stated size or by what
// it holds, wraps ErrCorruptIndex; a missing one wraps blob.ErrNotFound.
func readSaved(ctx context.Context, store blob.Store, key, what string, maxBytes int64) ([]byte, error) {
	rc, info, err := store.Get(ctx, key)
	if err != nil {
		return nil, fmt.Errorf("vsearch: load %s %s: %w", what, key, err)
	}
	defer rc.Close()
	if info.SizeBytes > maxBytes {
		return nil, fmt.Errorf("%w: %s is %d bytes, over the limit of %d", ErrCorruptIndex, key, info.SizeBytes, maxBytes)
	}
	data, err := io.ReadAll(io.LimitReader(rc, maxBytes+1))
	if err != nil {
		return nil, fmt.Errorf("vsearch: load %s %s: %w", what, key, err)
	}
	if int64(len(data)) > maxBytes {
		return nil, fmt.Errorf("%w: %s is over the limit of %d bytes", ErrCorruptIndex, key, maxBytes)
	}
	return data, nil
}

// reader reads the index format with bounds checks; the first failure
// sticks.
type reader struct {
	b   []byte
	err error
}

func (r *reader) take(n int) []byte {
	if r.err != nil {
		return nil
	}
	if n < 0 || n > len(r.b) {
		r.err = fmt.Errorf("%w: truncated", ErrCorruptIndex)
		return nil
	}
	out := r.b[:n]
	r.b = r.b[n:]
	return out
}

func (r *reader) u8() uint8 {
	if b := r.take(1); b != nil {
		return b[0]
	}
	return 0
}

func (r *reader) u16() uint16 {
	if b := r.take(2); b != nil {
		return binary.LittleEndian.Uint16(b)
	}
	return 0
}

func (r *reader) u32() uint32 {
	if b := r.take(4); b != nil {
		return binary.LittleEndian.Uint32(b)
	}
	return 0
}

func (r *reader) str() string { return string(r.take(int(r.u16()))) }

func decodeIndex(data []byte, want Space, opt Options) (*Index, error) {
	if len(data) < len(indexMagic)+2+4 || string(data[:4]) != indexMagic {
		return nil, fmt.Errorf("%w: not an index file", ErrCorruptIndex)
	}
	body, sum := data[:len(data)-4], binary.LittleEndian.Uint32(data[len(data)-4:])
	if crc32.Checksum(body, castagnoli) != sum {
		return nil, fmt.Errorf("%w: checksum mismatch", ErrCorruptIndex)
	}
	return decodeBody(body[4:], want, opt)
}

// decodeBody parses what follows the magic, checksum already verified.
// A checksum guards against accidents, not forgery, so every structure
// check is made anyway.
func decodeBody(body []byte, want Space, opt Options) (*Index, error) {
	r := &reader{b: body}
	if v := r.u16(); v != indexFormatVersion {
		return nil, fmt.Errorf("%w: format version %d, this server reads %d", ErrCorruptIndex, v, indexFormatVersion)
	}
	got := Space{Name: r.str(), Version: r.str(), Dim: int(r.u32())}
	if r.err != nil {
		return nil, r.err
	}
	if got != want {
		return nil, fmt.Errorf("%w: file holds %s vectors, the embedder is %s", ErrSpaceMismatch, got, want)
	}
	if got.Dim <= 0 || got.Dim > 1<<16 {
		return nil, fmt.Errorf("%w: dimension %d", ErrCorruptIndex, got.Dim)
	}
	nProducts, nVectors := int(r.u32()), int(r.u32())
	hasGraph := r.u8()
	// Each product takes at least 21 bytes and each vector dim×4: check
	// the counts against what is left before allocating.
	if r.err != nil || nProducts > len(r.b)/21 || nVectors > len(r.b)/(4*got.Dim) {
		return nil, fmt.Errorf("%w: counts %d products, %d vectors exceed the file", ErrCorruptIndex, nProducts, nVectors)
	}
	x := NewIndex(got, opt)
	x.products = make([]entry, 0, nProducts)
	x.owner = make([]int32, nVectors)
	next := 0
	for i := 0; i < nProducts; i++ {
		p := entry{sku: r.str(), category: r.str()}
		p.price = math.Float64frombits(uint64(r.u32()) | uint64(r.u32())<<32)
		p.start, p.count = int32(r.u32()), int32(r.u32())
		p.dead = r.u8() != 0
		if r.err != nil {
			return nil, r.err
		}
		if int(p.start) != next || p.count <= 0 || int(p.start)+int(p.count) > nVectors || p.sku == "" {
			return nil, fmt.Errorf("%w: product %d has vectors [%d,+%d) out of order or range", ErrCorruptIndex, i, p.start, p.count)
		}
		next += int(p.count)
		for v := p.start; v < p.start+p.count; v++ {
			x.owner[v] = int32(i)
		}
		if p.dead {
			x.dead += int(p.count)
		} else {
			if _, dup := x.bySKU[p.sku]; dup {
				return nil, fmt.Errorf("%w: SKU %q is live twice", ErrCorruptIndex, p.sku)
			}
			x.bySKU[p.sku] = int32(i)
		}
		x.products = append(x.products, p)
	}
	if next != nVectors {
		return nil, fmt.Errorf("%w: products cover %d of %d vectors", ErrCorruptIndex, next, nVectors)
	}
	raw := r.take(nVectors * got.Dim * 4)
	if r.err != nil {
		return nil, r.err
	}
	x.vecs = make([]float32, nVectors*got.Dim)
	for i := range x.vecs {
		f := math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:]))
		if math.IsNaN(float64(f)) || math.IsInf(float64(f), 0) {
			return nil, fmt.Errorf("%w: vector value %d is not finite", ErrCorruptIndex, i)
		}
		x.vecs[i] = f
	}
	if hasGraph == 1 {
		g, err := decodeGraph(r, got.Dim, nVectors, x.opt)
		if err != nil {
			return nil, err
		}
		x.graph = g
	}
	if len(r.b) != 0 {
		return nil, fmt.Errorf("%w: %d trailing bytes", ErrCorruptIndex, len(r.b))
	}
	return x, nil
}

func decodeGraph(r *reader, dim, n int, opt Options) (*hnsw, error) {
	o := opt
	o.M = int(r.u16())
	o.EfConstruction = int(r.u32())
	if r.err != nil || o.M < 2 || o.M > maxM {
		return nil, fmt.Errorf("%w: graph M %d", ErrCorruptIndex, o.M)
	}
	g := newHNSW(dim, o)
	g.entry = int32(r.u32())
	g.top = int(r.u8())
	if n > 0 && (g.entry < 0 || int(g.entry) >= n) {
		return nil, fmt.Errorf("%w: graph entry %d", ErrCorruptIndex, g.entry)
	}
	if n == 0 && (g.entry != -1 || g.top != 0) {
		return nil, fmt.Errorf("%w: empty graph with an entry", ErrCorruptIndex)
	}
	// Every node takes at least two bytes (level, count0): check the
	// count against what is left before allocating.
	if r.err != nil || n > len(r.b)/2 {
		return nil, fmt.Errorf("%w: graph of %d nodes exceeds the file", ErrCorruptIndex, n)
	}
	readList := func(maxN int) ([]int32, error) {
		c := int(r.u8())
		if c > maxN {
			return nil, fmt.Errorf("%w: %d neighbours, at most %d", ErrCorruptIndex, c, maxN)
		}
		ns := make([]int32, c)
		for i := range ns {
			ns[i] = int32(r.u32())
			if ns[i] < 0 || int(ns[i]) >= n {
				return nil, fmt.Errorf("%w: neighbour %d out of range", ErrCorruptIndex, ns[i])
			}
		}
		return ns, r.err
	}
	// Nodes are stored with their lists, so the slabs grow node by node
	// (appendNode) rather than being sized from untrusted counts.
	g.levels = make([]uint8, 0, n)
	g.links0 = make([]int32, 0, n*g.stride0)
	g.upperAt = make([]int32, 0, n)
	for id := 0; id < n; id++ {
		level := r.u8()
		if r.err != nil {
			return nil, r.err
		}
		if int(level) > g.top {
			return nil, fmt.Errorf("%w: node %d level %d above top %d", ErrCorruptIndex, id, level, g.top)
		}
		g.appendNode(level)
		for l := 0; l <= int(level); l++ {
			maxN := g.stride0 - 1
			if l > 0 {
				maxN = g.strideUp - 1
			}
			ns, err := readList(maxN)
			if err != nil {
				return nil, err
			}
			g.setNeighbours(int32(id), l, ns)
		}
	}
	if n > 0 && int(g.levels[g.entry]) != g.top {
		return nil, fmt.Errorf("%w: graph entry is not on the top layer", ErrCorruptIndex)
	}
	// Every neighbour on layer l must itself live on layer l.
	for id, level := range g.levels {
		for l := 1; l <= int(level); l++ {
			for _, nb := range g.neighbours(int32(id), l) {
				if int(g.levels[nb]) < l {
					return nil, fmt.Errorf("%w: node %d links to %d on layer %d above its level", ErrCorruptIndex, id, nb, l)
				}
			}
		}
	}
	return g, r.err
}
