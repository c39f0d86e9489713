package glb

import (
	"encoding/binary"
	"fmt"
	"math"
)

// semantic is a vertex attribute the decoder reads.
type semantic int

const (
	semPosition semantic = iota
	semNormal
	semTangent
	semTexCoord
	semColor
)

func (s semantic) String() string {
	return [...]string{"POSITION", "NORMAL", "TANGENT", "TEXCOORD", "COLOR"}[s]
}

// attrData is a checked vertex attribute accessor, ready to read.
type attrData struct {
	index  int // accessor index, for messages
	ac     accessor
	data   []byte
	stride int
	stored int // components per element in the file
	out    int // components per element read: COLOR as RGB gains alpha
}

func (a attrData) count() int { return a.ac.Count }

// attribute checks accessor i as the vertex attribute sem: its type, and
// its component type against what glTF 2.0 allows and, when the document
// uses KHR_mesh_quantization, what that extension adds:
//
//	POSITION   VEC3       float; byte, ubyte, short, ushort (normalized or not)
//	NORMAL     VEC3       float; byte, short normalized
//	TANGENT    VEC4       float; byte, short normalized
//	TEXCOORD_n VEC2       float; byte, ubyte, short, ushort (normalized or not)
//	COLOR_n    VEC3/VEC4  float; ubyte, ushort normalized
//
// Integers that are not normalized need the extension. Normalized
// integer positions and signed normalized texture coordinates, which the
// decoder has always read, are accepted without it.
func (d *decoder) attribute(i int, sem semantic) (attrData, error) {
	want := "" // COLOR is VEC3 or VEC4, checked below
	switch sem {
	case semPosition, semNormal:
		want = "VEC3"
	case semTangent:
		want = "VEC4"
	case semTexCoord:
		want = "VEC2"
	}
	ac, data, _, stride, err := d.accessorBytes(i, want)
	if err != nil {
		return attrData{}, err
	}
	a := attrData{index: i, ac: ac, data: data, stride: stride, stored: typeComponents[ac.Type]}
	a.out = a.stored
	if sem == semColor {
		if ac.Type != "VEC3" && ac.Type != "VEC4" {
			return a, fmt.Errorf("%w: accessor %d is %s, want VEC3 or VEC4", ErrInvalid, i, truncate(ac.Type))
		}
		a.out = 4
	}
	if ac.ComponentType == compFloat {
		return a, nil
	}
	integer := ac.ComponentType == compByte || ac.ComponentType == compUnsignedByte ||
		ac.ComponentType == compShort || ac.ComponentType == compUnsignedShort
	signed := ac.ComponentType == compByte || ac.ComponentType == compShort
	var ok bool
	switch sem {
	case semPosition, semTexCoord:
		ok = integer && (ac.Normalized || d.quantized)
	case semNormal, semTangent:
		ok = signed && ac.Normalized
	case semColor:
		ok = !signed && integer && ac.Normalized
	}
	if !ok {
		form := "unnormalized"
		if ac.Normalized {
			form = "normalized"
		}
		why := ""
		if integer && !ac.Normalized && (sem == semPosition || sem == semTexCoord) {
			why = " without " + extMeshQuantization
		}
		return a, fmt.Errorf("%w: accessor %d: %s as %s %s is not allowed%s", ErrInvalid, i, sem, form, componentName(ac.ComponentType), why)
	}
	return a, nil
}

// read converts the attribute to floats, a.out components per element:
// normalized integers as the glTF spec maps them (signed ones clamped at
// −1), other integers as their values.
func (a attrData) read() ([]float32, error) {
	le := binary.LittleEndian
	cs := componentSize[a.ac.ComponentType]
	out := make([]float32, a.ac.Count*a.out)
	for e := 0; e < a.ac.Count; e++ {
		base := e * a.stride
		dst := out[e*a.out : (e+1)*a.out]
		for k := 0; k < a.stored; k++ {
			b := a.data[base+k*cs:]
			var v float32
			switch a.ac.ComponentType {
			case compFloat:
				v = math.Float32frombits(le.Uint32(b))
				if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
					return nil, fmt.Errorf("%w: accessor %d element %d is not finite", ErrInvalid, a.index, e)
				}
			case compUnsignedByte:
				v = float32(b[0])
				if a.ac.Normalized {
					v /= 255
				}
			case compByte:
				v = float32(int8(b[0]))
				if a.ac.Normalized {
					v = max(v/127, -1)
				}
			case compUnsignedShort:
				v = float32(le.Uint16(b))
				if a.ac.Normalized {
					v /= 65535
				}
			case compShort:
				v = float32(int16(le.Uint16(b)))
				if a.ac.Normalized {
					v = max(v/32767, -1)
				}
			default:
				return nil, fmt.Errorf("%w: accessor %d component type %d", ErrInvalid, a.index, a.ac.ComponentType)
			}
			dst[k] = v
		}
		if a.stored < a.out {
			dst[a.out-1] = 1 // opaque RGB colour
		}
	}
	return out, nil
}

func componentName(comp int) string {
	switch comp {
	case compByte:
		return "byte"
	case compUnsignedByte:
		return "unsigned byte"
	case compShort:
		return "short"
	case compUnsignedShort:
		return "unsigned short"
	case compUnsignedInt:
		return "unsigned int"
	case compFloat:
		return "float"
	}
	return fmt.Sprintf("component type %d", comp)
}
