package signals

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
)

// A WAL segment is a sequence of frames, one per group-committed batch:
//
//	offset size field
//	0      4    payload length n, little-endian uint32
//	4      4    CRC-32C (Castagnoli) of the payload, little-endian
//	8      n    payload: a walBatch as JSON
//
// A crash can leave a torn tail: a short header, a short payload or a
// payload whose checksum does not match. Recovery keeps the longest prefix
// of whole, valid frames and truncates the rest.
const frameHeaderBytes = 8

// maxFrameBytes bounds one frame's payload. A batch holds at most
// wire.MaxEventsPerBatch events of bounded size, so a real frame is far
// smaller; a larger length can only be a torn or corrupt header.
const maxFrameBytes = 4 << 20

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// errTorn reports a frame that is incomplete or fails its checksum.
var errTorn = errors.New("signals: torn or corrupt WAL frame")

// walBatch is the payload of one frame: the records of one appended batch
// that were not already stored, and their deduplication tokens (parallel to
// Records). Tokens are opaque hashes, never identifiers.
type walBatch struct {
	Tokens  []uint64 `json:"k"`
	Records []Record `json:"r"`
}

// appendFrame appends one frame holding payload to dst.
func appendFrame(dst, payload []byte) []byte {
	dst = binary.LittleEndian.AppendUint32(dst, uint32(len(payload)))
	dst = binary.LittleEndian.AppendUint32(dst, crc32.Checksum(payload, castagnoli))
	return append(dst, payload...)
}

// decodeFrame reads the frame at the start of b. It returns the payload
// and the frame's total size, or errTorn when b does not start with a whole,
// valid frame.
func decodeFrame(b []byte) (payload []byte, size int, err error) {
	if len(b) < frameHeaderBytes {
		return nil, 0, fmt.Errorf("%w: %d header bytes of %d", errTorn, len(b), frameHeaderBytes)
	}
	n := binary.LittleEndian.Uint32(b[0:4])
	sum := binary.LittleEndian.Uint32(b[4:8])
	if n > maxFrameBytes {
		return nil, 0, fmt.Errorf("%w: length %d over the limit of %d", errTorn, n, maxFrameBytes)
	}
	if uint64(len(b)-frameHeaderBytes) < uint64(n) {
		return nil, 0, fmt.Errorf("%w: %d payload bytes of %d", errTorn, len(b)-frameHeaderBytes, n)
	}
	payload = b[frameHeaderBytes : frameHeaderBytes+int(n)]
	if crc32.Checksum(payload, castagnoli) != sum {
		return nil, 0, fmt.Errorf("%w: checksum mismatch", errTorn)
	}
	return payload, frameHeaderBytes + int(n), nil
}

// scanFrames decodes every whole frame at the start of data, calling fn
// with each batch. It returns the length of the valid prefix; valid <
// len(data) means the rest is a torn tail (or corruption).
func scanFrames(data []byte, fn func(walBatch) error) (valid int, err error) {
	for valid < len(data) {
		payload, size, ferr := decodeFrame(data[valid:])
		if ferr != nil {
			return valid, nil
		}
		var b walBatch
		if jerr := json.Unmarshal(payload, &b); jerr != nil || len(b.Tokens) != len(b.Records) {
			// The checksum matched, so this is not a torn write: a writer
			// bug or deliberate tampering. Treat it as the end of the log.
			return valid, nil
		}
		if fn != nil {
			if err := fn(b); err != nil {
				return valid, err
			}
		}
		valid += size
	}
	return valid, nil
}

// readSegment reads a whole segment file and calls fn for each valid batch.
// It does not modify the file; the returned valid length tells the caller
// whether a torn tail follows.
func readSegment(path string, fn func(walBatch) error) (valid, total int, err error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return 0, 0, fmt.Errorf("signals: reading segment %s: %w", path, err)
	}
	valid, err = scanFrames(data, fn)
	return valid, len(data), err
}

// recoverSegment reads a segment after a crash, truncating a torn tail so
// that later appends (or shipping) see only whole frames.
func recoverSegment(path string, fn func(walBatch) error) (valid, dropped int, err error) {
	valid, total, err := readSegment(path, fn)
	if err != nil {
		return 0, 0, err
	}
	if valid == total {
		return valid, 0, nil
	}
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		return 0, 0, fmt.Errorf("signals: opening %s to truncate its torn tail: %w", path, err)
	}
	defer f.Close()
	if err := f.Truncate(int64(valid)); err != nil {
		return 0, 0, fmt.Errorf("signals: truncating torn tail of %s at %d: %w", path, valid, err)
	}
	if err := f.Sync(); err != nil {
		return 0, 0, fmt.Errorf("signals: syncing %s after truncation: %w", path, err)
	}
	return valid, total - valid, nil
}

// limitedReadAll reads r to its end, failing when it holds more than limit
// bytes.
func limitedReadAll(r io.Reader, limit int64) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("more than %d bytes", limit)
	}
	return data, nil
}
