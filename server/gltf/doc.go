// Package gltf reads and writes glTF 2.0 assets: GLB containers and .gltf
// JSON with resources. Parsing is bounded (sizes and counts are checked
// before allocation) because uploads are untrusted.
package gltf

import "encoding/json"

// Document is the glTF 2.0 JSON object model, with the members Vitrine
// reads and writes. Extensions and extras are kept as raw JSON so they
// survive a round trip.
type Document struct {
	Asset              AssetInfo                  `json:"asset"`
	ExtensionsUsed     []string                   `json:"extensionsUsed,omitempty"`
	ExtensionsRequired []string                   `json:"extensionsRequired,omitempty"`
	Scene              *int                       `json:"scene,omitempty"`
	Scenes             []Scene                    `json:"scenes,omitempty"`
	Nodes              []Node                     `json:"nodes,omitempty"`
	Meshes             []Mesh                     `json:"meshes,omitempty"`
	Accessors          []Accessor                 `json:"accessors,omitempty"`
	BufferViews        []BufferView               `json:"bufferViews,omitempty"`
	Buffers            []Buffer                   `json:"buffers,omitempty"`
	Materials          []Material                 `json:"materials,omitempty"`
	Textures           []Texture                  `json:"textures,omitempty"`
	Images             []Image                    `json:"images,omitempty"`
	Samplers           []Sampler                  `json:"samplers,omitempty"`
	Skins              []json.RawMessage          `json:"skins,omitempty"`
	Animations         []json.RawMessage          `json:"animations,omitempty"`
	Cameras            []json.RawMessage          `json:"cameras,omitempty"`
	Extensions         map[string]json.RawMessage `json:"extensions,omitempty"`
	Extras             json.RawMessage            `json:"extras,omitempty"`
}

// AssetInfo is the glTF "asset" header: version and generator.
type AssetInfo struct {
	Version    string `json:"version"`
	MinVersion string `json:"minVersion,omitempty"`
	Generator  string `json:"generator,omitempty"`
	Copyright  string `json:"copyright,omitempty"`
}

// Scene lists root nodes.
type Scene struct {
	Name  string `json:"name,omitempty"`
	Nodes []int  `json:"nodes,omitempty"`
}

// Node is a transform in the node hierarchy. Matrix is column-major; when
// absent, Translation, Rotation (quaternion x,y,z,w) and Scale apply.
type Node struct {
	Name        string                     `json:"name,omitempty"`
	Children    []int                      `json:"children,omitempty"`
	Mesh        *int                       `json:"mesh,omitempty"`
	Skin        *int                       `json:"skin,omitempty"`
	Camera      *int                       `json:"camera,omitempty"`
	Matrix      []float64                  `json:"matrix,omitempty"`
	Translation []float64                  `json:"translation,omitempty"`
	Rotation    []float64                  `json:"rotation,omitempty"`
	Scale       []float64                  `json:"scale,omitempty"`
	Weights     []float64                  `json:"weights,omitempty"`
	Extensions  map[string]json.RawMessage `json:"extensions,omitempty"`
	Extras      json.RawMessage            `json:"extras,omitempty"`
}

// Mesh is a set of primitives.
type Mesh struct {
	Name       string                     `json:"name,omitempty"`
	Primitives []Primitive                `json:"primitives"`
	Weights    []float64                  `json:"weights,omitempty"`
	Extensions map[string]json.RawMessage `json:"extensions,omitempty"`
	Extras     json.RawMessage            `json:"extras,omitempty"`
}

// Primitive modes.
const (
	ModePoints        = 0
	ModeLines         = 1
	ModeLineLoop      = 2
	ModeLineStrip     = 3
	ModeTriangles     = 4
	ModeTriangleStrip = 5
	ModeTriangleFan   = 6
)

// Primitive is one draw call: attributes (POSITION, NORMAL, TEXCOORD_0, …)
// mapped to accessor indices, optional indices and material.
type Primitive struct {
	Attributes map[string]int             `json:"attributes"`
	Indices    *int                       `json:"indices,omitempty"`
	Material   *int                       `json:"material,omitempty"`
	Mode       *int                       `json:"mode,omitempty"`
	Targets    []map[string]int           `json:"targets,omitempty"`
	Extensions map[string]json.RawMessage `json:"extensions,omitempty"`
	Extras     json.RawMessage            `json:"extras,omitempty"`
}

// Component types of accessors.
const (
	ComponentByte          = 5120
	ComponentUnsignedByte  = 5121
	ComponentShort         = 5122
	ComponentUnsignedShort = 5123
	ComponentUnsignedInt   = 5125
	ComponentFloat         = 5126
)

// Accessor types.
const (
	TypeScalar = "SCALAR"
	TypeVec2   = "VEC2"
	TypeVec3   = "VEC3"
	TypeVec4   = "VEC4"
	TypeMat2   = "MAT2"
	TypeMat3   = "MAT3"
	TypeMat4   = "MAT4"
)

// Accessor describes typed data in a buffer view.
type Accessor struct {
	Name          string                     `json:"name,omitempty"`
	BufferView    *int                       `json:"bufferView,omitempty"`
	ByteOffset    int                        `json:"byteOffset,omitempty"`
	ComponentType int                        `json:"componentType"`
	Normalized    bool                       `json:"normalized,omitempty"`
	Count         int                        `json:"count"`
	Type          string                     `json:"type"`
	Max           []float64                  `json:"max,omitempty"`
	Min           []float64                  `json:"min,omitempty"`
	Sparse        json.RawMessage            `json:"sparse,omitempty"`
	Extensions    map[string]json.RawMessage `json:"extensions,omitempty"`
	Extras        json.RawMessage            `json:"extras,omitempty"`
}

// Buffer view targets.
const (
	TargetArrayBuffer        = 34962
	TargetElementArrayBuffer = 34963
)

// BufferView is a byte range of a buffer.
type BufferView struct {
	Name       string                     `json:"name,omitempty"`
	Buffer     int                        `json:"buffer"`
	ByteOffset int                        `json:"byteOffset,omitempty"`
	ByteLength int                        `json:"byteLength"`
	ByteStride int                        `json:"byteStride,omitempty"`
	Target     int                        `json:"target,omitempty"`
	Extensions map[string]json.RawMessage `json:"extensions,omitempty"`
	Extras     json.RawMessage            `json:"extras,omitempty"`
}

// Buffer is a blob of binary data: the GLB BIN chunk when URI is empty in a
// GLB, otherwise a resource beside the .gltf or a data: URI.
type Buffer struct {
	Name       string                     `json:"name,omitempty"`
	URI        string                     `json:"uri,omitempty"`
	ByteLength int                        `json:"byteLength"`
	Extensions map[string]json.RawMessage `json:"extensions,omitempty"`
	Extras     json.RawMessage            `json:"extras,omitempty"`
}

// TextureInfo references a texture from a material.
type TextureInfo struct {
	Index      int                        `json:"index"`
	TexCoord   int                        `json:"texCoord,omitempty"`
	Scale      *float64                   `json:"scale,omitempty"`
	Strength   *float64                   `json:"strength,omitempty"`
	Extensions map[string]json.RawMessage `json:"extensions,omitempty"`
	Extras     json.RawMessage            `json:"extras,omitempty"`
}

// PBRMetallicRoughness is the core material model.
type PBRMetallicRoughness struct {
	BaseColorFactor          []float64                  `json:"baseColorFactor,omitempty"`
	BaseColorTexture         *TextureInfo               `json:"baseColorTexture,omitempty"`
	MetallicFactor           *float64                   `json:"metallicFactor,omitempty"`
	RoughnessFactor          *float64                   `json:"roughnessFactor,omitempty"`
	MetallicRoughnessTexture *TextureInfo               `json:"metallicRoughnessTexture,omitempty"`
	Extensions               map[string]json.RawMessage `json:"extensions,omitempty"`
	Extras                   json.RawMessage            `json:"extras,omitempty"`
}

// Material is a glTF material.
type Material struct {
	Name                 string                     `json:"name,omitempty"`
	PBRMetallicRoughness *PBRMetallicRoughness      `json:"pbrMetallicRoughness,omitempty"`
	NormalTexture        *TextureInfo               `json:"normalTexture,omitempty"`
	OcclusionTexture     *TextureInfo               `json:"occlusionTexture,omitempty"`
	EmissiveTexture      *TextureInfo               `json:"emissiveTexture,omitempty"`
	EmissiveFactor       []float64                  `json:"emissiveFactor,omitempty"`
	AlphaMode            string                     `json:"alphaMode,omitempty"`
	AlphaCutoff          *float64                   `json:"alphaCutoff,omitempty"`
	DoubleSided          bool                       `json:"doubleSided,omitempty"`
	Extensions           map[string]json.RawMessage `json:"extensions,omitempty"`
	Extras               json.RawMessage            `json:"extras,omitempty"`
}

// Texture pairs an image source with a sampler.
type Texture struct {
	Name       string                     `json:"name,omitempty"`
	Sampler    *int                       `json:"sampler,omitempty"`
	Source     *int                       `json:"source,omitempty"`
	Extensions map[string]json.RawMessage `json:"extensions,omitempty"`
	Extras     json.RawMessage            `json:"extras,omitempty"`
}

// Image is a texture image, by URI or buffer view with a MIME type.
type Image struct {
	Name       string                     `json:"name,omitempty"`
	URI        string                     `json:"uri,omitempty"`
	MimeType   string                     `json:"mimeType,omitempty"`
	BufferView *int                       `json:"bufferView,omitempty"`
	Extensions map[string]json.RawMessage `json:"extensions,omitempty"`
	Extras     json.RawMessage            `json:"extras,omitempty"`
}

// Sampler holds texture filtering and wrapping.
type Sampler struct {
	Name      string          `json:"name,omitempty"`
	MagFilter int             `json:"magFilter,omitempty"`
	MinFilter int             `json:"minFilter,omitempty"`
	WrapS     int             `json:"wrapS,omitempty"`
	WrapT     int             `json:"wrapT,omitempty"`
	Extras    json.RawMessage `json:"extras,omitempty"`
}
