package segnet

import (
	"encoding/binary"
	"fmt"
	"math"
)

// The weights blob is
//
//	"VSEG" | version uint32 | In E1 E2 E4 Up1 Up2 uint32 | count uint32 |
//	count float32 parameters
//
// all little-endian, the parameters in layer order (e1, e2, e3, e4, c1,
// c2, c3, u1, u2, out), each layer's weights ([out][in][3][3]) then its
// biases.
const (
	blobMagic   = "VSEG"
	blobVersion = 1
	// blobHeader is the length of everything before the parameters.
	blobHeader = 4 + 4 + 6*4 + 4
)

// MarshalBinary encodes the network's widths and weights.
func (n *Net) MarshalBinary() ([]byte, error) {
	if n.workspaces == nil {
		return nil, fmt.Errorf("%w: marshal an empty network", ErrConfig)
	}
	out := make([]byte, 0, blobHeader+4*len(n.params))
	out = append(out, blobMagic...)
	out = binary.LittleEndian.AppendUint32(out, blobVersion)
	c := n.cfg
	for _, v := range []int{c.In, c.E1, c.E2, c.E4, c.Up1, c.Up2} {
		out = binary.LittleEndian.AppendUint32(out, uint32(v))
	}
	out = binary.LittleEndian.AppendUint32(out, uint32(len(n.params)))
	for _, v := range n.params {
		out = binary.LittleEndian.AppendUint32(out, math.Float32bits(v))
	}
	return out, nil
}

// UnmarshalBinary replaces n with the network encoded in data by
// MarshalBinary. It refuses, leaving n unchanged, a blob with another
// magic or version, a width of 0 or above MaxChannels, a parameter count
// that does not match the widths, truncated or trailing bytes, and
// non-finite weights.
func (n *Net) UnmarshalBinary(data []byte) error {
	if len(data) < blobHeader {
		return fmt.Errorf("%w: %d bytes, shorter than the %d-byte header", ErrFormat, len(data), blobHeader)
	}
	if string(data[:4]) != blobMagic {
		return fmt.Errorf("%w: magic %q, want %q", ErrFormat, data[:4], blobMagic)
	}
	if v := binary.LittleEndian.Uint32(data[4:]); v != blobVersion {
		return fmt.Errorf("%w: version %d, want %d", ErrFormat, v, blobVersion)
	}
	var widths [6]int
	for i := range widths {
		v := binary.LittleEndian.Uint32(data[8+4*i:])
		if v < 1 || v > MaxChannels {
			return fmt.Errorf("%w: width %d is %d, want 1..%d", ErrFormat, i, v, MaxChannels)
		}
		widths[i] = int(v)
	}
	cfg := Config{In: widths[0], E1: widths[1], E2: widths[2], E4: widths[3], Up1: widths[4], Up2: widths[5]}
	count := int(binary.LittleEndian.Uint32(data[32:]))
	if want := paramCount(cfg); count != want {
		return fmt.Errorf("%w: %d parameters, want %d for %+v", ErrFormat, count, want, cfg)
	}
	if len(data) != blobHeader+4*count {
		return fmt.Errorf("%w: %d bytes, want %d for %d parameters", ErrFormat, len(data), blobHeader+4*count, count)
	}
	m, err := build(cfg)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrFormat, err)
	}
	body := data[blobHeader:]
	for i := range m.params {
		v := math.Float32frombits(binary.LittleEndian.Uint32(body[4*i:]))
		if !finite(v) {
			return fmt.Errorf("%w: parameter %d is %v", ErrFormat, i, v)
		}
		m.params[i] = v
	}
	m.repack()
	n.cfg, n.params, n.convs = m.cfg, m.params, m.convs
	n.outW, n.outB, n.outWOff, n.outBOff = m.outW, m.outB, m.outWOff, m.outBOff
	n.workspaces = newWorkspacePools()
	return nil
}

// paramCount is the number of parameters of a network with widths cfg,
// computed without allocating it.
func paramCount(cfg Config) int {
	conv := func(cin, cout int) int { return cout*cin*9 + cout }
	return conv(cfg.In, cfg.E1) + conv(cfg.E1, cfg.E2) + conv(cfg.E2, cfg.E2) + conv(cfg.E2, cfg.E4) +
		3*conv(cfg.E4, cfg.E4) + conv(cfg.E4+cfg.E2, cfg.Up1) + conv(cfg.Up1+cfg.E1, cfg.Up2) + cfg.Up2 + 1
}
