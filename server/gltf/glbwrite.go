package gltf

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
)

// GLB framing constants (glTF 2.0 §4.4).
const (
	glbMagic      = 0x46546C67 // "glTF"
	glbVersion    = 2
	chunkJSON     = 0x4E4F534A // "JSON"
	chunkBIN      = 0x004E4942 // "BIN\0"
	glbHeaderSize = 12
	chunkHeader   = 8
)

// WriteGLB encodes doc and its binary buffer as a GLB container. The JSON
// chunk is padded with spaces and the BIN chunk with zeros to 4-byte
// boundaries; when bin is non-empty, doc.Buffers[0] must describe it (no URI,
// byteLength = len(bin)).
func WriteGLB(doc *Document, bin []byte) ([]byte, error) {
	if len(bin) > 0 {
		if len(doc.Buffers) == 0 || doc.Buffers[0].URI != "" || doc.Buffers[0].ByteLength != len(bin) {
			return nil, fmt.Errorf("gltf: write GLB: buffers[0] must be the %d-byte BIN chunk with no uri", len(bin))
		}
	}
	js, err := json.Marshal(doc)
	if err != nil {
		return nil, fmt.Errorf("gltf: write GLB: encode JSON: %w", err)
	}
	jsonLen := pad4(len(js))
	binLen := pad4(len(bin))
	total := glbHeaderSize + chunkHeader + jsonLen
	if len(bin) > 0 {
		total += chunkHeader + binLen
	}
	var out bytes.Buffer
	out.Grow(total)
	le := binary.LittleEndian
	var hdr [12]byte
	le.PutUint32(hdr[0:], glbMagic)
	le.PutUint32(hdr[4:], glbVersion)
	le.PutUint32(hdr[8:], uint32(total))
	out.Write(hdr[:])
	le.PutUint32(hdr[0:], uint32(jsonLen))
	le.PutUint32(hdr[4:], chunkJSON)
	out.Write(hdr[:8])
	out.Write(js)
	out.Write(bytes.Repeat([]byte{' '}, jsonLen-len(js)))
	if len(bin) > 0 {
		le.PutUint32(hdr[0:], uint32(binLen))
		le.PutUint32(hdr[4:], chunkBIN)
		out.Write(hdr[:8])
		out.Write(bin)
		out.Write(make([]byte, binLen-len(bin)))
	}
	return out.Bytes(), nil
}

func pad4(n int) int { return (n + 3) &^ 3 }
