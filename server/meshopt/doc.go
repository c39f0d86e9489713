// Package meshopt optimises indexed triangle meshes for streaming and
// drawing: quadric-error edge-collapse simplification (Garland–Heckbert,
// with attribute quadrics and meshoptimizer's vertex classification so that
// UV seams, hard edges and open borders survive), vertex cache ordering
// (Forsyth's linear-speed algorithm), vertex fetch ordering, and the
// integer quantisation KHR_mesh_quantization allows.
//
// Every function is deterministic (the same input gives the same output on
// every run and platform) and bounded: inputs larger than MaxVertices or
// MaxIndices are refused before anything is allocated for them.
package meshopt

import "errors"

// Bounds on the meshes this package accepts.
const (
	// MaxVertices bounds the vertex count of a mesh.
	MaxVertices = 1 << 25
	// MaxIndices bounds the index count of a mesh (three per triangle).
	MaxIndices = 3 << 25
)

// ErrInvalid is wrapped by every error about unusable input: index counts
// that are not a multiple of three, indices out of range, attribute arrays
// of the wrong length, meshes over the size bounds, non-finite positions.
var ErrInvalid = errors.New("meshopt: invalid mesh")
