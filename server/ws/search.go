package ws

import (
	"context"
	"time"

	"github.com/vitrine-shop/vitrine/wire"
)

// Searcher answers visual searches.
type Searcher interface {
	// SearchImage searches with an uploaded image; client errors are
	// *wire.Error.
	SearchImage(ctx context.Context, data []byte, req wire.SearchImage) (wire.SearchResults, error)
	// Similar searches with a catalog product's own picture.
	Similar(ctx context.Context, req wire.SearchImage) (wire.SearchResults, error)
}

// uploadTimeout bounds the time from search.image to its last chunk.
const uploadTimeout = 30 * time.Second

// upload is a search.image whose bytes are arriving in FrameUploadChunk
// frames. It is owned by the read pump.
type upload struct {
	id      string // the search.image's request id
	req     wire.SearchImage
	data    []byte
	next    uint32 // the chunk index expected next
	started time.Time
}

// searchImage starts a search: "find similar" (SKU) is answered at once;
// an image search registers its upload and is answered after the upload's
// last chunk.
func (s *session) searchImage(ctx context.Context, env wire.Envelope) reply {
	if s.hub.search == nil {
		return reply{frame: s.errorFrame(env.ID, wire.Errorf(wire.CodeUnavailable, "this server has no visual search"))}
	}
	var req wire.SearchImage
	if werr := wire.DecodeBody(env, &req); werr != nil {
		return reply{frame: s.errorFrame(env.ID, werr)}
	}
	if werr := req.Validate(); werr != nil {
		return reply{frame: s.errorFrame(env.ID, werr)}
	}
	if req.SKU != "" {
		res, err := s.hub.search.Similar(ctx, req)
		if err != nil {
			return reply{frame: s.failure(env, err, "finding products similar to "+req.SKU)}
		}
		return reply{frame: s.encode(wire.TypeSearchResults, env.ID, res)}
	}
	now := s.hub.now()
	for stream, u := range s.uploads {
		if now.Sub(u.started) > uploadTimeout {
			delete(s.uploads, stream) // abandoned: its answer was never awaited
		}
	}
	switch {
	case req.Stream == 0:
		return reply{frame: s.errorFrame(env.ID, wire.Errorf(wire.CodeBadRequest, "search.image with an image needs a non-zero stream for its upload"))}
	case s.uploads[req.Stream] != nil:
		return reply{frame: s.errorFrame(env.ID, wire.Errorf(wire.CodeBadRequest, "upload stream %d is already open", req.Stream))}
	case len(s.uploads) >= wire.MaxOpenUploads:
		return reply{frame: s.errorFrame(env.ID, wire.Errorf(wire.CodeTooManyStreams, "this session already has %d uploads open", wire.MaxOpenUploads))}
	}
	s.uploads[req.Stream] = &upload{id: env.ID, req: req, data: make([]byte, 0, req.SizeBytes), started: now}
	return reply{}
}

// binary takes one binary frame from the client: a chunk of an open
// search.image upload. The upload's answer (results or an error echoing
// its request id) is returned after its last chunk; a chunk that breaks
// the upload drops it with an error.
func (s *session) binary(ctx context.Context, data []byte) []byte {
	s.hub.metrics.messages.WithLabelValues("binary").Inc()
	h, payload, werr := wire.DecodeFrame(data)
	if werr != nil {
		return s.errorFrame("", werr)
	}
	if h.Kind != wire.FrameUploadChunk {
		return s.errorFrame("", wire.Errorf(wire.CodeBadRequest, "clients send only upload chunks (frame kind %d)", wire.FrameUploadChunk))
	}
	u := s.uploads[h.Stream]
	if u == nil {
		return s.errorFrame("", wire.Errorf(wire.CodeBadRequest, "no upload stream %d is open", h.Stream))
	}
	fail := func(werr *wire.Error) []byte {
		delete(s.uploads, h.Stream)
		return s.errorFrame(u.id, werr)
	}
	switch {
	case s.hub.now().Sub(u.started) > uploadTimeout:
		return fail(wire.Errorf(wire.CodeBadRequest, "upload %d took longer than %v", h.Stream, uploadTimeout))
	case h.Index != u.next:
		return fail(wire.Errorf(wire.CodeBadRequest, "upload %d: chunk %d arrived where chunk %d was expected", h.Stream, h.Index, u.next))
	case len(payload) == 0 || len(payload) > wire.ChunkSize:
		return fail(wire.Errorf(wire.CodeBadRequest, "upload %d: a chunk carries 1 to %d bytes, not %d", h.Stream, wire.ChunkSize, len(payload)))
	case int64(len(u.data)+len(payload)) > u.req.SizeBytes:
		return fail(wire.Errorf(wire.CodeTooLarge, "upload %d: more than the announced %d bytes", h.Stream, u.req.SizeBytes))
	}
	u.data = append(u.data, payload...)
	u.next++
	if int64(len(u.data)) < u.req.SizeBytes {
		return nil
	}
	delete(s.uploads, h.Stream)
	res, err := s.hub.search.SearchImage(ctx, u.data, u.req)
	if err != nil {
		return s.failure(wire.Envelope{Type: wire.TypeSearchImage, ID: u.id}, err, "the image search")
	}
	return s.encode(wire.TypeSearchResults, u.id, res)
}
