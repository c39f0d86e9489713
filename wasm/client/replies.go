package client

import "github.com/vitrine-shop/vitrine/wire"

// replyType is the message type that answers a request of type typ: the
// request's own type, except for the requests the protocol answers with a
// message of their own.
func replyType(typ string) string {
	switch typ {
	case wire.TypeSignal:
		return wire.TypeSignalAck
	case wire.TypeRecsGet:
		return wire.TypeRecsResults
	case wire.TypeSearchImage:
		return wire.TypeSearchResults
	}
	return typ
}
