package catalogen

import (
	"testing"
)

// TestWindingMatchesNormals checks, for every product, that triangles wind
// counter-clockwise around their vertex normals: viewers that cull back
// faces would otherwise show holes, and lighting would be inverted.
func TestWindingMatchesNormals(t *testing.T) {
	for _, s := range specs() {
		md := s.build()
		for pi, pt := range md.parts {
			m := pt.mesh
			bad, total := 0, 0
			for i := 0; i+2 < len(m.idx); i += 3 {
				a, b, c := m.pos[m.idx[i]], m.pos[m.idx[i+1]], m.pos[m.idx[i+2]]
				face := b.sub(a).cross(c.sub(a))
				if face.length() < 1e-14 {
					continue
				}
				total++
				n := m.nrm[m.idx[i]].add(m.nrm[m.idx[i+1]]).add(m.nrm[m.idx[i+2]])
				if face.dot(n) <= 0 {
					bad++
				}
			}
			if bad > 0 {
				t.Errorf("%s part %d (%s): %d of %d triangles wind against their normals", s.sku, pi, pt.mat.name, bad, total)
			}
		}
	}
}
