package assetpipe

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"io/fs"
	"math"
	"path"
	"sort"
	"strings"

	"github.com/vitrine-shop/vitrine/server/gltf"
)

// convertOBJ reads objName and the files it names from src, converts them
// to a single-mesh glTF asset (a primitive per material) and validates the
// result with gltf.ParseGLB. The OBJ's own warnings come first in the
// asset's warnings.
func convertOBJ(src objSource, objName string, lim gltf.Limits) (*gltf.Asset, []byte, error) {
	r := &objProblems{}
	olim := objLimitsFrom(lim)
	data, err := src.read(objName, lim.MaxBytes)
	if err != nil {
		reportRead(r, objName, "", err)
		return nil, nil, &gltf.InvalidError{Problems: r.sorted()}
	}
	file := path.Base(objName)
	obj := parseOBJ(data, file, olim, r)
	if r.errors > 0 {
		return nil, nil, &gltf.InvalidError{Problems: r.sorted()}
	}
	mats := map[string]*mtlMaterial{}
	for _, lib := range obj.mtllibs {
		where := at(file, lib.line)
		full, ok := resolveRef(path.Dir(objName), lib.path)
		if !ok {
			r.errorf("URI_NOT_ALLOWED", where, "mtllib %q points outside the upload (an absolute path, a drive, a URL or '..')", truncate(lib.path, 120))
			continue
		}
		mtl, err := src.read(full, lim.MaxJSONBytes)
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				r.errorf("OBJ_MTL_MISSING", where, "the material library %q is not in the upload; add it to the zip with the .obj", truncate(lib.path, 120))
				continue
			}
			reportRead(r, full, where, err)
			continue
		}
		parseMTL(mtl, path.Base(full), path.Dir(full), olim, mats, r)
	}
	if r.errors > 0 {
		return nil, nil, &gltf.InvalidError{Problems: r.sorted()}
	}
	c := &objConverter{src: src, lim: lim, olim: olim, r: r, b: gltf.NewBuilder("vitrine OBJ import"), obj: obj,
		images: map[string]int{}, composed: map[string]int{}, normalMapped: map[int]bool{}}
	c.reportParse()
	glb, err := c.build(mats)
	if err != nil {
		return nil, nil, err
	}
	if r.errors > 0 {
		return nil, nil, &gltf.InvalidError{Problems: r.sorted()}
	}
	asset, err := gltf.ParseGLB(glb, lim)
	var inv *gltf.InvalidError
	if errors.As(err, &inv) {
		return nil, nil, &gltf.InvalidError{Problems: append(r.sorted(), inv.Problems...)}
	}
	if err != nil {
		return nil, nil, fmt.Errorf("assetpipe: converted OBJ: %w", err)
	}
	asset.Warnings = append(r.sorted(), asset.Warnings...)
	return asset, glb, nil
}

// reportRead turns a failed read of a file the upload names into a problem.
func reportRead(r *objProblems, name, where string, err error) {
	switch {
	case errors.Is(err, fs.ErrNotExist):
		r.errorf("EXTERNAL_RESOURCE_MISSING", where, "%q is not in the upload", truncate(name, 120))
	case errors.Is(err, errOverBudget):
		r.errorf("LIMIT_EXCEEDED", where, "%q: %v", truncate(name, 120), err)
	default:
		r.errorf("OBJ_FILE_UNREADABLE", where, "%q cannot be read: %v", truncate(name, 120), err)
	}
}

type objConverter struct {
	src  objSource
	lim  gltf.Limits
	olim objLimits
	r    *objProblems
	b    *gltf.Builder
	obj  *objFile
	// images maps a resolved path to its texture index; composed maps a
	// combination of paths (base colour with opacity, roughness with
	// metalness) to the texture made from them.
	images   map[string]int
	composed map[string]int
	// patches are material fields the Builder's MaterialSpec does not
	// carry, applied to the document before it is written.
	patches []materialPatch
	// normalMapped marks the materials with a normal texture, whose
	// primitives get tangents.
	normalMapped map[int]bool
}

type materialPatch struct {
	material int
	blend    bool
	emissive []float64
	emissTex int
}

func (c *objConverter) reportParse() {
	o, file := c.obj, c.obj.name
	if o.ngons > 0 {
		msg := fmt.Sprintf("%d faces with more than three corners were triangulated (convex ones as fans", o.ngons)
		if o.earClipped > 0 {
			msg += fmt.Sprintf(", %d concave ones by ear clipping", o.earClipped)
		}
		c.r.infof("OBJ_TRIANGULATED", file, "%s)", msg)
	}
	if o.concaveFans > 0 {
		c.r.warnf("OBJ_CONCAVE_FACES", file, "%d concave or self-intersecting faces could not be ear-clipped and were fanned; they may draw outside their outline", o.concaveFans)
	}
	if o.degenerate > 0 {
		c.r.warnf("OBJ_DEGENERATE_FACES", file, "%d triangles repeat a vertex and were dropped", o.degenerate)
	}
	if len(o.faceNormals) > 0 || o.smoothed {
		c.r.infof("OBJ_NORMALS_COMPUTED", file, "faces without normals got computed ones: smooth within their smoothing group (s N), flat where smoothing is off")
	}
	if o.vertexColors {
		c.r.warnf("OBJ_UNSUPPORTED", file, "vertex colours (v x y z r g b) are ignored")
	}
	kws := make([]string, 0, len(o.unsupported))
	for kw := range o.unsupported {
		kws = append(kws, kw)
	}
	sort.Slice(kws, func(i, j int) bool { return o.unsupported[kws[i]] < o.unsupported[kws[j]] })
	for _, kw := range kws {
		what := "is not supported"
		switch kw {
		case "l", "p":
			what = "draws lines or points, which a product model cannot show"
		case "curv", "curv2", "surf", "cstype", "deg", "parm", "trim", "hole", "end", "bmat", "step":
			what = "describes free-form curves or surfaces; export them as polygons"
		}
		c.r.warnf("OBJ_UNSUPPORTED", at(file, o.unsupported[kw]), "the statement %q %s; it is ignored (first use here)", truncate(kw, 40), what)
	}
}

// build assembles the document and returns the GLB.
func (c *objConverter) build(mats map[string]*mtlMaterial) ([]byte, error) {
	smoothNormals := c.smoothNormals()
	var prims []gltf.PrimitiveData
	matIndex := map[string]int{}
	for _, g := range c.obj.groups {
		if len(g.tris) == 0 {
			continue
		}
		material := -1
		if g.material != "" {
			idx, ok := matIndex[g.material]
			if !ok {
				m := mats[g.material]
				if m == nil {
					c.r.warnf("OBJ_MATERIAL_MISSING", at(c.obj.name, g.line), "material %q is not defined in any .mtl file; a plain grey material is used", truncate(g.material, 80))
					m = &mtlMaterial{name: g.material}
				}
				var err error
				if idx, err = c.material(m); err != nil {
					return nil, err
				}
				matIndex[g.material] = idx
			}
			material = idx
		}
		p := c.primitive(g, smoothNormals, material)
		if c.normalMapped[material] && p.UVs != nil {
			p.Tangents = tangents(p)
		}
		prims = append(prims, p)
	}
	if len(prims) == 0 {
		c.r.errorf("OBJ_NO_GEOMETRY", c.obj.name, "the file has no faces (f statements); a product model needs polygons")
		return nil, nil
	}
	if c.r.errors > 0 {
		return nil, nil
	}
	mesh, err := c.b.AddMesh(strings.TrimSuffix(c.obj.name, path.Ext(c.obj.name)), prims)
	if err != nil {
		return nil, fmt.Errorf("assetpipe: convert OBJ: %w", err)
	}
	node, err := c.b.AddNode(gltf.NodeSpec{Name: c.obj.name, Mesh: mesh})
	if err != nil {
		return nil, fmt.Errorf("assetpipe: convert OBJ: %w", err)
	}
	if err := c.b.AddToScene(node); err != nil {
		return nil, fmt.Errorf("assetpipe: convert OBJ: %w", err)
	}
	doc, bin := c.b.Document()
	// The builder's document aliases its state: patch a copy.
	doc.Materials = append([]gltf.Material(nil), doc.Materials...)
	for _, p := range c.patches {
		m := &doc.Materials[p.material]
		if p.blend {
			m.AlphaMode = "BLEND"
		}
		m.EmissiveFactor = p.emissive
		if p.emissTex >= 0 {
			m.EmissiveTexture = &gltf.TextureInfo{Index: p.emissTex}
		}
	}
	glb, err := gltf.WriteGLB(doc, bin)
	if err != nil {
		return nil, fmt.Errorf("assetpipe: convert OBJ: %w", err)
	}
	return glb, nil
}

type smoothKey struct{ v, group int32 }

// smoothNormals sums the area-weighted normals of the smoothed triangles
// without vn around each (vertex, smoothing group).
func (c *objConverter) smoothNormals() map[smoothKey][3]float64 {
	if !c.obj.smoothed {
		return nil
	}
	out := map[smoothKey][3]float64{}
	pos := c.obj.positions
	for _, g := range c.obj.groups {
		for _, t := range g.tris {
			if t.smooth == 0 || t.flat >= 0 || t.c[0].vn >= 0 {
				continue
			}
			n := triNormal(pos[t.c[0].v], pos[t.c[1].v], pos[t.c[2].v])
			for _, cr := range t.c {
				k := smoothKey{cr.v, t.smooth}
				s := out[k]
				out[k] = [3]float64{s[0] + n[0], s[1] + n[1], s[2] + n[2]}
			}
		}
	}
	return out
}

// triNormal is twice the triangle's vector area.
func triNormal(a, b, c [3]float32) [3]float64 {
	u := [3]float64{float64(b[0] - a[0]), float64(b[1] - a[1]), float64(b[2] - a[2])}
	v := [3]float64{float64(c[0] - a[0]), float64(c[1] - a[1]), float64(c[2] - a[2])}
	return [3]float64{u[1]*v[2] - u[2]*v[1], u[2]*v[0] - u[0]*v[2], u[0]*v[1] - u[1]*v[0]}
}

type vertexKey struct{ v, vt, vn, flat, smooth int32 }

// primitive welds the group's corners into indexed vertices: corners with
// the same position, texture coordinate and normal share a vertex.
func (c *objConverter) primitive(g *objGroup, smooth map[smoothKey][3]float64, material int) gltf.PrimitiveData {
	o := c.obj
	p := gltf.PrimitiveData{Material: material, Indices: make([]uint32, 0, 3*len(g.tris))}
	hasUV := false
	for _, t := range g.tris {
		if t.c[0].vt >= 0 {
			hasUV = true
			break
		}
	}
	seen := map[vertexKey]uint32{}
	badNormals := 0
	for _, t := range g.tris {
		var faceN [3]float32
		haveFaceN := false
		for _, cr := range t.c {
			k := vertexKey{cr.v, cr.vt, cr.vn, -1, 0}
			if cr.vn < 0 {
				if t.flat >= 0 {
					k.flat = t.flat
				} else {
					k.smooth = t.smooth
				}
			}
			if ix, ok := seen[k]; ok {
				p.Indices = append(p.Indices, ix)
				continue
			}
			if !haveFaceN {
				faceN = unitOr(triNormal(o.positions[t.c[0].v], o.positions[t.c[1].v], o.positions[t.c[2].v]), [3]float32{0, 1, 0})
				haveFaceN = true
			}
			var n [3]float32
			switch {
			case cr.vn >= 0:
				v := o.normals[cr.vn]
				n = unitOr([3]float64{float64(v[0]), float64(v[1]), float64(v[2])}, faceN)
				if v == ([3]float32{}) {
					badNormals++
				}
			case t.flat >= 0:
				n = o.faceNormals[t.flat]
			default:
				n = unitOr(smooth[smoothKey{cr.v, t.smooth}], faceN)
			}
			ix := uint32(len(p.Positions))
			seen[k] = ix
			p.Positions = append(p.Positions, o.positions[cr.v])
			p.Normals = append(p.Normals, n)
			if hasUV {
				var uv [2]float32
				if cr.vt >= 0 {
					uv = o.texcoords[cr.vt]
				}
				p.UVs = append(p.UVs, uv)
			}
			p.Indices = append(p.Indices, ix)
		}
	}
	if badNormals > 0 {
		c.r.warnf("OBJ_NORMAL_INVALID", o.name, "%d vertices of material %q have a zero-length normal; the face normal is used", badNormals, truncate(g.material, 80))
	}
	return p
}

// tangents computes per-vertex tangents from the texture coordinates (as
// glTF asks clients to when a normal-mapped primitive has none): each
// triangle's ∂P/∂u, summed per vertex, made orthogonal to the normal,
// with w the handedness of ∂P/∂v. A vertex without a usable direction
// gets any unit vector perpendicular to its normal.
func tangents(p gltf.PrimitiveData) [][4]float32 {
	tan := make([][3]float64, len(p.Positions))
	bit := make([][3]float64, len(p.Positions))
	for i := 0; i+2 < len(p.Indices); i += 3 {
		a, b, c := p.Indices[i], p.Indices[i+1], p.Indices[i+2]
		p0, p1, p2 := p.Positions[a], p.Positions[b], p.Positions[c]
		t0, t1, t2 := p.UVs[a], p.UVs[b], p.UVs[c]
		e1 := [3]float64{float64(p1[0] - p0[0]), float64(p1[1] - p0[1]), float64(p1[2] - p0[2])}
		e2 := [3]float64{float64(p2[0] - p0[0]), float64(p2[1] - p0[1]), float64(p2[2] - p0[2])}
		du1, dv1 := float64(t1[0]-t0[0]), float64(t1[1]-t0[1])
		du2, dv2 := float64(t2[0]-t0[0]), float64(t2[1]-t0[1])
		det := du1*dv2 - du2*dv1
		if math.Abs(det) < 1e-20 {
			continue
		}
		r := 1 / det
		var t, bt [3]float64
		for k := range 3 {
			t[k] = (e1[k]*dv2 - e2[k]*dv1) * r
			bt[k] = (e2[k]*du1 - e1[k]*du2) * r
		}
		for _, v := range [3]uint32{a, b, c} {
			for k := range 3 {
				tan[v][k] += t[k]
				bit[v][k] += bt[k]
			}
		}
	}
	out := make([][4]float32, len(p.Positions))
	for i, n32 := range p.Normals {
		n := [3]float64{float64(n32[0]), float64(n32[1]), float64(n32[2])}
		t := tan[i]
		d := t[0]*n[0] + t[1]*n[1] + t[2]*n[2]
		t = [3]float64{t[0] - n[0]*d, t[1] - n[1]*d, t[2] - n[2]*d}
		l := math.Sqrt(t[0]*t[0] + t[1]*t[1] + t[2]*t[2])
		if !(l > 1e-12) || math.IsInf(l, 0) {
			// Any perpendicular: n × (the axis least aligned with n).
			axis := [3]float64{1, 0, 0}
			if math.Abs(n[0]) > 0.9 {
				axis = [3]float64{0, 1, 0}
			}
			t = [3]float64{n[1]*axis[2] - n[2]*axis[1], n[2]*axis[0] - n[0]*axis[2], n[0]*axis[1] - n[1]*axis[0]}
			l = math.Sqrt(t[0]*t[0] + t[1]*t[1] + t[2]*t[2])
		}
		t = [3]float64{t[0] / l, t[1] / l, t[2] / l}
		// Handedness: does n × t point along ∂P/∂v?
		nt := [3]float64{n[1]*t[2] - n[2]*t[1], n[2]*t[0] - n[0]*t[2], n[0]*t[1] - n[1]*t[0]}
		w := float32(1)
		if nt[0]*bit[i][0]+nt[1]*bit[i][1]+nt[2]*bit[i][2] < 0 {
			w = -1
		}
		out[i] = [4]float32{float32(t[0]), float32(t[1]), float32(t[2]), w}
	}
	return out
}

// material adds m (and its textures) and returns its index.
func (c *objConverter) material(m *mtlMaterial) (int, error) {
	base, metallic, roughness := m.pbr()
	spec := gltf.MaterialSpec{Name: m.name, BaseColor: base, Metallic: metallic, Roughness: roughness,
		BaseColorTexture: gltf.NoTexture, MetallicRoughnessTexture: gltf.NoTexture, NormalTexture: gltf.NoTexture}
	blend := base[3] < 1
	if m.hasD && m.d == 0 || !m.hasD && m.hasTr && m.tr == 1 {
		c.r.warnf("OBJ_MATERIAL_INVISIBLE", m.where, "material %q is fully transparent (d 0 or Tr 1) and will not show; some exporters write Tr meaning opacity", truncate(m.name, 80))
	}
	for _, tm := range []mtlMap{m.mapKd, m.mapD, m.mapBump, m.mapPr, m.mapPm, m.mapKe} {
		if tm.set() && len(tm.ignored) > 0 {
			c.r.warnf("OBJ_MTL_UNSUPPORTED", tm.where, "texture options %s are not applied", strings.Join(tm.ignored, ", "))
		}
	}
	// Base colour, with opacity from map_d in its alpha channel.
	switch {
	case m.mapD.set() && (!m.mapKd.set() || m.mapKd.path != m.mapD.path):
		spec.BaseColorTexture = c.composed2(m.dir, "base+alpha", m.mapKd, m.mapD, composeBaseAlpha)
		blend = true
	case m.mapKd.set():
		spec.BaseColorTexture = c.texture(m.dir, m.mapKd)
		blend = blend || m.mapD.set()
	}
	if m.mapBump.set() {
		spec.NormalTexture = c.normalTexture(m.dir, m.mapBump)
		if m.mapBump.bumpScale != 1 && spec.NormalTexture >= 0 {
			spec.NormalScale = m.mapBump.bumpScale
		}
	}
	if m.mapPr.set() || m.mapPm.set() {
		spec.MetallicRoughnessTexture = c.composed2(m.dir, "roughness+metalness", m.mapPr, m.mapPm, composeRoughMetal)
		// The factors scale the texture: keep explicit ones, else 1.
		if !m.hasPr && m.mapPr.set() {
			spec.Roughness = 1
		}
		if !m.hasPm && m.mapPm.set() {
			spec.Metallic = 1
		}
	}
	emissTex := gltf.NoTexture
	if m.mapKe.set() {
		emissTex = c.texture(m.dir, m.mapKe)
	}
	idx, err := c.b.AddMaterial(spec)
	if err != nil {
		return 0, fmt.Errorf("assetpipe: convert OBJ material %q: %w", m.name, err)
	}
	c.normalMapped[idx] = spec.NormalTexture >= 0
	patch := materialPatch{material: idx, blend: blend, emissTex: emissTex}
	switch {
	case m.hasKe && m.ke != [3]float64{}:
		patch.emissive = m.ke[:]
	case emissTex >= 0:
		patch.emissive = []float64{1, 1, 1}
	}
	if patch.blend || patch.emissive != nil || patch.emissTex >= 0 {
		c.patches = append(c.patches, patch)
	}
	return idx, nil
}

// readImage reads and checks the image a texture statement names:
// inside the upload, PNG or JPEG, header within the size limits (read
// before any pixel is decoded). It reports a problem and returns nil on
// failure.
func (c *objConverter) readImage(dir string, tm mtlMap) ([]byte, string) {
	full, ok := resolveRef(dir, tm.path)
	if !ok {
		c.r.errorf("URI_NOT_ALLOWED", tm.where, "the texture %q points outside the upload (an absolute path, a drive, a URL or '..'); put it in the zip and name it relative to the .mtl", truncate(tm.path, 120))
		return nil, ""
	}
	data, err := c.src.read(full, c.lim.MaxBytes)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			c.r.errorf("OBJ_TEXTURE_MISSING", tm.where, "the texture %q is not in the upload", truncate(tm.path, 120))
		} else {
			reportRead(c.r, full, tm.where, err)
		}
		return nil, ""
	}
	var cfg image.Config
	switch {
	case bytes.HasPrefix(data, []byte("\x89PNG\r\n\x1a\n")):
		cfg, err = png.DecodeConfig(bytes.NewReader(data))
	case bytes.HasPrefix(data, []byte{0xFF, 0xD8, 0xFF}):
		cfg, err = jpeg.DecodeConfig(bytes.NewReader(data))
	default:
		c.r.errorf("IMAGE_UNRECOGNIZED_FORMAT", tm.where, "the texture %q is neither PNG nor JPEG; convert it", truncate(tm.path, 120))
		return nil, ""
	}
	switch {
	case err != nil:
		c.r.errorf("IMAGE_DATA_INVALID", tm.where, "the texture %q header cannot be read: %v", truncate(tm.path, 120), err)
	case cfg.Width <= 0 || cfg.Height <= 0:
		c.r.errorf("IMAGE_DATA_INVALID", tm.where, "the texture %q is %d×%d pixels", truncate(tm.path, 120), cfg.Width, cfg.Height)
	case cfg.Width > c.lim.MaxImageSide || cfg.Height > c.lim.MaxImageSide:
		c.r.errorf("IMAGE_TOO_LARGE", tm.where, "MaxImageSide: the texture %q is %d×%d pixels, a side over the limit of %d", truncate(tm.path, 120), cfg.Width, cfg.Height, c.lim.MaxImageSide)
	case int64(cfg.Width)*int64(cfg.Height) > c.lim.MaxImagePixels:
		c.r.errorf("IMAGE_TOO_LARGE", tm.where, "MaxImagePixels: the texture %q is %d×%d pixels, over the limit of %d", truncate(tm.path, 120), cfg.Width, cfg.Height, c.lim.MaxImagePixels)
	default:
		return data, full
	}
	return nil, ""
}

// addImage stores image bytes once per key and returns its texture.
func (c *objConverter) addImage(key, name string, data []byte) int {
	if len(c.images) >= c.olim.maxImages {
		c.r.errorf("LIMIT_EXCEEDED", "", "more than %d textures", c.olim.maxImages)
		return gltf.NoTexture
	}
	img, err := c.b.AddImage(name, data)
	if err != nil {
		c.r.errorf("IMAGE_DATA_INVALID", "", "texture %q: %v", truncate(name, 120), err)
		return gltf.NoTexture
	}
	tex, err := c.b.AddTexture(img)
	if err != nil {
		c.r.errorf("IMAGE_DATA_INVALID", "", "texture %q: %v", truncate(name, 120), err)
		return gltf.NoTexture
	}
	c.images[key] = tex
	return tex
}

// texture returns the texture for a statement's file, added once.
func (c *objConverter) texture(dir string, tm mtlMap) int {
	if full, ok := resolveRef(dir, tm.path); ok {
		if tex, seen := c.images[full]; seen {
			return tex
		}
	}
	data, full := c.readImage(dir, tm)
	if data == nil {
		return gltf.NoTexture
	}
	return c.addImage(full, path.Base(full), data)
}

// decode decodes a checked image.
func (c *objConverter) decode(tm mtlMap, data []byte) image.Image {
	img, _, err := image.Decode(bytes.NewReader(data))
	if err != nil {
		c.r.errorf("IMAGE_DATA_INVALID", tm.where, "the texture %q does not decode: %v", truncate(tm.path, 120), err)
		return nil
	}
	return img
}

// normalTexture adds a bump statement's image as a normal map when it
// looks like one (bluish, x and y around the middle grey); a height map
// is not converted and is left out with a warning.
func (c *objConverter) normalTexture(dir string, tm mtlMap) int {
	// Cached apart from colour uses of the same file: a height map also
	// used as a colour must not come back as a normal map.
	if full, ok := resolveRef(dir, tm.path); ok {
		if tex, seen := c.images["normal|"+full]; seen {
			return tex
		}
	}
	data, full := c.readImage(dir, tm)
	if data == nil {
		return gltf.NoTexture
	}
	img := c.decode(tm, data)
	if img == nil {
		return gltf.NoTexture
	}
	if !looksLikeNormalMap(img) {
		c.r.warnf("OBJ_BUMP_MAP_IGNORED", tm.where, "%q looks like a height (bump) map, not a tangent-space normal map; it is left out", truncate(tm.path, 120))
		c.images["normal|"+full] = gltf.NoTexture
		return gltf.NoTexture
	}
	return c.addImage("normal|"+full, path.Base(full), data)
}

// looksLikeNormalMap samples up to 64×64 pixels: a tangent-space normal
// map averages a strong blue (z) with red and green (x, y) near 0.5.
func looksLikeNormalMap(img image.Image) bool {
	b := img.Bounds()
	var sr, sg, sb, n float64
	for y := 0; y < 64; y++ {
		for x := 0; x < 64; x++ {
			px := b.Min.X + x*b.Dx()/64
			py := b.Min.Y + y*b.Dy()/64
			r, g, bl, _ := img.At(px, py).RGBA()
			sr, sg, sb, n = sr+float64(r)/0xffff, sg+float64(g)/0xffff, sb+float64(bl)/0xffff, n+1
		}
	}
	return sb/n > 0.6 && math.Abs(sr/n-0.5) < 0.2 && math.Abs(sg/n-0.5) < 0.2
}

// composeFunc makes one output pixel from samples of two images (either
// may be absent: ok false).
type composeFunc func(a color.Color, aok bool, b color.Color, bok bool) color.NRGBA

// composeBaseAlpha puts map_d's opacity (its luminance) in the alpha of
// map_Kd's colour (white without map_Kd).
func composeBaseAlpha(kd color.Color, kdok bool, d color.Color, _ bool) color.NRGBA {
	out := color.NRGBA{255, 255, 255, 255}
	if kdok {
		out = color.NRGBAModel.Convert(kd).(color.NRGBA)
	}
	out.A = color.GrayModel.Convert(d).(color.Gray).Y
	return out
}

// composeRoughMetal packs roughness (map_Pr) in green and metalness
// (map_Pm) in blue, as glTF's metallicRoughnessTexture wants; an absent
// map reads as 1 (the factor then decides).
func composeRoughMetal(pr color.Color, prok bool, pm color.Color, pmok bool) color.NRGBA {
	out := color.NRGBA{0, 255, 255, 255}
	if prok {
		out.G = color.GrayModel.Convert(pr).(color.Gray).Y
	}
	if pmok {
		out.B = color.GrayModel.Convert(pm).(color.Gray).Y
	}
	return out
}

// composed2 builds one PNG texture from two statements' images (either
// may be unset) at the larger one's size, sampling the other nearest.
func (c *objConverter) composed2(dir, kind string, a, b mtlMap, fn composeFunc) int {
	var imgs [2]image.Image
	var names []string
	where := a.where
	if where == "" {
		where = b.where
	}
	for i, tm := range []mtlMap{a, b} {
		if !tm.set() {
			continue
		}
		data, full := c.readImage(dir, tm)
		if data == nil {
			return gltf.NoTexture
		}
		names = append(names, full)
		if imgs[i] = c.decode(tm, data); imgs[i] == nil {
			return gltf.NoTexture
		}
	}
	key := kind + "|" + strings.Join(names, "|")
	if tex, ok := c.composed[key]; ok {
		return tex
	}
	w, h := 0, 0
	for _, im := range imgs {
		if im != nil {
			w, h = max(w, im.Bounds().Dx()), max(h, im.Bounds().Dy())
		}
	}
	if int64(w)*int64(h) > c.lim.MaxImagePixels {
		c.r.errorf("IMAGE_TOO_LARGE", where, "combining %s makes a %d×%d texture, over the limit of %d pixels", strings.Join(names, " and "), w, h, c.lim.MaxImagePixels)
		return gltf.NoTexture
	}
	out := image.NewNRGBA(image.Rect(0, 0, w, h))
	sample := func(im image.Image, x, y int) (color.Color, bool) {
		if im == nil {
			return nil, false
		}
		bd := im.Bounds()
		return im.At(bd.Min.X+x*bd.Dx()/w, bd.Min.Y+y*bd.Dy()/h), true
	}
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			ca, aok := sample(imgs[0], x, y)
			cb, bok := sample(imgs[1], x, y)
			out.SetNRGBA(x, y, fn(ca, aok, cb, bok))
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, out); err != nil {
		c.r.errorf("IMAGE_DATA_INVALID", where, "combining %s: %v", strings.Join(names, " and "), err)
		return gltf.NoTexture
	}
	tex := c.addImage(key, strings.Join(names, "+"), buf.Bytes())
	c.composed[key] = tex
	return tex
}
