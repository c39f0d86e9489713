// Package wire is the contract between the Vitrine server and its clients:
// the vitrine.v1 WebSocket protocol's envelopes, message bodies, binary
// stream frames, error codes and limits.
//
// It imports only the standard library so that the server and the
// WebAssembly viewer compile the same definitions. Unknown JSON fields are
// tolerated on decode; error codes are only ever appended.
//
// # Version history
//
//   - 1: hello, catalog.list, catalog.get, model.open/model.meta/model.done
//     with binary chunk frames, model.cancel, error. Levels of detail
//     (model.open "lod", model.meta "lod" and "lods") were added as optional
//     fields without a version change: old clients get level 0.
//     place.measure/fit/pose/tryon (sizing), signal/signal.ack, recs.get/
//     recs.results, privacy.export, privacy.erase and consent.update were
//     added as new message types, which older servers answer with
//     unknown_type.
package wire

// Version is the protocol version spoken by this package. It is an integer
// that only grows; the history is in the package comment.
const Version = 1

// Subprotocol is the WebSocket subprotocol name negotiated on GET /ws.
const Subprotocol = "vitrine.v1"

// Message types carried in Envelope.Type.
const (
	TypeHello       = "hello"
	TypeError       = "error"
	TypeCatalogList = "catalog.list"
	TypeCatalogGet  = "catalog.get"
	TypeModelOpen   = "model.open"
	TypeModelMeta   = "model.meta"
	TypeModelDone   = "model.done"
	TypeModelCancel = "model.cancel"
)
