package ws

import (
	"context"
	"errors"

	"github.com/vitrine-shop/vitrine/server/catalog"
	"github.com/vitrine-shop/vitrine/server/placement"
	"github.com/vitrine-shop/vitrine/wire"
)

// place.* requests are pure computation (a few milliseconds each), so they
// run in the read pump.

func (s *session) placeMeasure(_ context.Context, env wire.Envelope) reply {
	var body wire.PlaceMeasure
	if werr := wire.DecodeBody(env, &body); werr != nil {
		return reply{frame: s.errorFrame(env.ID, werr)}
	}
	res, err := placement.Measure(body)
	if err != nil {
		return reply{frame: s.placeFailure(env, err)}
	}
	return reply{frame: s.encode(env.Type, env.ID, res)}
}

func (s *session) placeFit(ctx context.Context, env wire.Envelope) reply {
	return placeForProduct(s, ctx, env, func(b wire.PlaceFit) string { return b.SKU }, placement.Fit)
}

func (s *session) placePose(ctx context.Context, env wire.Envelope) reply {
	return placeForProduct(s, ctx, env, func(b wire.PlacePose) string { return b.SKU }, placement.Pose)
}

func (s *session) placeTryOn(ctx context.Context, env wire.Envelope) reply {
	return placeForProduct(s, ctx, env, func(b wire.PlaceTryOn) string { return b.SKU }, placement.TryOn)
}

// placeForProduct decodes a place.* request about a product, looks the
// product up and answers with fn's result under the request's type.
func placeForProduct[Req, Rep any](s *session, ctx context.Context, env wire.Envelope, sku func(Req) string, fn func(Req, catalog.Product) (Rep, error)) reply {
	var body Req
	if werr := wire.DecodeBody(env, &body); werr != nil {
		return reply{frame: s.errorFrame(env.ID, werr)}
	}
	if !catalog.ValidSKU(sku(body)) {
		return reply{frame: s.errorFrame(env.ID, invalidSKU())}
	}
	p, err := s.hub.catalog.Get(ctx, sku(body))
	if err != nil {
		return reply{frame: s.failure(env, err, "getting product "+sku(body))}
	}
	res, err := fn(body, p)
	if err != nil {
		return reply{frame: s.placeFailure(env, err)}
	}
	return reply{frame: s.encode(env.Type, env.ID, res)}
}

// placeFailure maps the placement package's input errors to bad_request
// with their message; anything else is the server's fault.
func (s *session) placeFailure(env wire.Envelope, err error) []byte {
	if errors.Is(err, placement.ErrInvalid) {
		return s.errorFrame(env.ID, wire.Errorf(wire.CodeBadRequest, "%v", err))
	}
	return s.failure(env, err, env.Type)
}
