package ws

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"

	"github.com/gorilla/websocket"

	"github.com/vitrine-shop/vitrine/server/blob"
	"github.com/vitrine-shop/vitrine/server/catalog"
	"github.com/vitrine-shop/vitrine/wire"
)

// serverName is reported in the hello reply.
const serverName = "vitrine"

// session is the protocol state of one connection. Its fields other than
// streams are owned by the read pump; streams is shared with the stream
// goroutines under mu.
type session struct {
	hub  *Hub
	ctx  context.Context
	send outbox
	log  *slog.Logger // connection logger; sessionLog adds the session

	greeted    bool
	id         string
	consent    string
	userID     string // the merchant's id for a signed-in shopper; only at personalisation
	nextStream uint32

	uploads map[uint32]*upload // search.image uploads in progress, by stream

	mu      sync.Mutex
	streams map[uint32]*modelStream
	running sync.WaitGroup // stream goroutines
}

func newSession(h *Hub, ctx context.Context, send outbox, log *slog.Logger) *session {
	return &session{hub: h, ctx: ctx, send: send, log: log, streams: make(map[uint32]*modelStream), uploads: make(map[uint32]*upload)}
}

// reply is the outcome of dispatching one message: exactly one frame to
// queue (none for a search.image awaiting its upload, whose answer follows
// the upload's last chunk) and, for model.open, the stream to start once
// it is queued.
type reply struct {
	frame  []byte
	stream *modelStream
}

// dispatch handles one text frame and returns its reply. It never panics on
// client input and always returns exactly one reply frame.
func (s *session) dispatch(ctx context.Context, data []byte) reply {
	env, werr := wire.DecodeEnvelope(data)
	if werr != nil {
		s.hub.metrics.messages.WithLabelValues("invalid").Inc()
		return reply{frame: s.errorFrame(env.ID, werr)}
	}
	s.hub.metrics.messages.WithLabelValues(messageLabel(env.Type)).Inc()
	if env.Type == wire.TypeHello {
		return s.hello(env)
	}
	h, ok := routes[env.Type]
	if !ok {
		return reply{frame: s.errorFrame(env.ID, wire.Errorf(wire.CodeUnknownType, "message type %q is not part of protocol version %d", env.Type, wire.Version))}
	}
	if !s.greeted {
		return reply{frame: s.errorFrame(env.ID, wire.Errorf(wire.CodeBadRequest, "send hello first"))}
	}
	return h(s, ctx, env)
}

// rateLimited answers a message the rate limit refused, echoing its id
// when it has a readable one.
func (s *session) rateLimited(msgType int, data []byte) []byte {
	id := ""
	if msgType == websocket.TextMessage {
		env, _ := wire.DecodeEnvelope(data)
		id = env.ID
	}
	return s.errorFrame(id, wire.Errorf(wire.CodeRateLimited, "more than %d messages per second; slow down", wire.MessagesPerSecond))
}

func (s *session) hello(env wire.Envelope) reply {
	var body wire.Hello
	if werr := wire.DecodeBody(env, &body); werr != nil {
		return reply{frame: s.errorFrame(env.ID, werr)}
	}
	if body.Version != wire.Version {
		return reply{frame: s.errorFrame(env.ID, wire.Errorf(wire.CodeUnsupportedVersion, "protocol version %d is not supported; this server speaks version %d", body.Version, wire.Version))}
	}
	if body.Consent != "" && !validConsent(body.Consent) {
		return reply{frame: s.errorFrame(env.ID, wire.Errorf(wire.CodeBadRequest, "consent must be %s, %s or %s", wire.ConsentNone, wire.ConsentAnalytics, wire.ConsentPersonalisation))}
	}
	if len(body.Session) > wire.MaxSessionBytes {
		return reply{frame: s.errorFrame(env.ID, wire.Errorf(wire.CodeTooLarge, "session id is %d bytes; the limit is %d", len(body.Session), wire.MaxSessionBytes))}
	}
	var (
		remembered rememberedSession
		resumed    bool
	)
	if body.Session != "" {
		remembered, resumed = s.hub.sessions.resume(body.Session, body.Consent)
	}
	if !resumed {
		consent := body.Consent
		if consent == "" {
			consent = wire.ConsentNone
		}
		var err error
		remembered, err = s.hub.sessions.create(consent)
		if err != nil {
			s.log.Error("ws: creating a session failed", "err", err)
			return reply{frame: s.errorFrame(env.ID, wire.Errorf(wire.CodeInternal, "creating a session failed"))}
		}
	}
	if resumed {
		remembered = s.maybeRotate(remembered)
	}
	if s.greeted && s.id != remembered.id {
		s.hub.sessions.touch(s.id)
	}
	s.greeted, s.id, s.consent, s.userID = true, remembered.id, remembered.consent, remembered.userID
	if s.consent != wire.ConsentPersonalisation {
		s.userID = ""
	}
	s.log.Debug("ws: hello", "session", sessionTag(s.id), "resumed", resumed, "consent", s.consent, "client", truncate(body.Client, 64))
	return reply{frame: s.encode(wire.TypeHello, env.ID, wire.HelloReply{
		Version: wire.Version,
		Session: s.id,
		Resumed: resumed,
		Consent: s.consent,
		Server:  serverName,
		Limits:  wire.CurrentLimits(),
	})}
}

// maybeRotate gives a resumed session older than the hub's RotateAfter a
// fresh pseudonymous id, linked to the old one in the signal log so that
// export and erase still reach its events. On any failure the session
// keeps its id: rotation is hygiene, not a reason to refuse a hello.
func (s *session) maybeRotate(rs rememberedSession) rememberedSession {
	issued, ok := s.hub.sessions.issued(rs.id)
	if !ok || s.hub.now().Sub(issued) < s.hub.rotateAfter {
		return rs
	}
	fresh, err := s.hub.sessions.rotate(rs)
	if err != nil {
		s.log.Warn("ws: rotating a session id failed", "err", err)
		return rs
	}
	if s.hub.signals != nil {
		if err := s.hub.signals.Link(s.ctx, rs.id, fresh.id); err != nil {
			s.log.Warn("ws: linking a rotated session failed; keeping the old id", "err", err)
			return rs
		}
	}
	if s.hub.recs != nil {
		s.hub.recs.Forget(rs.id)
	}
	s.log.Debug("ws: session rotated", "old", sessionTag(rs.id), "new", sessionTag(fresh.id))
	return fresh
}

func (s *session) catalogList(ctx context.Context, env wire.Envelope) reply {
	var body wire.CatalogList
	if werr := wire.DecodeBody(env, &body); werr != nil {
		return reply{frame: s.errorFrame(env.ID, werr)}
	}
	switch {
	case body.Offset < 0 || body.Offset > MaxListOffset:
		return reply{frame: s.errorFrame(env.ID, wire.Errorf(wire.CodeBadRequest, "offset must be between 0 and %d", MaxListOffset))}
	case body.Limit < 0:
		return reply{frame: s.errorFrame(env.ID, wire.Errorf(wire.CodeBadRequest, "limit must not be negative"))}
	case len(body.Query) > wire.MaxQueryBytes:
		return reply{frame: s.errorFrame(env.ID, wire.Errorf(wire.CodeTooLarge, "query is %d bytes; the limit is %d", len(body.Query), wire.MaxQueryBytes))}
	case len(body.Category) > catalog.MaxCategoryBytes:
		return reply{frame: s.errorFrame(env.ID, wire.Errorf(wire.CodeTooLarge, "category is %d bytes; the limit is %d", len(body.Category), catalog.MaxCategoryBytes))}
	}
	limit := body.Limit
	if limit == 0 {
		limit = wire.DefaultPageSize
	}
	limit = min(limit, wire.MaxPageSize)
	page, err := s.hub.catalog.List(ctx, catalog.Query{
		ReadyOnly: true,
		Category:  body.Category,
		Text:      body.Query,
		Offset:    body.Offset,
		Limit:     limit,
	})
	if err != nil {
		return reply{frame: s.failure(env, err, "listing the catalog")}
	}
	out := wire.CatalogListReply{
		Products:   make([]wire.Product, 0, min(len(page.Products), limit)),
		Total:      page.Total,
		NextOffset: page.NextOffset,
		Categories: page.Categories,
	}
	for i := range page.Products[:min(len(page.Products), limit)] {
		out.Products = append(out.Products, page.Products[i].Wire())
	}
	if out.Categories == nil {
		out.Categories = []string{}
	}
	return reply{frame: s.encode(wire.TypeCatalogList, env.ID, out)}
}

func (s *session) catalogGet(ctx context.Context, env wire.Envelope) reply {
	var body wire.CatalogGet
	if werr := wire.DecodeBody(env, &body); werr != nil {
		return reply{frame: s.errorFrame(env.ID, werr)}
	}
	if !catalog.ValidSKU(body.SKU) {
		return reply{frame: s.errorFrame(env.ID, invalidSKU())}
	}
	p, err := s.hub.catalog.Get(ctx, body.SKU)
	if err != nil {
		return reply{frame: s.failure(env, err, "getting product "+body.SKU)}
	}
	return reply{frame: s.encode(wire.TypeCatalogGet, env.ID, wire.CatalogGetReply{Product: p.Wire()})}
}

// failure turns a catalog or blob error into an error frame: not found
// becomes not_found, a *wire.Error keeps its code, anything else is
// logged and reported as internal without its details.
func (s *session) failure(env wire.Envelope, err error, what string) []byte {
	var werr *wire.Error
	switch {
	case errors.Is(err, catalog.ErrNotFound), errors.Is(err, blob.ErrNotFound):
		return s.errorFrame(env.ID, wire.Errorf(wire.CodeNotFound, "%s: not found", what))
	case errors.As(err, &werr):
		return s.errorFrame(env.ID, werr)
	case errors.Is(err, context.Canceled) && s.ctx.Err() != nil:
		// The connection is closing; the reply will not be sent.
		return s.errorFrame(env.ID, wire.Errorf(wire.CodeUnavailable, "%s: the session is closing", what))
	default:
		s.log.Error("ws: request failed", "type", env.Type, "what", what, "err", err)
		return s.errorFrame(env.ID, wire.Errorf(wire.CodeInternal, "%s failed", what))
	}
}

// errorFrame encodes an error message and counts it.
func (s *session) errorFrame(id string, werr *wire.Error) []byte {
	s.hub.metrics.errors.WithLabelValues(string(werr.Code)).Inc()
	frame, err := wire.Encode(wire.TypeError, id, werr)
	if err != nil {
		// An *wire.Error holds only strings; this cannot happen, but the
		// caller still gets a frame.
		return []byte(`{"type":"error","body":{"code":"internal","message":"encoding an error failed"}}`)
	}
	return frame
}

// encode encodes a reply; a body that cannot be encoded (a NaN from the
// catalog, say) becomes an internal error.
func (s *session) encode(typ, id string, body any) []byte {
	frame, err := wire.Encode(typ, id, body)
	if err != nil {
		s.log.Error("ws: encoding a reply failed", "type", typ, "err", err)
		return s.errorFrame(id, wire.Errorf(wire.CodeInternal, "encoding the %s reply failed", typ))
	}
	return frame
}

// end runs when the connection is over: the remembered session's expiry
// counts from now.
func (s *session) end() {
	if s.greeted {
		s.hub.sessions.touch(s.id)
	}
}

func validConsent(c string) bool {
	switch c {
	case wire.ConsentNone, wire.ConsentAnalytics, wire.ConsentPersonalisation:
		return true
	}
	return false
}

func invalidSKU() *wire.Error {
	return wire.Errorf(wire.CodeBadRequest, "sku must be 1-%d letters, digits, '.', '_' or '-', starting with a letter or digit", wire.MaxSKUBytes)
}

// messageLabel bounds the metric label to the known message types.
func messageLabel(typ string) string {
	if _, known := routes[typ]; known || typ == wire.TypeHello {
		return typ
	}
	return "unknown"
}

// sessionTag is a short, non-reversible tag of a session id for logs: the
// id itself is a bearer secret and is never logged.
func sessionTag(id string) string {
	sum := sha256.Sum256([]byte(id))
	return hex.EncodeToString(sum[:4])
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return fmt.Sprintf("%s…(%d bytes)", strings.ToValidUTF8(s[:n], ""), len(s))
}
