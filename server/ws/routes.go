package ws

import (
	"context"

	"github.com/vitrine-shop/vitrine/wire"
)

// handler answers one request type of a greeted session with exactly one
// reply frame (and, for model.open, the stream to start).
type handler func(s *session, ctx context.Context, env wire.Envelope) reply

// routes maps every request type after hello to its handler.
var routes = map[string]handler{
	wire.TypeCatalogList:   (*session).catalogList,
	wire.TypeCatalogGet:    (*session).catalogGet,
	wire.TypeModelOpen:     (*session).modelOpen,
	wire.TypeModelCancel:   (*session).modelCancel,
	wire.TypePlaceMeasure:  (*session).placeMeasure,
	wire.TypePlaceFit:      (*session).placeFit,
	wire.TypePlacePose:     (*session).placePose,
	wire.TypePlaceTryOn:    (*session).placeTryOn,
	wire.TypeSignal:        (*session).signal,
	wire.TypeRecsGet:       (*session).recsGet,
	wire.TypePrivacyExport: (*session).privacyExport,
	wire.TypePrivacyErase:  (*session).privacyErase,
	wire.TypeConsentUpdate: (*session).consentUpdate,
	wire.TypeSearchImage:   (*session).searchImage,
}
