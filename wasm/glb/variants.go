package glb

import (
	"fmt"
	"slices"
)

// extMaterialsVariants is KHR_materials_variants: a document-level list
// of named variants (colours, finishes) and, per primitive, which
// material it takes in each variant.
const extMaterialsVariants = "KHR_materials_variants"

// maxVariants bounds the variants of one model.
const maxVariants = 64

// maxVariantName bounds a variant's name, in bytes.
const maxVariantName = 80

// MeshVariant is the material a mesh takes in one variant.
type MeshVariant struct {
	Variant  int // index into Model.Variants
	Material int // index into Model.Materials
	// UVs are the mesh's texture coordinates for this material when its
	// base colour texture reads another set or transform than the
	// default material's; nil when Mesh.UVs serve.
	UVs []float32
}

// Variant returns the material and texture coordinates m takes in
// variant v: the variant's mapping when it has one, else the mesh's
// default (as for v < 0, no variant chosen).
func (m *Mesh) Variant(v int) (material int, uvs []float32) {
	for _, mv := range m.Variants {
		if mv.Variant == v {
			if mv.UVs != nil {
				return mv.Material, mv.UVs
			}
			return mv.Material, m.UVs
		}
	}
	return m.Material, m.UVs
}

// HasVariant reports whether variant v changes any mesh of m.
func (m *Model) HasVariant(v int) bool {
	for i := range m.Meshes {
		for _, mv := range m.Meshes[i].Variants {
			if mv.Variant == v {
				return true
			}
		}
	}
	return false
}

// variantsDoc is the document-level extension object.
type variantsDoc struct {
	Variants []struct {
		Name string `json:"name"`
	} `json:"variants"`
}

// variantsPrimitive is the primitive-level extension object.
type variantsPrimitive struct {
	Mappings []struct {
		Material *int  `json:"material"`
		Variants []int `json:"variants"`
	} `json:"mappings"`
}

// variants reads the document's variant names.
func (d *decoder) variants() ([]string, error) {
	ext := d.doc.Extensions.Variants
	if ext == nil {
		return nil, nil
	}
	if len(ext.Variants) > maxVariants {
		return nil, fmt.Errorf("%w: %d material variants, limit %d", ErrTooLarge, len(ext.Variants), maxVariants)
	}
	names := make([]string, len(ext.Variants))
	for i, v := range ext.Variants {
		name := v.Name
		if name == "" {
			name = fmt.Sprintf("Variant %d", i+1)
		}
		if len(name) > maxVariantName {
			return nil, fmt.Errorf("%w: material variant %d has a %d-byte name, limit %d", ErrInvalid, i, len(name), maxVariantName)
		}
		names[i] = name
	}
	d.variantCount = len(names)
	return names, nil
}

// meshVariants reads a primitive's variant mappings. def is the
// primitive's default base colour mapping; readUVs reads one of its
// texture coordinate sets (nil when absent).
func (d *decoder) meshVariants(p primitive, def uvMapping, readUVs func(set int) ([]float32, error)) ([]MeshVariant, error) {
	ext := p.Extensions.Variants
	if ext == nil {
		return nil, nil
	}
	var out []MeshVariant
	for mi, mp := range ext.Mappings {
		if mp.Material == nil || *mp.Material < 0 || *mp.Material >= len(d.doc.Materials) {
			return nil, fmt.Errorf("%w: %s mapping %d names no material of %d", ErrInvalid, extMaterialsVariants, mi, len(d.doc.Materials))
		}
		mat := *mp.Material
		var uvs []float32
		if uv := d.baseColorUV[mat]; uv != def {
			var err error
			if uvs, err = readUVs(uv.set); err != nil {
				return nil, err
			}
			if err := uv.transform.apply(uvs); err != nil {
				return nil, fmt.Errorf("%s mapping %d: %w", extMaterialsVariants, mi, err)
			}
		}
		for _, v := range mp.Variants {
			if v < 0 || v >= d.variantCount {
				return nil, fmt.Errorf("%w: %s mapping %d names variant %d of %d", ErrInvalid, extMaterialsVariants, mi, v, d.variantCount)
			}
			if slices.ContainsFunc(out, func(o MeshVariant) bool { return o.Variant == v }) {
				return nil, fmt.Errorf("%w: %s maps variant %d twice on one primitive", ErrInvalid, extMaterialsVariants, v)
			}
			out = append(out, MeshVariant{Variant: v, Material: mat, UVs: uvs})
		}
	}
	return out, nil
}

// DefaultVariant returns the first variant under which every mesh keeps
// its default material and texture coordinates (the look the model
// opens with), or -1 when every variant changes something.
func (m *Model) DefaultVariant() int {
	for v := range m.Variants {
		same := true
		for i := range m.Meshes {
			mesh := &m.Meshes[i]
			if mat, _ := mesh.Variant(v); mat != mesh.Material {
				same = false
				break
			}
			for _, mv := range mesh.Variants {
				if mv.Variant == v && mv.UVs != nil {
					same = false
				}
			}
		}
		if same {
			return v
		}
	}
	return -1
}

// Swatch returns a representative linear RGB colour of variant v: the
// base colour factor of the first material the variant gives a mesh, or,
// when v changes nothing (or v < 0), of the first mesh's default
// material; white for the default material.
func (m *Model) Swatch(v int) [3]float32 {
	mat := -1
	if len(m.Meshes) > 0 {
		mat = m.Meshes[0].Material
	}
outer:
	for i := range m.Meshes {
		for _, mv := range m.Meshes[i].Variants {
			if mv.Variant == v {
				mat = mv.Material
				break outer
			}
		}
	}
	if mat < 0 || mat >= len(m.Materials) {
		return [3]float32{1, 1, 1}
	}
	c := m.Materials[mat].BaseColor
	return [3]float32{c[0], c[1], c[2]}
}
