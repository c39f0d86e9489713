package glb

import (
	"fmt"
	"math"
)

// uvMapping says which texture coordinate set a texture reads and how
// KHR_texture_transform maps it.
type uvMapping struct {
	set       int
	transform uvAffine
}

// uvAffine is a 2×3 affine map of texture coordinates, row-major:
// u' = a·u + b·v + c, v' = d·u + e·v + f.
type uvAffine [6]float64

func identityUV() uvAffine { return uvAffine{1, 0, 0, 0, 1, 0} }

func (t uvAffine) isIdentity() bool { return t == identityUV() }

// textureMapping reads a texture info's coordinate set and its
// KHR_texture_transform: uv' = offset + R·(scale∘uv) with
// R = [cos r, sin r; −sin r, cos r], the matrix the glTF sample viewer
// and the asset pipeline (server/assetpipe, which composes its UV
// dequantisation into this transform) use; the transform's texCoord, when
// present, overrides the texture info's.
func textureMapping(t *textureRef) (uvMapping, error) {
	m := uvMapping{set: t.TexCoord, transform: identityUV()}
	if m.set < 0 {
		return m, fmt.Errorf("%w: texCoord %d", ErrInvalid, m.set)
	}
	x := t.Extensions.Transform
	if x == nil {
		return m, nil
	}
	offset, scale, rotation := [2]float64{0, 0}, [2]float64{1, 1}, 0.0
	if x.Offset != nil {
		if len(x.Offset) != 2 {
			return m, fmt.Errorf("%w: %s offset has %d elements", ErrInvalid, extTextureTransform, len(x.Offset))
		}
		copy(offset[:], x.Offset)
	}
	if x.Scale != nil {
		if len(x.Scale) != 2 {
			return m, fmt.Errorf("%w: %s scale has %d elements", ErrInvalid, extTextureTransform, len(x.Scale))
		}
		copy(scale[:], x.Scale)
	}
	if x.Rotation != nil {
		rotation = *x.Rotation
	}
	for _, v := range [...]float64{offset[0], offset[1], scale[0], scale[1], rotation} {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return m, fmt.Errorf("%w: %s is not finite", ErrInvalid, extTextureTransform)
		}
	}
	if x.TexCoord != nil {
		if *x.TexCoord < 0 {
			return m, fmt.Errorf("%w: %s texCoord %d", ErrInvalid, extTextureTransform, *x.TexCoord)
		}
		m.set = *x.TexCoord
	}
	c, s := math.Cos(rotation), math.Sin(rotation)
	m.transform = uvAffine{
		c * scale[0], s * scale[1], offset[0],
		-s * scale[0], c * scale[1], offset[1],
	}
	return m, nil
}

// apply maps every u, v pair of uv in place; it fails when a result does
// not fit a float32.
func (t uvAffine) apply(uv []float32) error {
	if t.isIdentity() {
		return nil
	}
	for i := 0; i+1 < len(uv); i += 2 {
		u, v := float64(uv[i]), float64(uv[i+1])
		x, y := t[0]*u+t[1]*v+t[2], t[3]*u+t[4]*v+t[5]
		if math.Abs(x) > math.MaxFloat32 || math.Abs(y) > math.MaxFloat32 {
			return fmt.Errorf("%w: %s takes texture coordinate %d out of range", ErrInvalid, extTextureTransform, i/2)
		}
		uv[i], uv[i+1] = float32(x), float32(y)
	}
	return nil
}
