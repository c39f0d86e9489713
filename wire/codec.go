package wire

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"unicode/utf8"
)

// Envelope is the JSON object every text frame carries. A reply echoes the
// request's ID; an error reply to a frame whose id could not be read has
// no "id" member.
type Envelope struct {
	Type string          `json:"type"`
	ID   string          `json:"id,omitempty"`
	Body json.RawMessage `json:"body,omitempty"`
}

// DecodeEnvelope parses one text frame. It rejects frames over
// MaxTextFrameBytes, invalid JSON, a missing or oversize type, and an
// oversize id. Unknown top-level fields are ignored.
func DecodeEnvelope(frame []byte) (Envelope, *Error) {
	var env Envelope
	if len(frame) > MaxTextFrameBytes {
		return env, Errorf(CodeTooLarge, "text frame is %d bytes; the limit is %d", len(frame), MaxTextFrameBytes)
	}
	if !utf8.Valid(frame) {
		return env, Errorf(CodeBadJSON, "text frame is not valid UTF-8")
	}
	trimmed := bytes.TrimSpace(frame)
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return env, Errorf(CodeBadJSON, "text frame must be a JSON object")
	}
	if err := json.Unmarshal(trimmed, &env); err != nil {
		return Envelope{}, Errorf(CodeBadJSON, "envelope: %v", err)
	}
	if len(env.ID) > MaxIDBytes {
		return Envelope{}, Errorf(CodeTooLarge, "envelope id is %d bytes; the limit is %d", len(env.ID), MaxIDBytes)
	}
	if env.Type == "" {
		return env, Errorf(CodeBadRequest, "envelope has no type")
	}
	if len(env.Type) > MaxTypeBytes {
		return env, Errorf(CodeTooLarge, "envelope type is %d bytes; the limit is %d", len(env.Type), MaxTypeBytes)
	}
	if b := bytes.TrimSpace(env.Body); len(b) > 0 && b[0] != '{' && !bytes.Equal(b, []byte("null")) {
		return env, Errorf(CodeBadJSON, "envelope body must be a JSON object")
	}
	return env, nil
}

// DecodeBody unmarshals an envelope body into v. An absent or null body
// leaves v at its zero value. Unknown fields are tolerated.
func DecodeBody(env Envelope, v any) *Error {
	b := bytes.TrimSpace(env.Body)
	if len(b) == 0 || bytes.Equal(b, []byte("null")) {
		return nil
	}
	if err := json.Unmarshal(b, v); err != nil {
		var typeErr *json.UnmarshalTypeError
		if errors.As(err, &typeErr) {
			return Errorf(CodeBadJSON, "%s body: field %q must be %s, not %s", env.Type, typeErr.Field, typeErr.Type, typeErr.Value)
		}
		return Errorf(CodeBadJSON, "%s body: %v", env.Type, err)
	}
	return nil
}

// Encode builds a text frame for a message of type typ with the given body.
func Encode(typ, id string, body any) ([]byte, error) {
	env := Envelope{Type: typ, ID: id}
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return nil, fmt.Errorf("wire: encode %s body: %w", typ, err)
		}
		env.Body = b
	}
	frame, err := json.Marshal(env)
	if err != nil {
		return nil, fmt.Errorf("wire: encode %s envelope: %w", typ, err)
	}
	return frame, nil
}

// Binary frames start with a fixed header:
//
//	offset size field
//	0      1    kind (FrameModelChunk, FrameUploadChunk)
//	1      4    stream id, big-endian uint32
//	5      4    chunk index within the stream, big-endian uint32
//	9      …    payload
const FrameHeaderSize = 9

// Binary frame kinds.
const (
	// FrameModelChunk carries a chunk of a model, server to client.
	FrameModelChunk byte = 1
	// FrameUploadChunk carries a chunk of an upload, client to server.
	FrameUploadChunk byte = 2
)

// FrameHeader names the stream and position of a binary frame's payload.
type FrameHeader struct {
	Kind   byte
	Stream uint32
	Index  uint32
}

// AppendFrame appends a binary frame with header h and payload to dst.
func AppendFrame(dst []byte, h FrameHeader, payload []byte) []byte {
	dst = append(dst, h.Kind)
	dst = binary.BigEndian.AppendUint32(dst, h.Stream)
	dst = binary.BigEndian.AppendUint32(dst, h.Index)
	return append(dst, payload...)
}

// DecodeFrame splits a binary frame into its header and payload. The
// payload aliases frame.
func DecodeFrame(frame []byte) (FrameHeader, []byte, *Error) {
	if len(frame) < FrameHeaderSize {
		return FrameHeader{}, nil, Errorf(CodeBadRequest, "binary frame is %d bytes; the header alone is %d", len(frame), FrameHeaderSize)
	}
	h := FrameHeader{
		Kind:   frame[0],
		Stream: binary.BigEndian.Uint32(frame[1:5]),
		Index:  binary.BigEndian.Uint32(frame[5:9]),
	}
	if h.Kind != FrameModelChunk && h.Kind != FrameUploadChunk {
		return FrameHeader{}, nil, Errorf(CodeBadRequest, "binary frame kind %d is unknown", h.Kind)
	}
	return h, frame[FrameHeaderSize:], nil
}

// ChunkCount is the number of ChunkSize chunks a model of size bytes takes.
func ChunkCount(size int64) int {
	if size <= 0 {
		return 0
	}
	return int((size + ChunkSize - 1) / ChunkSize)
}
