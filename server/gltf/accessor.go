package gltf

import (
	"encoding/binary"
	"fmt"
	"maps"
	"math"
	"slices"
)

// maxReadElements guards the Read functions on assets that did not come
// from Parse (whose accessor counts are already bounded by Limits).
const maxReadElements = 1 << 27

// accessorLayout locates an accessor's elements in BIN.
type accessorLayout struct {
	acc       *Accessor
	comps     int
	rows      int // components per column (comps for vectors)
	compSize  int
	elemSize  int
	stride    int
	colStride int
	data      []byte // from the accessor's first byte; nil without a bufferView
}

// layout resolves accessor i against the asset's single BIN buffer, checking
// every range so that reading cannot go out of bounds even on an asset that
// was not validated.
func (a *Asset) layout(i int) (*accessorLayout, error) {
	if a == nil || a.Doc == nil {
		return nil, fmt.Errorf("gltf: accessor %d: asset has no document", i)
	}
	if i < 0 || i >= len(a.Doc.Accessors) {
		return nil, fmt.Errorf("gltf: accessor %d does not exist (there are %d)", i, len(a.Doc.Accessors))
	}
	acc := &a.Doc.Accessors[i]
	l := &accessorLayout{acc: acc, comps: componentCount(acc.Type), compSize: componentSize(acc.ComponentType)}
	if l.comps == 0 || l.compSize == 0 {
		return nil, fmt.Errorf("gltf: accessor %d: invalid type %q / componentType %d", i, acc.Type, acc.ComponentType)
	}
	if acc.Count < 0 || acc.Count > maxReadElements {
		return nil, fmt.Errorf("gltf: accessor %d: count %d out of range", i, acc.Count)
	}
	l.elemSize = elementSize(acc.ComponentType, acc.Type)
	l.rows = l.comps
	if rows := matrixRows(acc.Type); rows > 0 {
		l.rows = rows
		l.colStride = pad4(rows * l.compSize)
	}
	l.stride = l.elemSize
	if acc.BufferView == nil {
		return l, nil
	}
	view, err := a.viewBytes(*acc.BufferView)
	if err != nil {
		return nil, fmt.Errorf("gltf: accessor %d: %w", i, err)
	}
	if s := a.Doc.BufferViews[*acc.BufferView].ByteStride; s != 0 {
		l.stride = s
	}
	if l.stride < l.elemSize {
		return nil, fmt.Errorf("gltf: accessor %d: byteStride %d is smaller than the %d-byte element", i, l.stride, l.elemSize)
	}
	if acc.ByteOffset < 0 || acc.ByteOffset > len(view) {
		return nil, fmt.Errorf("gltf: accessor %d: byteOffset %d outside its %d-byte bufferView", i, acc.ByteOffset, len(view))
	}
	if acc.Count > 0 {
		if end := acc.ByteOffset + l.stride*(acc.Count-1) + l.elemSize; end > len(view) {
			return nil, fmt.Errorf("gltf: accessor %d reaches byte %d of a %d-byte bufferView", i, end, len(view))
		}
	}
	l.data = view[acc.ByteOffset:]
	return l, nil
}

// viewBytes returns bufferView i's bytes within BIN.
func (a *Asset) viewBytes(i int) ([]byte, error) {
	if i < 0 || i >= len(a.Doc.BufferViews) {
		return nil, fmt.Errorf("bufferView %d does not exist (there are %d)", i, len(a.Doc.BufferViews))
	}
	bv := a.Doc.BufferViews[i]
	if bv.Buffer != 0 {
		return nil, fmt.Errorf("bufferView %d uses buffer %d; a parsed asset has only buffer 0", i, bv.Buffer)
	}
	if bv.ByteOffset < 0 || bv.ByteLength < 0 || bv.ByteOffset > len(a.BIN) || bv.ByteLength > len(a.BIN)-bv.ByteOffset {
		return nil, fmt.Errorf("bufferView %d (bytes %d+%d) lies outside the %d-byte BIN buffer", i, bv.ByteOffset, bv.ByteLength, len(a.BIN))
	}
	return a.BIN[bv.ByteOffset : bv.ByteOffset+bv.ByteLength], nil
}

// component reads component c of element e as a float64 (raw, not
// normalised). The layout must have data.
func (l *accessorLayout) component(e, c int) float64 {
	off := e * l.stride
	if l.colStride > 0 {
		off += (c/l.rows)*l.colStride + (c%l.rows)*l.compSize
	} else {
		off += c * l.compSize
	}
	return readComponent(l.data[off:], l.acc.ComponentType)
}

func readComponent(b []byte, componentType int) float64 {
	le := binary.LittleEndian
	switch componentType {
	case ComponentByte:
		return float64(int8(b[0]))
	case ComponentUnsignedByte:
		return float64(b[0])
	case ComponentShort:
		return float64(int16(le.Uint16(b)))
	case ComponentUnsignedShort:
		return float64(le.Uint16(b))
	case ComponentUnsignedInt:
		return float64(le.Uint32(b))
	case ComponentFloat:
		return float64(math.Float32frombits(le.Uint32(b)))
	}
	return 0
}

// normalize maps a raw integer component to [-1, 1] or [0, 1] as glTF
// specifies for normalized accessors.
func normalize(x float64, componentType int) float64 {
	switch componentType {
	case ComponentByte:
		return math.Max(x/127, -1)
	case ComponentUnsignedByte:
		return x / 255
	case ComponentShort:
		return math.Max(x/32767, -1)
	case ComponentUnsignedShort:
		return x / 65535
	}
	return x
}

// sparseOverlay holds a sparse accessor's substitutions.
type sparseOverlay struct {
	indices []uint32
	values  *accessorLayout
}

func (a *Asset) sparseOverlay(i int, l *accessorLayout) (*sparseOverlay, error) {
	s, err := parseSparse(l.acc.Sparse)
	if err != nil {
		return nil, fmt.Errorf("gltf: accessor %d: sparse: %w", i, err)
	}
	if s == nil {
		return nil, nil
	}
	if s.Count < 1 || s.Count > l.acc.Count || s.Indices.BufferView == nil || s.Values.BufferView == nil {
		return nil, fmt.Errorf("gltf: accessor %d: malformed sparse object", i)
	}
	ics := componentSize(s.Indices.ComponentType)
	if ics == 0 || s.Indices.ComponentType == ComponentByte || s.Indices.ComponentType == ComponentShort || s.Indices.ComponentType == ComponentFloat {
		return nil, fmt.Errorf("gltf: accessor %d: sparse indices componentType %d is invalid", i, s.Indices.ComponentType)
	}
	iview, err := a.viewBytes(*s.Indices.BufferView)
	if err != nil {
		return nil, fmt.Errorf("gltf: accessor %d: sparse indices: %w", i, err)
	}
	if s.Indices.ByteOffset < 0 || s.Indices.ByteOffset > len(iview) || s.Count > (len(iview)-s.Indices.ByteOffset)/ics {
		return nil, fmt.Errorf("gltf: accessor %d: sparse indices do not fit bufferView %d", i, *s.Indices.BufferView)
	}
	vview, err := a.viewBytes(*s.Values.BufferView)
	if err != nil {
		return nil, fmt.Errorf("gltf: accessor %d: sparse values: %w", i, err)
	}
	if s.Values.ByteOffset < 0 || s.Values.ByteOffset > len(vview) || s.Count > (len(vview)-s.Values.ByteOffset)/l.elemSize {
		return nil, fmt.Errorf("gltf: accessor %d: sparse values do not fit bufferView %d", i, *s.Values.BufferView)
	}
	o := &sparseOverlay{indices: make([]uint32, s.Count)}
	prev := int64(-1)
	for k := range o.indices {
		x := readComponent(iview[s.Indices.ByteOffset+k*ics:], s.Indices.ComponentType)
		if int64(x) <= prev || int(x) >= l.acc.Count {
			return nil, fmt.Errorf("gltf: accessor %d: sparse index %d (%v) is not increasing or not below count %d", i, k, x, l.acc.Count)
		}
		prev = int64(x)
		o.indices[k] = uint32(x)
	}
	values := *l
	values.stride = l.elemSize
	values.data = vview[s.Values.ByteOffset:]
	o.values = &values
	return o, nil
}

// walk calls fn for each element of accessor i in order with its component
// values (normalised when normalized is true and the accessor says so),
// applying sparse substitutions; accessors without a bufferView read as
// zeros. fn's slice is reused between calls; returning false stops.
func (a *Asset) walk(i int, normalized bool, fn func(e int, v []float64) bool) error {
	l, err := a.layout(i)
	if err != nil {
		return err
	}
	overlay, err := a.sparseOverlay(i, l)
	if err != nil {
		return err
	}
	vals := make([]float64, l.comps)
	next := 0
	for e := 0; e < l.acc.Count; e++ {
		src, at := l, e
		if overlay != nil && next < len(overlay.indices) && int(overlay.indices[next]) == e {
			src, at = overlay.values, next
			next++
		}
		if src.data == nil {
			clear(vals)
		} else {
			for c := range vals {
				vals[c] = src.component(at, c)
			}
		}
		if normalized && l.acc.Normalized {
			for c := range vals {
				vals[c] = normalize(vals[c], l.acc.ComponentType)
			}
		}
		if !fn(e, vals) {
			break
		}
	}
	return nil
}

func (a *Asset) checkType(i int, want string) error {
	if i < 0 || a == nil || a.Doc == nil || i >= len(a.Doc.Accessors) {
		return fmt.Errorf("gltf: accessor %d does not exist", i)
	}
	if got := a.Doc.Accessors[i].Type; got != want {
		return fmt.Errorf("gltf: accessor %d is %s, not %s", i, got, want)
	}
	return nil
}

// readFloats reads an accessor of type typ into fixed-size arrays.
func readFloats[T ~[2]float32 | ~[3]float32 | ~[4]float32](a *Asset, i int, typ string, n int) ([]T, error) {
	if err := a.checkType(i, typ); err != nil {
		return nil, err
	}
	out := make([]T, 0, min(max(a.Doc.Accessors[i].Count, 0), maxReadElements))
	err := a.walk(i, true, func(_ int, v []float64) bool {
		var t T
		for c := 0; c < n; c++ {
			t[c] = float32(v[c])
		}
		out = append(out, t)
		return true
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// ReadVec2 reads a VEC2 accessor (e.g. TEXCOORD_0), honouring byteStride,
// byte offsets and sparse data; normalized integer components are mapped to
// [0, 1] or [-1, 1], other integers are converted as they are.
func (a *Asset) ReadVec2(accessor int) ([][2]float32, error) {
	return readFloats[[2]float32](a, accessor, TypeVec2, 2)
}

// ReadVec3 reads a VEC3 accessor (POSITION, NORMAL) like ReadVec2.
func (a *Asset) ReadVec3(accessor int) ([][3]float32, error) {
	return readFloats[[3]float32](a, accessor, TypeVec3, 3)
}

// ReadVec4 reads a VEC4 accessor (TANGENT, COLOR_0, WEIGHTS_0) like ReadVec2.
func (a *Asset) ReadVec4(accessor int) ([][4]float32, error) {
	return readFloats[[4]float32](a, accessor, TypeVec4, 4)
}

// ReadScalarsFloat reads a SCALAR accessor as float32 values like ReadVec2.
func (a *Asset) ReadScalarsFloat(accessor int) ([]float32, error) {
	if err := a.checkType(accessor, TypeScalar); err != nil {
		return nil, err
	}
	out := make([]float32, 0, min(max(a.Doc.Accessors[accessor].Count, 0), maxReadElements))
	err := a.walk(accessor, true, func(_ int, v []float64) bool {
		out = append(out, float32(v[0]))
		return true
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// ReadIndices reads a SCALAR accessor of UNSIGNED_BYTE, UNSIGNED_SHORT or
// UNSIGNED_INT components (a primitive's indices) as uint32 values.
func (a *Asset) ReadIndices(accessor int) ([]uint32, error) {
	if err := a.checkType(accessor, TypeScalar); err != nil {
		return nil, err
	}
	switch ct := a.Doc.Accessors[accessor].ComponentType; ct {
	case ComponentUnsignedByte, ComponentUnsignedShort, ComponentUnsignedInt:
	default:
		return nil, fmt.Errorf("gltf: accessor %d has componentType %s; indices must be unsigned integers", accessor, componentName(ct))
	}
	out := make([]uint32, 0, min(max(a.Doc.Accessors[accessor].Count, 0), maxReadElements))
	err := a.walk(accessor, false, func(_ int, v []float64) bool {
		out = append(out, uint32(v[0]))
		return true
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// ImageBytes returns image i's encoded bytes (a sub-slice of BIN, not to
// be modified) and its MIME type.
func (a *Asset) ImageBytes(image int) ([]byte, string, error) {
	if a == nil || a.Doc == nil || image < 0 || image >= len(a.Doc.Images) {
		return nil, "", fmt.Errorf("gltf: image %d does not exist", image)
	}
	img := a.Doc.Images[image]
	if img.BufferView == nil {
		return nil, "", fmt.Errorf("gltf: image %d is not stored in a bufferView", image)
	}
	data, err := a.viewBytes(*img.BufferView)
	if err != nil {
		return nil, "", fmt.Errorf("gltf: image %d: %w", image, err)
	}
	mime := img.MimeType
	if mime == "" {
		mime = sniffImage(data)
	}
	return data, mime, nil
}

// validateData checks what only the binary data can show: images (format,
// MIME type, declared dimensions), sparse indices, finite floats in
// POSITION/NORMAL/TEXCOORD, POSITION values within min/max, and indices
// below the primitive's vertex count.
func validateData(a *Asset, lim Limits, r *report) {
	for i, img := range a.Doc.Images {
		p := ptr("images", i)
		data, _, err := a.ImageBytes(i)
		if err != nil {
			r.errorf("IMAGE_DATA_INVALID", p, "%v", err)
			continue
		}
		checkImage(data, img.MimeType, p, lim, r)
	}
	for i := range a.Doc.Accessors {
		if a.Doc.Accessors[i].Sparse == nil {
			continue
		}
		if l, err := a.layout(i); err != nil {
			r.errorf("INVALID_ACCESSOR_RANGE", ptr("accessors", i), "%v", err)
		} else if _, err := a.sparseOverlay(i, l); err != nil {
			r.errorf("ACCESSOR_SPARSE_INDICES_INVALID", ptr("accessors", i, "sparse"), "%v", err)
		}
	}
	if r.hasErrors() {
		return
	}
	floatsChecked := make(map[int]bool)
	boundsChecked := make(map[int]bool)
	type indexCheck struct{ accessor, vertices int }
	indicesChecked := make(map[indexCheck]bool)
	for mi, mesh := range a.Doc.Meshes {
		for pi, prim := range mesh.Primitives {
			vertexCount := -1
			for _, name := range slices.Sorted(maps.Keys(prim.Attributes)) {
				idx := prim.Attributes[name]
				if vertexCount < 0 || a.Doc.Accessors[idx].Count < vertexCount {
					vertexCount = a.Doc.Accessors[idx].Count
				}
				if needsFiniteCheck(name) && a.Doc.Accessors[idx].ComponentType == ComponentFloat && !floatsChecked[idx] {
					floatsChecked[idx] = true
					checkAccessorFinite(a, idx, r)
				}
			}
			if pos, ok := prim.Attributes["POSITION"]; ok && !boundsChecked[pos] {
				boundsChecked[pos] = true
				checkMinMax(a, pos, r)
			}
			if prim.Indices != nil && vertexCount >= 0 {
				key := indexCheck{*prim.Indices, vertexCount}
				if !indicesChecked[key] {
					indicesChecked[key] = true
					checkIndices(a, *prim.Indices, vertexCount, ptr("meshes", mi, "primitives", pi, "indices"), r)
				}
			}
		}
	}
}

func needsFiniteCheck(attribute string) bool {
	return attribute == "POSITION" || attribute == "NORMAL" || attribute == "TANGENT" || len(attribute) > 9 && attribute[:9] == "TEXCOORD_"
}

func checkAccessorFinite(a *Asset, i int, r *report) {
	bad, first := 0, -1
	err := a.walk(i, false, func(e int, v []float64) bool {
		for _, x := range v {
			if math.IsNaN(x) || math.IsInf(x, 0) {
				if first < 0 {
					first = e
				}
				bad++
				break
			}
		}
		return true
	})
	if err != nil {
		r.errorf("INVALID_ACCESSOR_RANGE", ptr("accessors", i), "%v", err)
		return
	}
	if bad > 0 {
		r.errorf("ACCESSOR_INVALID_FLOAT", ptr("accessors", i), "%d element(s) hold NaN or infinity, the first at element %d", bad, first)
	}
}

// boundsTolerance is how far data may stray past a declared min/max before
// it is an error: JSON bounds are float64 while data is float32.
func boundsTolerance(bound float64) float64 { return 1e-5 * math.Max(1, math.Abs(bound)) }

func checkMinMax(a *Asset, i int, r *report) {
	acc := &a.Doc.Accessors[i]
	n := componentCount(acc.Type)
	if len(acc.Min) != n || len(acc.Max) != n {
		return
	}
	lo := make([]float64, n)
	hi := make([]float64, n)
	for c := range lo {
		lo[c], hi[c] = math.Inf(1), math.Inf(-1)
	}
	err := a.walk(i, false, func(_ int, v []float64) bool {
		for c, x := range v {
			lo[c] = math.Min(lo[c], x)
			hi[c] = math.Max(hi[c], x)
		}
		return true
	})
	if err != nil {
		r.errorf("INVALID_ACCESSOR_RANGE", ptr("accessors", i), "%v", err)
		return
	}
	for c := range n {
		if math.IsNaN(lo[c]) || math.IsNaN(hi[c]) {
			continue
		}
		switch {
		case lo[c] < acc.Min[c]-boundsTolerance(acc.Min[c]):
			r.errorf("ACCESSOR_ELEMENT_OUT_OF_MIN_BOUND", ptr("accessors", i, "min", c), "the data reaches %g, below the declared minimum %g", lo[c], acc.Min[c])
		case lo[c] > acc.Min[c]+boundsTolerance(acc.Min[c]):
			r.warnf("ACCESSOR_MIN_MISMATCH", ptr("accessors", i, "min", c), "the declared minimum %g is below the data's actual minimum %g; measured bounds will be too large", acc.Min[c], lo[c])
		}
		switch {
		case hi[c] > acc.Max[c]+boundsTolerance(acc.Max[c]):
			r.errorf("ACCESSOR_ELEMENT_OUT_OF_MAX_BOUND", ptr("accessors", i, "max", c), "the data reaches %g, above the declared maximum %g", hi[c], acc.Max[c])
		case hi[c] < acc.Max[c]-boundsTolerance(acc.Max[c]):
			r.warnf("ACCESSOR_MAX_MISMATCH", ptr("accessors", i, "max", c), "the declared maximum %g is above the data's actual maximum %g; measured bounds will be too large", acc.Max[c], hi[c])
		}
	}
}

func checkIndices(a *Asset, i, vertexCount int, primPointer string, r *report) {
	bad, first, firstValue := 0, -1, 0.0
	err := a.walk(i, false, func(e int, v []float64) bool {
		if v[0] >= float64(vertexCount) {
			if first < 0 {
				first, firstValue = e, v[0]
			}
			bad++
		}
		return true
	})
	if err != nil {
		r.errorf("INVALID_ACCESSOR_RANGE", ptr("accessors", i), "%v", err)
		return
	}
	if bad > 0 {
		r.errorf("ACCESSOR_INDEX_OOB", ptr("accessors", i), "%d index value(s) are ≥ the %d vertices of %s, the first is %d at element %d", bad, vertexCount, primPointer, int64(firstValue), first)
	}
}
