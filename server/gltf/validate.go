package gltf

import (
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"
)

// Extension names Vitrine understands. A model may require only these.
const (
	ExtMeshQuantization = "KHR_mesh_quantization"
)

// SupportedExtensions lists the extensions a model may put in
// extensionsRequired; any other required extension is UNSUPPORTED_EXTENSION.
var SupportedExtensions = []string{
	"KHR_mesh_quantization",
	"KHR_texture_transform",
	"KHR_materials_variants",
	"KHR_materials_emissive_strength",
	"KHR_materials_clearcoat",
	"KHR_materials_sheen",
	"KHR_materials_transmission",
	"KHR_materials_ior",
	"KHR_materials_specular",
	"KHR_materials_volume",
	"KHR_materials_unlit",
}

// maxOffset bounds every byte offset and length in the JSON so that sums
// and products of them cannot overflow.
const maxOffset = 1 << 40

// validator holds the state of one validateDocument run.
type validator struct {
	doc       *Document
	lim       Limits
	r         *report
	quantized bool
}

// validateDocument checks the JSON alone: version, extensions, every index
// reference, buffer view and accessor ranges against declared lengths,
// accessor formats per attribute semantic, the node hierarchy and budgets.
func validateDocument(doc *Document, lim Limits, r *report) {
	v := &validator{doc: doc, lim: lim, r: r, quantized: slices.Contains(doc.ExtensionsUsed, ExtMeshQuantization)}
	v.asset()
	v.extensions()
	v.buffers()
	v.bufferViews()
	v.accessors()
	v.meshes()
	v.materials()
	v.textures()
	v.images()
	hierarchyOK := v.nodes()
	v.scenes()
	if hierarchyOK && !r.hasErrors() {
		v.budgets()
	}
}

func (v *validator) ref(pointer string, index, n int, what string) bool {
	if index < 0 || index >= n {
		v.r.errorf("UNRESOLVED_REFERENCE", pointer, "%s %d does not exist (there are %d)", what, index, n)
		return false
	}
	return true
}

func (v *validator) inRange(pointer string, value, lo, hi int, what string) bool {
	if value < lo || value > hi {
		v.r.errorf("VALUE_NOT_IN_RANGE", pointer, "%s is %d, must be in [%d, %d]", what, value, lo, hi)
		return false
	}
	return true
}

func (v *validator) asset() {
	ver := v.doc.Asset.Version
	if ver == "" {
		v.r.errorf("UNDEFINED_PROPERTY", "/asset/version", "asset.version is missing; it must be \"2.0\"")
		return
	}
	major, minor, ok := strings.Cut(ver, ".")
	if !ok || major != "2" || minor == "" || strings.Trim(minor, "0123456789") != "" {
		v.r.errorf("UNKNOWN_ASSET_MAJOR_VERSION", "/asset/version", "asset.version is %q; only glTF 2.x is supported", ver)
	}
	if mv := v.doc.Asset.MinVersion; mv != "" && mv != "2.0" {
		v.r.errorf("UNKNOWN_ASSET_MINOR_VERSION", "/asset/minVersion", "asset.minVersion is %q; only 2.0 is supported", mv)
	}
}

func (v *validator) extensions() {
	for i, name := range v.doc.ExtensionsRequired {
		if !slices.Contains(SupportedExtensions, name) {
			v.r.errorf("UNSUPPORTED_EXTENSION", ptr("extensionsRequired", i), "required extension %s is not supported (supported: %s)", name, strings.Join(SupportedExtensions, ", "))
		}
		if !slices.Contains(v.doc.ExtensionsUsed, name) {
			v.r.errorf("EXTENSION_REQUIRED_NOT_USED", ptr("extensionsRequired", i), "extension %s is required but not listed in extensionsUsed", name)
		}
	}
	for i, name := range v.doc.ExtensionsUsed {
		if !slices.Contains(SupportedExtensions, name) && !slices.Contains(v.doc.ExtensionsRequired, name) {
			v.r.infof("UNSUPPORTED_EXTENSION", ptr("extensionsUsed", i), "extension %s is not supported and will be ignored", name)
		}
	}
}

func (v *validator) buffers() {
	for i, b := range v.doc.Buffers {
		v.inRange(ptr("buffers", i, "byteLength"), b.ByteLength, 1, maxOffset, "byteLength")
	}
}

func (v *validator) bufferViews() {
	for i, bv := range v.doc.BufferViews {
		p := ptr("bufferViews", i)
		okOffset := v.inRange(p+"/byteOffset", bv.ByteOffset, 0, maxOffset, "byteOffset")
		okLength := v.inRange(p+"/byteLength", bv.ByteLength, 1, maxOffset, "byteLength")
		if bv.ByteStride != 0 && (bv.ByteStride < 4 || bv.ByteStride > 252 || bv.ByteStride%4 != 0) {
			v.r.errorf("BUFFER_VIEW_INVALID_BYTE_STRIDE", p+"/byteStride", "byteStride is %d, must be a multiple of 4 in [4, 252]", bv.ByteStride)
		}
		if bv.Target != 0 && bv.Target != TargetArrayBuffer && bv.Target != TargetElementArrayBuffer {
			v.r.errorf("VALUE_NOT_IN_LIST", p+"/target", "target is %d, must be %d or %d", bv.Target, TargetArrayBuffer, TargetElementArrayBuffer)
		}
		if !v.ref(p+"/buffer", bv.Buffer, len(v.doc.Buffers), "buffer") || !okOffset || !okLength {
			continue
		}
		if end, size := bv.ByteOffset+bv.ByteLength, v.doc.Buffers[bv.Buffer].ByteLength; end > size {
			v.r.errorf("BUFFER_VIEW_TOO_LONG", p, "bufferView reaches byte %d of a %d-byte buffer", end, size)
		}
	}
}

// componentSize returns the byte size of a component type, or 0 if invalid.
func componentSize(componentType int) int {
	switch componentType {
	case ComponentByte, ComponentUnsignedByte:
		return 1
	case ComponentShort, ComponentUnsignedShort:
		return 2
	case ComponentUnsignedInt, ComponentFloat:
		return 4
	}
	return 0
}

// componentCount returns the number of components of an accessor type, or 0
// if invalid.
func componentCount(typ string) int {
	switch typ {
	case TypeScalar:
		return 1
	case TypeVec2:
		return 2
	case TypeVec3:
		return 3
	case TypeVec4, TypeMat2:
		return 4
	case TypeMat3:
		return 9
	case TypeMat4:
		return 16
	}
	return 0
}

// matrixRows returns the column height of a matrix type, or 0 for vectors.
func matrixRows(typ string) int {
	switch typ {
	case TypeMat2:
		return 2
	case TypeMat3:
		return 3
	case TypeMat4:
		return 4
	}
	return 0
}

// elementSize returns the byte size of one element, including the column
// padding matrices of 1- and 2-byte components need (glTF 2.0 §3.6.2.4).
func elementSize(componentType int, typ string) int {
	cs, n := componentSize(componentType), componentCount(typ)
	if rows := matrixRows(typ); rows > 0 {
		return rows * pad4(rows*cs)
	}
	return cs * n
}

func componentName(componentType int) string {
	switch componentType {
	case ComponentByte:
		return "BYTE"
	case ComponentUnsignedByte:
		return "UNSIGNED_BYTE"
	case ComponentShort:
		return "SHORT"
	case ComponentUnsignedShort:
		return "UNSIGNED_SHORT"
	case ComponentUnsignedInt:
		return "UNSIGNED_INT"
	case ComponentFloat:
		return "FLOAT"
	}
	return fmt.Sprintf("%d", componentType)
}

// sparseJSON is the accessor.sparse object.
type sparseJSON struct {
	Count   int `json:"count"`
	Indices struct {
		BufferView    *int `json:"bufferView"`
		ByteOffset    int  `json:"byteOffset"`
		ComponentType int  `json:"componentType"`
	} `json:"indices"`
	Values struct {
		BufferView *int `json:"bufferView"`
		ByteOffset int  `json:"byteOffset"`
	} `json:"values"`
}

func parseSparse(raw json.RawMessage) (*sparseJSON, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	s := new(sparseJSON)
	if err := json.Unmarshal(raw, s); err != nil {
		return nil, err
	}
	return s, nil
}

// maxElements bounds the element count of any accessor: the largest of the
// vertex budget and three indices per budgeted triangle.
func (v *validator) maxElements() int { return max(v.lim.MaxVertices, 3*v.lim.MaxTriangles, 1) }

func (v *validator) accessors() {
	for i := range v.doc.Accessors {
		acc := &v.doc.Accessors[i]
		p := ptr("accessors", i)
		cs := componentSize(acc.ComponentType)
		nc := componentCount(acc.Type)
		if cs == 0 {
			v.r.errorf("VALUE_NOT_IN_LIST", p+"/componentType", "componentType %d is not one of 5120, 5121, 5122, 5123, 5125, 5126", acc.ComponentType)
		}
		if nc == 0 {
			v.r.errorf("VALUE_NOT_IN_LIST", p+"/type", "type %q is not one of SCALAR, VEC2, VEC3, VEC4, MAT2, MAT3, MAT4", acc.Type)
		}
		okCount := v.inRange(p+"/count", acc.Count, 1, v.maxElements(), "count")
		okOffset := v.inRange(p+"/byteOffset", acc.ByteOffset, 0, maxOffset, "byteOffset")
		if cs == 0 || nc == 0 {
			continue
		}
		if acc.ComponentType == ComponentUnsignedInt && acc.Type != TypeScalar {
			v.r.errorf("ACCESSOR_INVALID_COMPONENT_TYPE", p+"/componentType", "UNSIGNED_INT is only allowed for SCALAR (index) accessors, not %s", acc.Type)
		}
		if acc.Normalized && (acc.ComponentType == ComponentFloat || acc.ComponentType == ComponentUnsignedInt) {
			v.r.errorf("ACCESSOR_NORMALIZED_INVALID", p+"/normalized", "normalized is only allowed for BYTE, UNSIGNED_BYTE, SHORT and UNSIGNED_SHORT, not %s", componentName(acc.ComponentType))
		}
		if acc.Min != nil && len(acc.Min) != nc {
			v.r.errorf("ARRAY_LENGTH_NOT_IN_LIST", p+"/min", "min has %d values, a %s accessor needs %d", len(acc.Min), acc.Type, nc)
		}
		if acc.Max != nil && len(acc.Max) != nc {
			v.r.errorf("ARRAY_LENGTH_NOT_IN_LIST", p+"/max", "max has %d values, a %s accessor needs %d", len(acc.Max), acc.Type, nc)
		}
		if okOffset && acc.ByteOffset%cs != 0 {
			v.r.errorf("ACCESSOR_OFFSET_ALIGNMENT", p+"/byteOffset", "byteOffset %d is not a multiple of the %d-byte component size", acc.ByteOffset, cs)
		}
		elem := elementSize(acc.ComponentType, acc.Type)
		if acc.BufferView != nil && v.ref(p+"/bufferView", *acc.BufferView, len(v.doc.BufferViews), "bufferView") && okCount && okOffset {
			bv := v.doc.BufferViews[*acc.BufferView]
			stride := elem
			if bv.ByteStride != 0 {
				stride = bv.ByteStride
				if bv.ByteStride < elem {
					v.r.errorf("ACCESSOR_SMALL_BYTESTRIDE", p, "bufferView %d's byteStride %d is smaller than the %d-byte element", *acc.BufferView, bv.ByteStride, elem)
				}
			}
			if (bv.ByteOffset+acc.ByteOffset)%cs != 0 {
				v.r.errorf("ACCESSOR_TOTAL_OFFSET_ALIGNMENT", p+"/byteOffset", "bufferView offset %d + accessor offset %d is not a multiple of the %d-byte component size", bv.ByteOffset, acc.ByteOffset, cs)
			}
			if end := acc.ByteOffset + stride*(acc.Count-1) + elem; end > bv.ByteLength {
				v.r.errorf("INVALID_ACCESSOR_RANGE", p, "accessor reaches byte %d of a %d-byte bufferView", end, bv.ByteLength)
			}
		}
		v.sparse(i, acc, elem, okCount)
	}
}

func (v *validator) sparse(i int, acc *Accessor, elem int, okCount bool) {
	p := ptr("accessors", i, "sparse")
	s, err := parseSparse(acc.Sparse)
	if err != nil {
		v.r.errorf("TYPE_MISMATCH", p, "sparse is malformed: %v", err)
		return
	}
	if s == nil || !okCount {
		return
	}
	if !v.inRange(p+"/count", s.Count, 1, acc.Count, "sparse count") {
		return
	}
	ics := 0
	switch s.Indices.ComponentType {
	case ComponentUnsignedByte, ComponentUnsignedShort, ComponentUnsignedInt:
		ics = componentSize(s.Indices.ComponentType)
	default:
		v.r.errorf("VALUE_NOT_IN_LIST", p+"/indices/componentType", "sparse indices componentType %d must be 5121, 5123 or 5125", s.Indices.ComponentType)
	}
	check := func(part string, view *int, offset, size int) {
		pp := p + "/" + part
		if view == nil {
			v.r.errorf("UNDEFINED_PROPERTY", pp+"/bufferView", "sparse %s needs a bufferView", part)
			return
		}
		if !v.ref(pp+"/bufferView", *view, len(v.doc.BufferViews), "bufferView") || !v.inRange(pp+"/byteOffset", offset, 0, maxOffset, "byteOffset") || size == 0 {
			return
		}
		bv := v.doc.BufferViews[*view]
		if bv.ByteStride != 0 {
			v.r.errorf("BUFFER_VIEW_TARGET_OVERRIDE", pp+"/bufferView", "bufferView %d used by sparse %s must not have a byteStride", *view, part)
		}
		if end := offset + s.Count*size; end > bv.ByteLength {
			v.r.errorf("INVALID_ACCESSOR_RANGE", pp, "sparse %s reach byte %d of a %d-byte bufferView", part, end, bv.ByteLength)
		}
	}
	check("indices", s.Indices.BufferView, s.Indices.ByteOffset, ics)
	check("values", s.Values.BufferView, s.Values.ByteOffset, elem)
}

// accessorFormat is a componentType/normalized pair allowed for a semantic.
type accessorFormat struct {
	componentType int
	normalized    bool
}

func (f accessorFormat) String() string {
	if f.normalized {
		return componentName(f.componentType) + " normalized"
	}
	return componentName(f.componentType)
}

var (
	fFloat  = accessorFormat{ComponentFloat, false}
	fB      = accessorFormat{ComponentByte, false}
	fBN     = accessorFormat{ComponentByte, true}
	fUB     = accessorFormat{ComponentUnsignedByte, false}
	fUBN    = accessorFormat{ComponentUnsignedByte, true}
	fS      = accessorFormat{ComponentShort, false}
	fSN     = accessorFormat{ComponentShort, true}
	fUS     = accessorFormat{ComponentUnsignedShort, false}
	fUSN    = accessorFormat{ComponentUnsignedShort, true}
	fUInt   = accessorFormat{ComponentUnsignedInt, false}
	quantOK = map[string][]accessorFormat{
		"POSITION": {fB, fBN, fUB, fUBN, fS, fSN, fUS, fUSN},
		"NORMAL":   {fBN, fSN},
		"TANGENT":  {fBN, fSN},
		"TEXCOORD": {fB, fBN, fUB, fS, fSN, fUS},
	}
)

// attributeFormats returns the allowed types and formats for a semantic, or
// nil for semantics this package does not constrain (custom "_NAME" ones).
func (v *validator) attributeFormats(name string) ([]string, []accessorFormat) {
	semantic := name
	for _, set := range []string{"TEXCOORD", "COLOR", "JOINTS", "WEIGHTS"} {
		if strings.HasPrefix(name, set+"_") {
			semantic = set
		}
	}
	var types []string
	var formats []accessorFormat
	switch semantic {
	case "POSITION", "NORMAL":
		types, formats = []string{TypeVec3}, []accessorFormat{fFloat}
	case "TANGENT":
		types, formats = []string{TypeVec4}, []accessorFormat{fFloat}
	case "TEXCOORD":
		types, formats = []string{TypeVec2}, []accessorFormat{fFloat, fUBN, fUSN}
	case "COLOR":
		types, formats = []string{TypeVec3, TypeVec4}, []accessorFormat{fFloat, fUBN, fUSN}
	case "JOINTS":
		types, formats = []string{TypeVec4}, []accessorFormat{fUB, fUS}
	case "WEIGHTS":
		types, formats = []string{TypeVec4}, []accessorFormat{fFloat, fUBN, fUSN}
	default:
		return nil, nil
	}
	if v.quantized {
		formats = append(formats, quantOK[semantic]...)
	}
	return types, formats
}

func (v *validator) meshes() {
	for mi, mesh := range v.doc.Meshes {
		if len(mesh.Primitives) == 0 {
			v.r.errorf("EMPTY_ENTITY", ptr("meshes", mi, "primitives"), "mesh %d has no primitives", mi)
		}
		for pi := range mesh.Primitives {
			v.primitive(mi, pi, &mesh.Primitives[pi])
		}
	}
}

func (v *validator) primitive(mi, pi int, prim *Primitive) {
	p := ptr("meshes", mi, "primitives", pi)
	accs := v.doc.Accessors
	names := make([]string, 0, len(prim.Attributes))
	for name := range prim.Attributes {
		names = append(names, name)
	}
	slices.Sort(names)
	vertexCount := -1
	for _, name := range names {
		idx := prim.Attributes[name]
		ap := ptr("meshes", mi, "primitives", pi, "attributes", name)
		if !v.ref(ap, idx, len(accs), "accessor") {
			continue
		}
		acc := &accs[idx]
		if vertexCount < 0 {
			vertexCount = acc.Count
		} else if acc.Count != vertexCount {
			v.r.errorf("MESH_PRIMITIVE_UNEQUAL_ACCESSOR_COUNT", ap, "attribute %s has %d elements, other attributes have %d", name, acc.Count, vertexCount)
		}
		types, formats := v.attributeFormats(name)
		if types == nil {
			if !strings.HasPrefix(name, "_") {
				v.r.warnf("MESH_PRIMITIVE_INVALID_ATTRIBUTE", ap, "attribute %s is not a glTF semantic (custom attributes start with '_')", name)
			}
			continue
		}
		got := accessorFormat{acc.ComponentType, acc.Normalized}
		if !slices.Contains(types, acc.Type) || !slices.Contains(formats, got) {
			hint := ""
			if name == "POSITION" && !v.quantized && acc.ComponentType != ComponentFloat {
				hint = " (quantized positions need KHR_mesh_quantization in extensionsUsed)"
			}
			v.r.errorf("MESH_PRIMITIVE_ACCESSOR_INVALID_FORMAT", ap, "attribute %s is %s %s; allowed: %s of %v%s", name, acc.Type, got, strings.Join(types, "/"), formats, hint)
		}
		if name == "POSITION" && (len(acc.Min) != 3 || len(acc.Max) != 3) {
			v.r.errorf("MESH_PRIMITIVE_POSITION_ACCESSOR_WITHOUT_BOUNDS", ptr("accessors", idx), "the POSITION accessor must define min and max of 3 values each")
		}
	}
	if _, ok := prim.Attributes["POSITION"]; !ok {
		v.r.warnf("MESH_PRIMITIVE_NO_POSITION", p+"/attributes", "the primitive has no POSITION attribute and draws nothing")
	}
	mode := ModeTriangles
	if prim.Mode != nil {
		mode = *prim.Mode
		if mode < ModePoints || mode > ModeTriangleFan {
			v.r.errorf("VALUE_NOT_IN_LIST", p+"/mode", "mode %d is not in [0, 6]", mode)
		}
	}
	drawCount := vertexCount
	if prim.Indices != nil && v.ref(p+"/indices", *prim.Indices, len(accs), "accessor") {
		acc := &accs[*prim.Indices]
		drawCount = acc.Count
		ok := acc.Type == TypeScalar && !acc.Normalized && acc.Sparse == nil &&
			(acc.ComponentType == ComponentUnsignedByte || acc.ComponentType == ComponentUnsignedShort || acc.ComponentType == ComponentUnsignedInt)
		if !ok {
			v.r.errorf("MESH_PRIMITIVE_INDICES_ACCESSOR_INVALID_FORMAT", p+"/indices", "indices accessor %d is %s %s; it must be a non-normalized, non-sparse SCALAR of UNSIGNED_BYTE, UNSIGNED_SHORT or UNSIGNED_INT", *prim.Indices, acc.Type, accessorFormat{acc.ComponentType, acc.Normalized})
		}
		if acc.BufferView != nil && *acc.BufferView >= 0 && *acc.BufferView < len(v.doc.BufferViews) && v.doc.BufferViews[*acc.BufferView].ByteStride != 0 {
			v.r.errorf("MESH_PRIMITIVE_INDICES_ACCESSOR_WITH_BYTESTRIDE", p+"/indices", "indices accessor %d's bufferView %d has a byteStride; index data must be tightly packed", *prim.Indices, *acc.BufferView)
		}
	}
	if mode == ModeTriangles && drawCount > 0 && drawCount%3 != 0 {
		what := "vertex"
		if prim.Indices != nil {
			what = "index"
		}
		v.r.errorf("MESH_PRIMITIVE_INCOMPATIBLE_MODE", p, "TRIANGLES needs a multiple of 3 %s count, got %d", what, drawCount)
	}
	if prim.Material != nil {
		v.ref(p+"/material", *prim.Material, len(v.doc.Materials), "material")
	}
	for ti, target := range prim.Targets {
		for _, name := range slices.Sorted(maps.Keys(target)) {
			idx := target[name]
			if v.ref(ptr("meshes", mi, "primitives", pi, "targets", ti, name), idx, len(accs), "accessor") && vertexCount >= 0 && accs[idx].Count != vertexCount {
				v.r.errorf("MESH_PRIMITIVE_MORPH_TARGET_INVALID_ATTRIBUTE_COUNT", ptr("meshes", mi, "primitives", pi, "targets", ti, name), "morph target accessor %d has %d elements, the primitive has %d vertices", idx, accs[idx].Count, vertexCount)
			}
		}
	}
}

func (v *validator) textureInfo(pointer string, ti *TextureInfo) {
	if ti == nil {
		return
	}
	v.ref(pointer+"/index", ti.Index, len(v.doc.Textures), "texture")
	if ti.TexCoord < 0 {
		v.r.errorf("VALUE_NOT_IN_RANGE", pointer+"/texCoord", "texCoord is %d, must be ≥ 0", ti.TexCoord)
	}
}

func (v *validator) materials() {
	for i := range v.doc.Materials {
		m := &v.doc.Materials[i]
		p := ptr("materials", i)
		if pbr := m.PBRMetallicRoughness; pbr != nil {
			v.textureInfo(p+"/pbrMetallicRoughness/baseColorTexture", pbr.BaseColorTexture)
			v.textureInfo(p+"/pbrMetallicRoughness/metallicRoughnessTexture", pbr.MetallicRoughnessTexture)
			if pbr.BaseColorFactor != nil && len(pbr.BaseColorFactor) != 4 {
				v.r.errorf("ARRAY_LENGTH_NOT_IN_LIST", p+"/pbrMetallicRoughness/baseColorFactor", "baseColorFactor has %d values, needs 4", len(pbr.BaseColorFactor))
			}
		}
		v.textureInfo(p+"/normalTexture", m.NormalTexture)
		v.textureInfo(p+"/occlusionTexture", m.OcclusionTexture)
		v.textureInfo(p+"/emissiveTexture", m.EmissiveTexture)
		if m.EmissiveFactor != nil && len(m.EmissiveFactor) != 3 {
			v.r.errorf("ARRAY_LENGTH_NOT_IN_LIST", p+"/emissiveFactor", "emissiveFactor has %d values, needs 3", len(m.EmissiveFactor))
		}
		switch m.AlphaMode {
		case "", "OPAQUE", "MASK", "BLEND":
		default:
			v.r.errorf("VALUE_NOT_IN_LIST", p+"/alphaMode", "alphaMode %q is not OPAQUE, MASK or BLEND", m.AlphaMode)
		}
	}
}

func (v *validator) textures() {
	for i, t := range v.doc.Textures {
		p := ptr("textures", i)
		if t.Source != nil {
			v.ref(p+"/source", *t.Source, len(v.doc.Images), "image")
		}
		if t.Sampler != nil {
			v.ref(p+"/sampler", *t.Sampler, len(v.doc.Samplers), "sampler")
		}
	}
}

func (v *validator) images() {
	for i, img := range v.doc.Images {
		p := ptr("images", i)
		switch {
		case img.URI == "" && img.BufferView == nil:
			v.r.errorf("ONE_OF_MISMATCH", p, "image %d has neither a uri nor a bufferView", i)
		case img.URI != "" && img.BufferView != nil:
			v.r.errorf("ONE_OF_MISMATCH", p, "image %d has both a uri and a bufferView", i)
		case img.BufferView != nil:
			if v.ref(p+"/bufferView", *img.BufferView, len(v.doc.BufferViews), "bufferView") && v.doc.BufferViews[*img.BufferView].ByteStride != 0 {
				v.r.errorf("IMAGE_BUFFER_VIEW_WITH_BYTESTRIDE", p+"/bufferView", "bufferView %d holds an image but has a byteStride", *img.BufferView)
			}
			if img.MimeType == "" {
				v.r.errorf("UNSATISFIED_DEPENDENCY", p+"/mimeType", "an image stored in a bufferView needs a mimeType")
			}
		}
		switch img.MimeType {
		case "", mimePNG, mimeJPEG:
		default:
			v.r.errorf("IMAGE_UNRECOGNIZED_FORMAT", p+"/mimeType", "mimeType %q is not supported; images must be image/png or image/jpeg", img.MimeType)
		}
	}
}

func (v *validator) scenes() {
	if v.doc.Scene != nil {
		v.ref("/scene", *v.doc.Scene, len(v.doc.Scenes), "scene")
	}
	for si, s := range v.doc.Scenes {
		for j, n := range s.Nodes {
			v.ref(ptr("scenes", si, "nodes", j), n, len(v.doc.Nodes), "node")
		}
	}
}

func finite(xs []float64) bool {
	for _, x := range xs {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return false
		}
	}
	return true
}

// nodes checks each node's references and transform and the hierarchy: no
// node with two parents, no cycles, depth within MaxNodeDepth. It reports
// whether the hierarchy is a forest that can be traversed.
func (v *validator) nodes() bool {
	nodes := v.doc.Nodes
	parent := make([]int, len(nodes))
	for i := range parent {
		parent[i] = -1
	}
	forest := true
	for i := range nodes {
		n := &nodes[i]
		p := ptr("nodes", i)
		if n.Mesh != nil {
			v.ref(p+"/mesh", *n.Mesh, len(v.doc.Meshes), "mesh")
		}
		if n.Skin != nil {
			v.ref(p+"/skin", *n.Skin, len(v.doc.Skins), "skin")
		}
		if n.Camera != nil {
			v.ref(p+"/camera", *n.Camera, len(v.doc.Cameras), "camera")
		}
		for _, arr := range []struct {
			name string
			vals []float64
			n    int
		}{{"matrix", n.Matrix, 16}, {"translation", n.Translation, 3}, {"rotation", n.Rotation, 4}, {"scale", n.Scale, 3}} {
			if arr.vals == nil {
				continue
			}
			if len(arr.vals) != arr.n {
				v.r.errorf("ARRAY_LENGTH_NOT_IN_LIST", p+"/"+arr.name, "%s has %d values, needs %d", arr.name, len(arr.vals), arr.n)
			} else if !finite(arr.vals) {
				v.r.errorf("NODE_TRANSFORM_NON_FINITE", p+"/"+arr.name, "%s has a non-finite value", arr.name)
			}
		}
		if n.Matrix != nil && (n.Translation != nil || n.Rotation != nil || n.Scale != nil) {
			v.r.errorf("NODE_MATRIX_TRS", p, "a node may have a matrix or translation/rotation/scale, not both")
		}
		if len(n.Rotation) == 4 && finite(n.Rotation) {
			l := math.Sqrt(n.Rotation[0]*n.Rotation[0] + n.Rotation[1]*n.Rotation[1] + n.Rotation[2]*n.Rotation[2] + n.Rotation[3]*n.Rotation[3])
			if math.Abs(l-1) > 1e-3 {
				v.r.warnf("ROTATION_NON_UNIT", p+"/rotation", "rotation quaternion has length %.4g, not 1", l)
			}
		}
		for j, c := range n.Children {
			cp := ptr("nodes", i, "children", j)
			if !v.ref(cp, c, len(nodes), "node") {
				forest = false
				continue
			}
			if c == i {
				v.r.errorf("NODE_LOOP", cp, "node %d is its own child", i)
				forest = false
				continue
			}
			if parent[c] >= 0 {
				v.r.errorf("NODE_PARENT_OVERRIDE", cp, "node %d already has parent %d; a node may have only one parent", c, parent[c])
				forest = false
				continue
			}
			parent[c] = i
		}
	}
	if !forest {
		return false
	}
	// With at most one parent each, a node is in a cycle exactly when
	// walking up from it never reaches a root. Walk from the roots down
	// and report the nodes never reached.
	depth := make([]int, len(nodes))
	type item struct{ node, depth int }
	var stack []item
	for i := range nodes {
		if parent[i] < 0 {
			stack = append(stack, item{i, 1})
		}
	}
	deepest, deepestNode := 0, -1
	for len(stack) > 0 {
		it := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		depth[it.node] = it.depth
		if it.depth > deepest {
			deepest, deepestNode = it.depth, it.node
		}
		for _, c := range nodes[it.node].Children {
			stack = append(stack, item{c, it.depth + 1})
		}
	}
	for i := range nodes {
		if depth[i] == 0 {
			v.r.errorf("NODE_LOOP", ptr("nodes", i), "node %d is part of a cycle in the node hierarchy", i)
			forest = false
		}
	}
	for si, s := range v.doc.Scenes {
		for j, n := range s.Nodes {
			if n >= 0 && n < len(nodes) && parent[n] >= 0 {
				v.r.errorf("SCENE_NON_ROOT_NODE", ptr("scenes", si, "nodes", j), "node %d is a child of node %d and cannot be a scene root", n, parent[n])
				forest = false
			}
		}
	}
	if deepest > v.lim.MaxNodeDepth {
		v.r.errorf("LIMIT_EXCEEDED", ptr("nodes", deepestNode), "MaxNodeDepth: the node hierarchy is %d levels deep, over the limit of %d", deepest, v.lim.MaxNodeDepth)
		forest = false
	}
	return forest
}

func (v *validator) budgets() {
	inst, unique := documentStats(v.doc)
	check := func(field string, got, limit int, what string) {
		if got > limit {
			v.r.errorf("LIMIT_EXCEEDED", "/meshes", "%s: the model draws %d %s, over the limit of %d", field, got, what, limit)
		}
	}
	check("MaxVertices", max(inst.Vertices, unique.Vertices), v.lim.MaxVertices, "vertices")
	check("MaxTriangles", max(inst.Triangles, unique.Triangles), v.lim.MaxTriangles, "triangles")
}
