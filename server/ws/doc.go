// Package ws serves the vitrine.v1 WebSocket protocol on GET /ws: the
// shopper's viewer says hello, browses the catalog and streams product
// models over one connection.
//
// # Shape
//
// A Hub owns the set of live connections and the table of remembered
// sessions. Each connection runs a read pump and a write pump, as in
// gorilla/websocket's chat example: the read pump is the only reader and
// dispatches every message in order; the write pump is the only writer of
// replies, binary chunk frames, pings and server-initiated close frames,
// each under a write deadline of wire.WriteWait. (gorilla itself answers
// pings, echoes a peer's close frame and sends close 1009 for an oversize
// frame through its concurrency-safe WriteControl.) The read limit is
// wire.MaxReadBytes; a frame over it closes the connection with close code
// 1009 "message too big". A connection that has not answered a ping within
// wire.PongWait is dropped; the server pings every wire.PingPeriod.
//
// Every model stream runs in its own goroutine and pushes frames into the
// connection's bounded send queue, blocking there when the client reads
// slowly: back-pressure reaches the blob reader and memory stays bounded.
// A stream never blocks the read pump; only a full queue does, as it does
// every producer.
//
// # Protocol decisions
//
//   - Every failed text or binary message is answered with an "error"
//     message echoing the request id (absent when the frame had no readable
//     id) and the session lives on.
//   - hello must come first; anything else before it is answered with
//     bad_request "send hello first" (an unknown type is still
//     unknown_type). hello may be repeated, for example after
//     unsupported_version, or to switch to another session.
//   - A hello carrying a known, unexpired session id resumes it (consent is
//     kept unless the hello names one); an unknown or expired id silently
//     starts a fresh session. The hub remembers at most Config.MaxSessions
//     sessions for Config.SessionTTL after their last use, evicting expired
//     ones first and then the least recently used.
//   - catalog.list: a limit of 0 means wire.DefaultPageSize; a limit above
//     wire.MaxPageSize is clamped to it; a negative limit or offset, an
//     offset above MaxListOffset or a query over wire.MaxQueryBytes is
//     answered with an error.
//   - model.open answers model.meta (echoing the request id), then binary
//     chunk frames, then model.done (echoing the id). If the stored model
//     cannot be read mid-stream the stream ends with an error echoing the
//     id instead of model.done. A pinned version that differs from the
//     product's current one streams the current version from chunk 0.
//   - model.cancel stops a running stream and is answered with a
//     "model.cancel" message carrying the stream id; no frame of that
//     stream follows the answer.
//   - Rate limiting: each connection has a token bucket of
//     wire.MessageBurst messages refilled at wire.MessagesPerSecond; a
//     message without a token is answered with rate_limited. A client that
//     sends more than wire.MessageBurst further messages in a row without
//     a token is closed with close code 1008 "policy violation".
//   - Shutdown refuses new connections with HTTP 503, sends close 1001
//     "going away" to every session after the frames already queued, and
//     waits for every session goroutine.
package ws
