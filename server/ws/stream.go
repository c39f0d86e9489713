package ws

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/vitrine-shop/vitrine/server/blob"
	"github.com/vitrine-shop/vitrine/server/catalog"
	"github.com/vitrine-shop/vitrine/wire"
)

// modelStream is one running model.open: an open blob reader and the
// chunks still to send.
type modelStream struct {
	id        uint32
	requestID string
	sku       string
	version   int64
	sizeBytes int64
	lod       int
	chunks    int
	from      int
	reader    io.ReadCloser

	ctx     context.Context // ends on model.cancel or when the session closes
	cancel  context.CancelFunc
	done    chan struct{} // closed when the stream goroutine has finished
	started bool          // set by startStream, read by the read pump only
}

func (s *session) modelOpen(_ context.Context, env wire.Envelope) reply {
	var body wire.ModelOpen
	if werr := wire.DecodeBody(env, &body); werr != nil {
		return reply{frame: s.errorFrame(env.ID, werr)}
	}
	if !catalog.ValidSKU(body.SKU) {
		return reply{frame: s.errorFrame(env.ID, invalidSKU())}
	}
	if body.FromChunk < 0 {
		return reply{frame: s.errorFrame(env.ID, wire.Errorf(wire.CodeBadRequest, "from_chunk must not be negative"))}
	}
	if s.openStreams() >= wire.MaxOpenStreams {
		return reply{frame: s.errorFrame(env.ID, wire.Errorf(wire.CodeTooManyStreams, "this session already runs %d model streams; wait for one to finish or cancel one", wire.MaxOpenStreams))}
	}
	// Lookups use the session context, not a request context: the blob
	// reader must outlive this call.
	p, err := s.hub.catalog.Get(s.ctx, body.SKU)
	if err != nil {
		return reply{frame: s.failure(env, err, "getting product "+body.SKU)}
	}
	m := p.Model
	switch {
	case p.Status != wire.StatusReady || m == nil:
		return reply{frame: s.errorFrame(env.ID, wire.Errorf(wire.CodeNotReady, "product %s has no ready model (status %s)", p.SKU, p.Status))}
	case m.SizeBytes <= 0:
		return reply{frame: s.errorFrame(env.ID, wire.Errorf(wire.CodeNotReady, "product %s has an empty model", p.SKU))}
	case m.Format != "" && m.Format != wire.FormatGLB:
		return reply{frame: s.errorFrame(env.ID, wire.Errorf(wire.CodeNotReady, "product %s has no streamable %s model", p.SKU, wire.FormatGLB))}
	}
	levels := m.Levels()
	if body.LOD < 0 || body.LOD >= len(levels) {
		return reply{frame: s.errorFrame(env.ID, wire.Errorf(wire.CodeBadRequest, "lod %d: product %s has levels 0 to %d", body.LOD, p.SKU, len(levels)-1))}
	}
	level := levels[body.LOD]
	lodInfos := make([]wire.LODInfo, len(levels))
	for i, l := range levels {
		lodInfos[i] = wire.LODInfo{Level: l.Level, Triangles: l.Triangles, SizeBytes: l.SizeBytes}
	}
	chunks := wire.ChunkCount(level.SizeBytes)
	from := body.FromChunk
	if body.Version != 0 && body.Version != p.Version {
		from = 0 // the client's chunks belong to an older version
	} else if from >= chunks {
		return reply{frame: s.errorFrame(env.ID, wire.Errorf(wire.CodeBadRequest, "from_chunk %d is past the model's last chunk %d", from, chunks-1))}
	}

	ctx, cancel := context.WithCancel(s.ctx)
	r, info, err := s.hub.blobs.Get(ctx, level.Key)
	if err != nil {
		cancel()
		return reply{frame: s.failure(env, err, "opening the model of "+p.SKU)}
	}
	if info.SizeBytes > 0 && info.SizeBytes != level.SizeBytes {
		_ = r.Close()
		cancel()
		s.log.Error("ws: stored model size differs from the catalog", "sku", p.SKU, "key", level.Key, "stored_bytes", info.SizeBytes, "catalog_bytes", level.SizeBytes)
		return reply{frame: s.errorFrame(env.ID, wire.Errorf(wire.CodeInternal, "the stored model of %s does not match the catalog", p.SKU))}
	}
	st := &modelStream{
		id:        s.newStreamID(),
		requestID: env.ID,
		sku:       p.SKU,
		version:   p.Version,
		sizeBytes: level.SizeBytes,
		lod:       level.Level,
		chunks:    chunks,
		from:      from,
		reader:    r,
		ctx:       ctx,
		cancel:    cancel,
		done:      make(chan struct{}),
	}
	meta, err := wire.Encode(wire.TypeModelMeta, env.ID, wire.ModelMeta{
		Stream:      st.id,
		SKU:         p.SKU,
		Version:     p.Version,
		Format:      wire.FormatGLB,
		SizeBytes:   level.SizeBytes,
		ChunkSize:   wire.ChunkSize,
		Chunks:      chunks,
		FromChunk:   from,
		SHA256:      level.SHA256,
		DimensionsM: m.DimensionsM,
		BoundsMin:   m.BoundsMin,
		BoundsMax:   m.BoundsMax,
		LOD:         level.Level,
		LODs:        lodInfos,
	})
	if err != nil {
		_ = r.Close()
		cancel()
		s.log.Error("ws: encoding model.meta failed", "sku", p.SKU, "err", err)
		return reply{frame: s.errorFrame(env.ID, wire.Errorf(wire.CodeInternal, "describing the model of %s failed", p.SKU))}
	}
	s.mu.Lock()
	s.streams[st.id] = st
	s.mu.Unlock()
	s.log.Debug("ws: model stream opened", "session", sessionTag(s.id), "stream", st.id, "sku", st.sku, "version", st.version, "from_chunk", from, "chunks", chunks)
	return reply{frame: meta, stream: st}
}

func (s *session) modelCancel(ctx context.Context, env wire.Envelope) reply {
	var body wire.ModelCancel
	if werr := wire.DecodeBody(env, &body); werr != nil {
		return reply{frame: s.errorFrame(env.ID, werr)}
	}
	if body.Stream == 0 {
		return reply{frame: s.errorFrame(env.ID, wire.Errorf(wire.CodeBadRequest, "stream must be a running stream's non-zero id"))}
	}
	s.mu.Lock()
	st := s.streams[body.Stream]
	s.mu.Unlock()
	if st == nil {
		return reply{frame: s.errorFrame(env.ID, wire.Errorf(wire.CodeNotFound, "no stream %d is running", body.Stream))}
	}
	st.cancel()
	if st.started {
		// Once the goroutine is gone no frame of the stream can follow
		// this reply. It leaves promptly: its queue puts and blob reads
		// watch the cancelled context.
		select {
		case <-st.done:
		case <-ctx.Done():
		}
	}
	s.removeStream(st.id)
	return reply{frame: s.encode(wire.TypeModelCancel, env.ID, wire.ModelCancel{Stream: st.id})}
}

// startStream runs st in its own goroutine.
func (s *session) startStream(st *modelStream) {
	st.started = true
	s.running.Add(1)
	go func() {
		defer s.running.Done()
		s.runStream(st)
	}()
}

// runStream sends st's chunks, blocking on the send queue whenever it is
// full, and ends the stream with model.done, or with an error echoing the
// request id when the model cannot be read. A cancelled stream ends
// silently.
func (s *session) runStream(st *modelStream) {
	started := time.Now()
	defer close(st.done)
	defer st.cancel()
	defer func() { _ = st.reader.Close() }()

	sent, err := s.sendChunks(st)
	s.removeStream(st.id)
	s.hub.metrics.streamSeconds.Observe(time.Since(started).Seconds())
	log := s.log.With("session", sessionTag(s.id), "stream", st.id, "sku", st.sku, "sent", sent)
	switch {
	case st.ctx.Err() != nil:
		log.Debug("ws: model stream cancelled")
	case err != nil:
		log.Error("ws: model stream failed", "err", err)
		werr := wire.Errorf(wire.CodeInternal, "reading the model of %s failed after %d chunks", st.sku, sent)
		if errors.Is(err, blob.ErrNotFound) {
			werr = wire.Errorf(wire.CodeNotFound, "the model of %s disappeared from storage", st.sku)
		}
		s.send.put(st.ctx, frame{data: s.errorFrame(st.requestID, werr)})
	default:
		log.Debug("ws: model stream done")
		s.send.put(st.ctx, frame{data: s.encode(wire.TypeModelDone, st.requestID, wire.ModelDone{
			Stream:    st.id,
			SKU:       st.sku,
			Version:   st.version,
			Sent:      sent,
			SizeBytes: st.sizeBytes,
			LOD:       st.lod,
		})})
	}
}

// sendChunks positions the reader at st.from and queues one binary frame
// per chunk. It returns the number of chunks queued.
func (s *session) sendChunks(st *modelStream) (int, error) {
	offset := int64(st.from) * wire.ChunkSize
	if offset > 0 {
		if seeker, ok := st.reader.(io.Seeker); ok {
			pos, err := seeker.Seek(offset, io.SeekStart)
			if err != nil {
				return 0, fmt.Errorf("ws: seeking to chunk %d of %s: %w", st.from, st.sku, err)
			}
			if pos != offset {
				return 0, fmt.Errorf("ws: seeking to chunk %d of %s landed at byte %d, not %d", st.from, st.sku, pos, offset)
			}
		} else if _, err := io.CopyN(io.Discard, st.reader, offset); err != nil {
			return 0, fmt.Errorf("ws: skipping to chunk %d of %s: %w", st.from, st.sku, err)
		}
	}
	sent := 0
	for index := st.from; index < st.chunks; index++ {
		payloadBytes := min(int64(wire.ChunkSize), st.sizeBytes-int64(index)*wire.ChunkSize)
		buf := wire.AppendFrame(make([]byte, 0, wire.FrameHeaderSize+payloadBytes),
			wire.FrameHeader{Kind: wire.FrameModelChunk, Stream: st.id, Index: uint32(index)}, nil)
		buf = buf[:wire.FrameHeaderSize+payloadBytes]
		if _, err := io.ReadFull(st.reader, buf[wire.FrameHeaderSize:]); err != nil {
			return sent, fmt.Errorf("ws: reading chunk %d of %s: %w", index, st.sku, err)
		}
		if !s.send.put(st.ctx, frame{binary: true, data: buf}) {
			return sent, st.ctx.Err()
		}
		s.hub.metrics.bytesStreamed.Add(float64(payloadBytes))
		sent++
	}
	return sent, nil
}

func (s *session) openStreams() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.streams)
}

func (s *session) removeStream(id uint32) {
	s.mu.Lock()
	delete(s.streams, id)
	s.mu.Unlock()
}

// newStreamID returns the next non-zero stream id not in use.
func (s *session) newStreamID() uint32 {
	s.mu.Lock()
	defer s.mu.Unlock()
	for {
		s.nextStream++
		if _, busy := s.streams[s.nextStream]; s.nextStream != 0 && !busy {
			return s.nextStream
		}
	}
}

// waitStreams waits for every stream goroutine to finish.
func (s *session) waitStreams() { s.running.Wait() }
