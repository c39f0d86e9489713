package ws

import (
	"context"

	"github.com/vitrine-shop/vitrine/server/recs"
	"github.com/vitrine-shop/vitrine/server/signals"
	"github.com/vitrine-shop/vitrine/wire"
)

// Signals is the durable interaction log.
type Signals interface {
	// Append returns once the batch is durable.
	Append(ctx context.Context, b signals.Batch) (signals.AppendResult, error)
	Export(ctx context.Context, s signals.Subject) ([]wire.ExportedEvent, bool, error)
	Erase(ctx context.Context, s signals.Subject) (signals.EraseResult, error)
	// Link records that session newSession replaces oldSession.
	Link(ctx context.Context, oldSession, newSession string) error
}

// Recommender learns from acknowledged events and answers recs.get.
type Recommender interface {
	Observe(session, consent string, events []wire.Event)
	Get(req recs.Request) []wire.RecItem
	Forget(session string)
}

// signal stores a batch durably, then acknowledges it: the read pump waits
// for the group commit, which is the back-pressure a fast client feels.
func (s *session) signal(ctx context.Context, env wire.Envelope) reply {
	if s.hub.signals == nil {
		return reply{frame: s.errorFrame(env.ID, wire.Errorf(wire.CodeUnavailable, "this server does not record signals"))}
	}
	var body wire.Signal
	if werr := wire.DecodeBody(env, &body); werr != nil {
		return reply{frame: s.errorFrame(env.ID, werr)}
	}
	if werr := wire.ValidateSignal(body, s.hub.now()); werr != nil {
		return reply{frame: s.errorFrame(env.ID, werr)}
	}
	res, err := s.hub.signals.Append(ctx, signals.Batch{Session: s.id, UserID: s.userID, Consent: s.consent, Events: body.Events})
	if err != nil {
		s.log.Warn("ws: storing signals failed", "session", sessionTag(s.id), "err", err)
		return reply{frame: s.errorFrame(env.ID, wire.Errorf(wire.CodeUnavailable, "the events could not be stored; send them again"))}
	}
	if s.hub.recs != nil {
		s.hub.recs.Observe(s.id, s.consent, res.New)
	}
	return reply{frame: s.encode(wire.TypeSignalAck, env.ID, wire.SignalAck{IDs: res.IDs})}
}

func (s *session) recsGet(_ context.Context, env wire.Envelope) reply {
	if s.hub.recs == nil {
		return reply{frame: s.errorFrame(env.ID, wire.Errorf(wire.CodeUnavailable, "this server has no recommender"))}
	}
	var body wire.RecsGet
	if werr := wire.DecodeBody(env, &body); werr != nil {
		return reply{frame: s.errorFrame(env.ID, werr)}
	}
	if werr := wire.ValidateRecsGet(&body); werr != nil {
		return reply{frame: s.errorFrame(env.ID, werr)}
	}
	items := s.hub.recs.Get(recs.Request{Session: s.id, Consent: s.consent, SKU: body.SKU, Slot: body.Slot, Count: body.Count})
	if items == nil {
		items = []wire.RecItem{}
	}
	return reply{frame: s.encode(wire.TypeRecsResults, env.ID, wire.RecsResults{Slot: body.Slot, SKU: body.SKU, Items: items})}
}

func (s *session) privacyExport(ctx context.Context, env wire.Envelope) reply {
	if s.hub.signals == nil {
		return reply{frame: s.errorFrame(env.ID, wire.Errorf(wire.CodeUnavailable, "this server does not record signals"))}
	}
	events, truncated, err := s.hub.signals.Export(ctx, signals.Subject{Session: s.id, UserID: s.userID})
	if err != nil {
		return reply{frame: s.failure(env, err, "exporting your data")}
	}
	if events == nil {
		events = []wire.ExportedEvent{}
	}
	return reply{frame: s.encode(wire.TypePrivacyExport, env.ID, wire.PrivacyExportReply{
		Consent: s.consent, UserID: s.userID, Events: events, Held: signals.Held(s.consent), Truncated: truncated,
	})}
}

func (s *session) privacyErase(ctx context.Context, env wire.Envelope) reply {
	if s.hub.signals == nil {
		return reply{frame: s.errorFrame(env.ID, wire.Errorf(wire.CodeUnavailable, "this server does not record signals"))}
	}
	res, err := s.hub.signals.Erase(ctx, signals.Subject{Session: s.id, UserID: s.userID})
	if err != nil {
		return reply{frame: s.failure(env, err, "erasing your data")}
	}
	if s.hub.recs != nil {
		s.hub.recs.Forget(s.id)
	}
	return reply{frame: s.encode(wire.TypePrivacyErase, env.ID, wire.PrivacyEraseReply{Erased: res.Erased, CompleteByMS: res.CompleteBy.UnixMilli()})}
}

// consentUpdate takes effect at once: the next signal batch is recorded,
// and the next recs.get answered, under the new level.
func (s *session) consentUpdate(_ context.Context, env wire.Envelope) reply {
	var body wire.ConsentUpdate
	if werr := wire.DecodeBody(env, &body); werr != nil {
		return reply{frame: s.errorFrame(env.ID, werr)}
	}
	if werr := wire.ValidateConsentUpdate(body); werr != nil {
		return reply{frame: s.errorFrame(env.ID, werr)}
	}
	s.consent, s.userID = body.Consent, body.UserID
	if s.consent != wire.ConsentPersonalisation && s.hub.recs != nil {
		s.hub.recs.Forget(s.id) // the session's history may no longer shape its recommendations
	}
	s.hub.sessions.update(s.id, s.consent, s.userID)
	return reply{frame: s.encode(wire.TypeConsentUpdate, env.ID, wire.ConsentUpdateReply{Consent: s.consent})}
}
