// Package stream reassembles a model streamed over vitrine.v1: a model.meta
// announcing the stream, binary chunk frames in order, and a model.done
// that closes it. The Assembler checks every chunk against the meta (stream
// id, order, duplicates, sizes) and verifies the whole model's size and
// SHA-256 before handing it out. It keeps the chunks it holds across an
// interrupted stream so that the client can resume from NextChunk.
package stream

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/vitrine-shop/vitrine/wire"
)

// DefaultMaxBytes is the largest model an Assembler accepts unless told
// otherwise: bigger than any LOD the server streams, small enough for a
// phone's memory.
const DefaultMaxBytes = 128 << 20

// Errors the Assembler returns, wrapped with the stream and chunk they
// concern. Callers branch on them with errors.Is.
var (
	ErrBadMeta      = errors.New("stream: invalid model.meta")
	ErrNotStarted   = errors.New("stream: no stream in progress")
	ErrWrongStream  = errors.New("stream: frame for another stream")
	ErrOutOfOrder   = errors.New("stream: chunk out of order")
	ErrDuplicate    = errors.New("stream: duplicate chunk")
	ErrOversize     = errors.New("stream: chunk beyond the announced size")
	ErrShortChunk   = errors.New("stream: chunk shorter than announced")
	ErrIncomplete   = errors.New("stream: model.done before every chunk arrived")
	ErrSizeMismatch = errors.New("stream: size differs from model.meta")
	ErrChecksum     = errors.New("stream: SHA-256 mismatch")
)

// Assembler reassembles one model at a time. It is not safe for concurrent
// use; the client's dispatch goroutine owns it.
type Assembler struct {
	maxBytes int64
	meta     wire.ModelMeta
	buf      []byte
	next     int  // index of the next chunk expected; chunks [0,next) are held
	active   bool // a stream is in progress (Begin seen, Done not yet)
}

// New returns an Assembler that refuses models larger than maxBytes
// (DefaultMaxBytes when maxBytes <= 0).
func New(maxBytes int64) *Assembler {
	if maxBytes <= 0 {
		maxBytes = DefaultMaxBytes
	}
	return &Assembler{maxBytes: maxBytes}
}

// Begin starts (or resumes) a stream described by meta. A meta with
// FromChunk 0 discards whatever was held; a meta with FromChunk > 0 must
// continue the same SKU and version exactly where the held chunks end.
func (a *Assembler) Begin(meta wire.ModelMeta) error {
	if err := a.checkMeta(meta); err != nil {
		a.reset()
		return err
	}
	if meta.FromChunk > 0 {
		if a.buf == nil || meta.SKU != a.meta.SKU || meta.Version != a.meta.Version ||
			meta.SizeBytes != a.meta.SizeBytes || meta.SHA256 != a.meta.SHA256 {
			a.reset()
			return fmt.Errorf("%w: resumes %s v%d from chunk %d, but no chunks of it are held", ErrBadMeta, meta.SKU, meta.Version, meta.FromChunk)
		}
		if meta.FromChunk != a.next {
			held := a.next
			a.reset()
			return fmt.Errorf("%w: resumes from chunk %d, but chunks 0..%d are held", ErrBadMeta, meta.FromChunk, held-1)
		}
		a.meta = meta
		a.active = true
		return nil
	}
	a.meta = meta
	a.buf = make([]byte, 0, meta.SizeBytes)
	a.next = 0
	a.active = true
	return nil
}

func (a *Assembler) checkMeta(m wire.ModelMeta) error {
	switch {
	case m.Format != "" && m.Format != wire.FormatGLB:
		return fmt.Errorf("%w: format %q is not %q", ErrBadMeta, m.Format, wire.FormatGLB)
	case m.SizeBytes <= 0:
		return fmt.Errorf("%w: size %d bytes", ErrBadMeta, m.SizeBytes)
	case m.SizeBytes > a.maxBytes:
		return fmt.Errorf("%w: size %d bytes is over the %d-byte limit", ErrBadMeta, m.SizeBytes, a.maxBytes)
	case m.ChunkSize <= 0 || m.ChunkSize > wire.MaxBinaryFrameBytes:
		return fmt.Errorf("%w: chunk size %d", ErrBadMeta, m.ChunkSize)
	}
	want := (m.SizeBytes + int64(m.ChunkSize) - 1) / int64(m.ChunkSize)
	switch {
	case int64(m.Chunks) != want:
		return fmt.Errorf("%w: %d chunks of %d bytes cannot hold %d bytes", ErrBadMeta, m.Chunks, m.ChunkSize, m.SizeBytes)
	case m.FromChunk < 0 || m.FromChunk > m.Chunks:
		return fmt.Errorf("%w: from chunk %d of %d", ErrBadMeta, m.FromChunk, m.Chunks)
	}
	if sum, err := hex.DecodeString(m.SHA256); err != nil || len(sum) != sha256.Size {
		return fmt.Errorf("%w: sha256 %q is not 64 hex digits", ErrBadMeta, m.SHA256)
	}
	return nil
}

// Add appends one chunk frame's payload. The chunk must belong to the
// current stream and be the next one expected; its length must be the
// meta's chunk size (the last chunk holds the remainder).
func (a *Assembler) Add(h wire.FrameHeader, payload []byte) error {
	if !a.active {
		return fmt.Errorf("%w: chunk %d of stream %d", ErrNotStarted, h.Index, h.Stream)
	}
	if h.Kind != wire.FrameModelChunk || h.Stream != a.meta.Stream {
		return fmt.Errorf("%w: kind %d stream %d, expecting stream %d", ErrWrongStream, h.Kind, h.Stream, a.meta.Stream)
	}
	idx := int64(h.Index)
	switch {
	case idx >= int64(a.meta.Chunks):
		return fmt.Errorf("%w: chunk %d of a %d-chunk stream", ErrOversize, h.Index, a.meta.Chunks)
	case idx < int64(a.next):
		return fmt.Errorf("%w: chunk %d of stream %d", ErrDuplicate, h.Index, h.Stream)
	case idx > int64(a.next):
		return fmt.Errorf("%w: chunk %d of stream %d, expecting %d", ErrOutOfOrder, h.Index, h.Stream, a.next)
	}
	want := int64(a.meta.ChunkSize)
	if rest := a.meta.SizeBytes - int64(len(a.buf)); rest < want {
		want = rest
	}
	switch {
	case int64(len(payload)) > want:
		return fmt.Errorf("%w: chunk %d is %d bytes, expecting %d", ErrOversize, h.Index, len(payload), want)
	case int64(len(payload)) < want:
		return fmt.Errorf("%w: chunk %d is %d bytes, expecting %d", ErrShortChunk, h.Index, len(payload), want)
	}
	a.buf = append(a.buf, payload...)
	a.next++
	return nil
}

// Done closes the stream and returns the verified model. It fails when
// done names another stream, chunks are missing, the sizes disagree or the
// SHA-256 differs; a checksum failure also drops the held chunks, so the
// next open starts from chunk 0. The returned slice is the caller's.
func (a *Assembler) Done(done wire.ModelDone) ([]byte, error) {
	if !a.active {
		return nil, fmt.Errorf("%w: model.done for stream %d", ErrNotStarted, done.Stream)
	}
	if done.Stream != a.meta.Stream {
		return nil, fmt.Errorf("%w: model.done for stream %d, expecting %d", ErrWrongStream, done.Stream, a.meta.Stream)
	}
	if a.next != a.meta.Chunks {
		return nil, fmt.Errorf("%w: %d of %d chunks held", ErrIncomplete, a.next, a.meta.Chunks)
	}
	if done.SizeBytes != 0 && done.SizeBytes != a.meta.SizeBytes {
		a.reset()
		return nil, fmt.Errorf("%w: model.done says %d bytes, model.meta %d", ErrSizeMismatch, done.SizeBytes, a.meta.SizeBytes)
	}
	if sent := a.meta.Chunks - a.meta.FromChunk; done.Sent != sent {
		a.reset()
		return nil, fmt.Errorf("%w: model.done counts %d chunks sent, %d arrived", ErrSizeMismatch, done.Sent, sent)
	}
	if int64(len(a.buf)) != a.meta.SizeBytes {
		a.reset()
		return nil, fmt.Errorf("%w: %d bytes held, %d announced", ErrSizeMismatch, len(a.buf), a.meta.SizeBytes)
	}
	sum := sha256.Sum256(a.buf)
	want, _ := hex.DecodeString(a.meta.SHA256) // checked in Begin
	if !bytes.Equal(sum[:], want) {
		a.reset()
		return nil, fmt.Errorf("%w: got %x, model.meta says %s", ErrChecksum, sum, a.meta.SHA256)
	}
	model := a.buf
	a.reset()
	return model, nil
}

// Interrupt marks the running stream as broken (the connection dropped)
// while keeping the chunks held, so a later Begin may resume it.
func (a *Assembler) Interrupt() { a.active = false }

// Discard drops every chunk held and ends the stream, so the next Begin
// starts from chunk 0.
func (a *Assembler) Discard() { a.reset() }

// Active reports whether a stream is in progress.
func (a *Assembler) Active() bool { return a.active }

// Meta returns the meta of the current (or last interrupted) stream.
func (a *Assembler) Meta() wire.ModelMeta { return a.meta }

// NextChunk is the index of the first chunk not yet held: the from_chunk
// to send in a model.open that resumes this model.
func (a *Assembler) NextChunk() int { return a.next }

// Received returns how many bytes are held and the model's announced size.
func (a *Assembler) Received() (held, total int64) {
	return int64(len(a.buf)), a.meta.SizeBytes
}

func (a *Assembler) reset() {
	a.meta = wire.ModelMeta{}
	a.buf = nil
	a.next = 0
	a.active = false
}
