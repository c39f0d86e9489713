package wire

import "time"

// Limits the server enforces on every session. Clients should stay inside
// them; the server replies with an error (or closes the session, for frame
// sizes) when they do not.
const (
	// MaxTextFrameBytes bounds one JSON text frame from a client.
	MaxTextFrameBytes = 64 << 10
	// MaxBinaryFrameBytes bounds one binary frame from a client (header
	// included). The server's read limit is the larger of the two frame
	// limits; a frame over it closes the session with code 1009.
	MaxBinaryFrameBytes = FrameHeaderSize + 256<<10
	// ChunkSize is the payload size of every model chunk but the last.
	ChunkSize = 64 << 10
	// MaxIDBytes bounds an envelope's request id.
	MaxIDBytes = 64
	// MaxTypeBytes bounds an envelope's type.
	MaxTypeBytes = 64
	// MaxSKUBytes bounds a product SKU.
	MaxSKUBytes = 64
	// MaxQueryBytes bounds the text query of catalog.list.
	MaxQueryBytes = 200
	// DefaultPageSize is catalog.list's page size when the request names none.
	DefaultPageSize = 24
	// MaxPageSize bounds catalog.list's page size.
	MaxPageSize = 100
	// MaxOpenStreams bounds the model streams one session runs at once.
	MaxOpenStreams = 4
	// MessagesPerSecond is the sustained rate of text messages a session may
	// send; MessageBurst is the bucket size above it.
	MessagesPerSecond = 50
	MessageBurst      = 100
	// MaxSessionBytes bounds a session id sent back in hello.
	MaxSessionBytes = 128
)

// Timings of the connection keep-alive. The server pings every PingPeriod
// and drops a connection that has not answered within PongWait.
const (
	WriteWait  = 10 * time.Second
	PongWait   = 60 * time.Second
	PingPeriod = PongWait * 9 / 10
)

// MaxReadBytes is the read limit the server sets on every connection.
func MaxReadBytes() int64 {
	if MaxBinaryFrameBytes > MaxTextFrameBytes {
		return MaxBinaryFrameBytes
	}
	return MaxTextFrameBytes
}
