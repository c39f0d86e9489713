package wire

import "fmt"

// Code is a machine-readable error code, shared by WebSocket error replies
// and HTTP JSON errors. Codes are only ever appended, never renamed.
type Code string

// Error codes.
const (
	CodeBadRequest         Code = "bad_request"         // malformed or invalid request
	CodeBadJSON            Code = "bad_json"            // not valid JSON, or wrong field types
	CodeUnknownType        Code = "unknown_type"        // message type not known to this server
	CodeUnsupportedVersion Code = "unsupported_version" // client speaks a protocol version we do not
	CodeNotFound           Code = "not_found"           // no such product, stream or session
	CodeNotReady           Code = "not_ready"           // the product has no model yet
	CodeTooLarge           Code = "too_large"           // body, frame or field over its limit
	CodeRateLimited        Code = "rate_limited"        // too many messages; slow down
	CodeUnauthorized       Code = "unauthorized"        // missing or unknown credentials
	CodeForbidden          Code = "forbidden"           // credentials do not allow this
	CodeInvalidGLTF        Code = "invalid_gltf"        // upload is not a well-formed GLB/glTF
	CodeInvalidImage       Code = "invalid_image"       // upload is not an acceptable image
	CodeConflict           Code = "conflict"            // state changed underneath the request
	CodeUnsupportedMedia   Code = "unsupported_media"   // content type not accepted here
	CodeTooManyStreams     Code = "too_many_streams"    // session already runs MaxOpenStreams
	CodeInternal           Code = "internal"            // the server failed; not the client's fault
	CodeUnavailable        Code = "unavailable"         // storage or a dependency is down; retry
	CodeMethodNotAllowed   Code = "method_not_allowed"  // HTTP method not served on this route
)

// Error is the body of an "error" message and of an HTTP error response's
// "error" member. It implements the error interface so handlers can return it.
type Error struct {
	Code    Code     `json:"code"`
	Message string   `json:"message"`
	Details []string `json:"details,omitempty"`
}

func (e *Error) Error() string {
	if len(e.Details) > 0 {
		return fmt.Sprintf("%s: %s (%d details)", e.Code, e.Message, len(e.Details))
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Message)
}

// Errorf builds an *Error with a formatted message.
func Errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}
