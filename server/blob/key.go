package blob

import (
	"fmt"
	"mime"
	"path"
	"strings"
	"unicode"
	"unicode/utf8"
)

// ValidateKey reports whether key is a well-formed object key: a non-empty,
// valid UTF-8, slash-separated relative path of at most MaxKeyBytes bytes
// whose segments are neither empty, "." nor "..", with no backslash and no
// control characters. Every Store implementation calls it before touching
// storage, so a key that passes is safe to join under a filesystem root and
// means the same object in every store. The error wraps ErrInvalidKey and
// names the reason.
func ValidateKey(key string) error {
	if key == "" {
		return fmt.Errorf("%w: empty", ErrInvalidKey)
	}
	if len(key) > MaxKeyBytes {
		return fmt.Errorf("%w: %d bytes, over the limit of %d", ErrInvalidKey, len(key), MaxKeyBytes)
	}
	if err := checkChars(key); err != nil {
		return err
	}
	if key[0] == '/' {
		return fmt.Errorf("%w: %q starts with '/'", ErrInvalidKey, key)
	}
	for seg := range strings.SplitSeq(key, "/") {
		if err := checkSegment(key, seg); err != nil {
			return err
		}
	}
	return nil
}

// ValidatePrefix reports whether prefix can start a valid key, as List
// expects. The empty prefix (everything) is valid, and so is a trailing '/'.
// Every complete segment (one followed by '/') must be a valid key segment;
// the last, partial segment may be anything a segment can start with, so
// "a/." (matching "a/.hidden") is valid but "a/./" is not. The error wraps
// ErrInvalidKey and names the reason.
func ValidatePrefix(prefix string) error {
	if prefix == "" {
		return nil
	}
	if len(prefix) > MaxKeyBytes {
		return fmt.Errorf("%w: prefix of %d bytes, over the limit of %d", ErrInvalidKey, len(prefix), MaxKeyBytes)
	}
	if err := checkChars(prefix); err != nil {
		return err
	}
	if prefix[0] == '/' {
		return fmt.Errorf("%w: prefix %q starts with '/'", ErrInvalidKey, prefix)
	}
	last := strings.LastIndexByte(prefix, '/')
	if last < 0 {
		return nil // a single partial segment
	}
	for seg := range strings.SplitSeq(prefix[:last], "/") {
		if err := checkSegment(prefix, seg); err != nil {
			return err
		}
	}
	return nil
}

// checkChars rejects invalid UTF-8, backslashes and control characters
// (C0, DEL and C1), which no key may contain.
func checkChars(s string) error {
	if !utf8.ValidString(s) {
		return fmt.Errorf("%w: %q is not valid UTF-8", ErrInvalidKey, s)
	}
	for i, r := range s {
		switch {
		case r == '\\':
			return fmt.Errorf("%w: %q has a backslash at byte %d", ErrInvalidKey, s, i)
		case unicode.IsControl(r):
			return fmt.Errorf("%w: %q has control character %U at byte %d", ErrInvalidKey, s, r, i)
		}
	}
	return nil
}

// checkSegment rejects the segments that would make a key ambiguous or let
// it escape a root: empty (from "//" or a trailing '/'), "." and "..".
func checkSegment(key, seg string) error {
	switch seg {
	case "":
		return fmt.Errorf("%w: %q has an empty segment", ErrInvalidKey, key)
	case ".", "..":
		return fmt.Errorf("%w: %q has a %q segment", ErrInvalidKey, key, seg)
	}
	return nil
}

// DefaultContentType is the content type of an object whose type cannot be
// told from its key.
const DefaultContentType = "application/octet-stream"

// contentTypes pins the types of the extensions Vitrine stores most, so they
// do not depend on the host's mime.types files.
var contentTypes = map[string]string{
	".glb":  "model/gltf-binary",
	".gltf": "model/gltf+json",
	".bin":  "application/octet-stream",
	".ktx2": "image/ktx2",
	".png":  "image/png",
	".jpg":  "image/jpeg",
	".jpeg": "image/jpeg",
	".webp": "image/webp",
	".json": "application/json",
}

// ContentTypeFor returns the content type implied by key's extension: a
// fixed type for the glTF, image and JSON extensions Vitrine stores, else
// mime.TypeByExtension, else DefaultContentType. Extensions are matched
// case-insensitively. Stores use it where no explicit type is given (the
// filesystem store always, since it keeps no metadata).
func ContentTypeFor(key string) string {
	ext := strings.ToLower(path.Ext(key))
	if ext == "" {
		return DefaultContentType
	}
	if t, ok := contentTypes[ext]; ok {
		return t
	}
	if t := mime.TypeByExtension(ext); t != "" {
		return t
	}
	return DefaultContentType
}
