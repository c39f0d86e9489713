package assetpipe

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/vitrine-shop/vitrine/server/gltf"
	"github.com/vitrine-shop/vitrine/server/meshopt"
)

// Level describes one level of detail to build.
type Level struct {
	// Ratio is the fraction of the model's triangles to keep, in (0,1].
	Ratio float64
	// MaxError bounds the simplification error relative to each mesh's
	// extent (0.02 is 2%); 0 means unbounded, so that Ratio is reached.
	MaxError float64
	// MaxTextureSide shrinks textures to at most this many pixels a side;
	// 0 keeps them as they are.
	MaxTextureSide int
	// MinTriangles raises Ratio for small models so that the level keeps
	// about this many triangles, but never above half the previous
	// level's ratio: 1% of a 4000-triangle mug is not a mug.
	MinTriangles int
}

// DefaultLevels is the chain the upload path builds: the full model, then
// about 25%, 6% and 1% of its triangles (at least 300 triangles when that
// stays under half of 6%) with textures of at most 2048, 1024, 256 and 64
// pixels.
func DefaultLevels() []Level {
	return []Level{
		{Ratio: 1, MaxTextureSide: 2048},
		{Ratio: 0.25, MaxError: 0.02, MaxTextureSide: 1024},
		{Ratio: 0.06, MaxError: 0.05, MaxTextureSide: 256},
		{Ratio: 0.01, MaxError: 0.08, MaxTextureSide: 64, MinTriangles: 300},
	}
}

// LODOptions controls BuildLODs.
type LODOptions struct {
	// Levels lists the levels, finest first (nil means DefaultLevels).
	// Each level is simplified from the previous one.
	Levels []Level
	// PositionBits is the quantisation of positions, 1..16 (0 means 14,
	// gltfpack's default): 14 bits over a 2 m sofa is a 0.12 mm grid.
	PositionBits int
	// JPEGQuality is used for re-encoded opaque textures (0 means 85).
	JPEGQuality int
	// MaxCoarsestBytes is the size the coarsest level should stay under
	// (0 means 50 KiB); it is re-made with smaller textures and fewer
	// triangles until it does, or nothing more can be cut.
	MaxCoarsestBytes int
	// Root, when set, is applied as a new root node above the scene (the
	// unit, up-axis and origin normalisation).
	Root *RootTransform
	// Placement is recorded in the root node's extras (see docs/assets.md).
	Placement string
	// Generator names the tool in each GLB's asset header.
	Generator string
}

// LODResult is one built level.
type LODResult struct {
	Level int
	GLB   []byte
	// SizeBytes and SHA256 (hex) describe GLB.
	SizeBytes int64
	SHA256    string
	// Triangles and Vertices count what the level draws.
	Triangles, Vertices int
	// Ratio is the triangle fraction reached relative to level 0;
	// TargetRatio the fraction asked for (after MinTriangles).
	Ratio, TargetRatio float64
	// SimplifyError is the largest relative simplification error of any
	// mesh at this level (0 at level 0).
	SimplifyError float64
	// Bounds are the level's world-space bounds in metres.
	BoundsMin, BoundsMax [3]float64
}

// keptExtension reports whether an extension survives the rewrite: the
// material extensions, texture transforms, variants, lights and
// quantisation, none of which refer to buffers.
func keptExtension(name string) bool {
	return strings.HasPrefix(name, "KHR_materials_") || name == "KHR_texture_transform" ||
		name == "KHR_lights_punctual" || name == gltf.ExtMeshQuantization
}

// BuildLODs makes a chain of levels of detail from asset, each a
// standalone GLB: meshes simplified by quadric edge collapse (seams and
// borders kept), triangles ordered for the vertex cache, vertices for
// fetch, attributes quantised (KHR_mesh_quantization: positions as 14-bit
// integers decoded by a node transform, normals and tangents as bytes, UVs
// as 16-bit unsigned normalised values, decoded by KHR_texture_transform
// when they leave [0,1]), textures shrunk per level (JPEG for opaque ones,
// PNG where alpha is needed), materials, KHR_materials_variants and the
// common material extensions kept. Models with skins fail with
// ErrUnsupportedModel; animations and morph targets are dropped (notes
// says so).
func BuildLODs(ctx context.Context, asset *gltf.Asset, opts LODOptions) ([]LODResult, []string, error) {
	if asset == nil || asset.Doc == nil {
		return nil, nil, fmt.Errorf("assetpipe: LODs: asset has no document")
	}
	if len(asset.Doc.Skins) > 0 {
		return nil, nil, fmt.Errorf("%w: it has %d skins", ErrUnsupportedModel, len(asset.Doc.Skins))
	}
	if opts.Levels == nil {
		opts.Levels = DefaultLevels()
	}
	if len(opts.Levels) == 0 || len(opts.Levels) > 8 {
		return nil, nil, fmt.Errorf("assetpipe: LODs: %d levels; want 1..8", len(opts.Levels))
	}
	for i, l := range opts.Levels {
		if !(l.Ratio > 0 && l.Ratio <= 1) || l.MaxError < 0 || l.MaxTextureSide < 0 {
			return nil, nil, fmt.Errorf("assetpipe: LODs: level %d has ratio %g, error %g, texture side %d", i, l.Ratio, l.MaxError, l.MaxTextureSide)
		}
	}
	if opts.PositionBits == 0 {
		opts.PositionBits = 14
	}
	if opts.JPEGQuality == 0 {
		opts.JPEGQuality = 85
	}
	if opts.MaxCoarsestBytes == 0 {
		opts.MaxCoarsestBytes = 50 << 10
	}
	if opts.Generator == "" {
		opts.Generator = "vitrine assetpipe"
	}
	meshes, notes, err := readMeshes(asset)
	if err != nil {
		return nil, nil, err
	}
	if len(asset.Doc.Animations) > 0 {
		notes = append(notes, fmt.Sprintf("/animations: %d animations are not kept in levels of detail", len(asset.Doc.Animations)))
	}
	for _, name := range asset.Doc.ExtensionsUsed {
		if !keptExtension(name) && name != "KHR_materials_variants" {
			notes = append(notes, fmt.Sprintf("/extensionsUsed: %s is not kept in levels of detail", name))
		}
	}
	b, err := newLODBuilder(asset, meshes, opts)
	if err != nil {
		return nil, nil, err
	}
	// Textures of every level are made on another core while meshes
	// simplify on this one.
	sides := make([]int, 0, len(opts.Levels))
	for _, l := range opts.Levels {
		sides = append(sides, l.MaxTextureSide)
	}
	prepCtx, stopPrep := context.WithCancel(ctx)
	prepDone := make(chan struct{})
	go func() {
		defer close(prepDone)
		b.images.prepare(prepCtx, sides)
	}()
	defer func() {
		stopPrep()
		<-prepDone
	}()
	var results []LODResult
	for li, level := range opts.Levels {
		if err := ctx.Err(); err != nil {
			return nil, nil, err
		}
		if level.MinTriangles > 0 && li > 0 && b.triangles > 0 {
			floor := float64(level.MinTriangles) / float64(b.triangles)
			level.Ratio = math.Max(level.Ratio, math.Min(floor, opts.Levels[li-1].Ratio/2))
		}
		simplifyErr, err := b.simplify(level, li, false)
		if err != nil {
			return nil, nil, err
		}
		res, err := b.write(ctx, li, level.MaxTextureSide)
		if err != nil {
			return nil, nil, err
		}
		res.SimplifyError = simplifyErr
		res.TargetRatio = level.Ratio
		// The coarsest level must stay small: shrink textures, then
		// geometry, until it fits or nothing more can go.
		if li == len(opts.Levels)-1 && li > 0 {
			side, ratio := level.MaxTextureSide, level.Ratio
			for try := 0; len(res.GLB) > opts.MaxCoarsestBytes && try < 8; try++ {
				if side == 0 || side > 16 {
					side = max(16, side/2)
					if side == 0 {
						side = 512
					}
				} else {
					ratio /= 2
					if simplifyErr, err = b.simplify(Level{Ratio: ratio, MaxError: level.MaxError}, li, true); err != nil {
						return nil, nil, err
					}
				}
				if res, err = b.write(ctx, li, side); err != nil {
					return nil, nil, err
				}
				res.SimplifyError = simplifyErr
				res.TargetRatio = ratio
			}
		}
		if len(results) > 0 {
			// A level that saves neither triangles nor a tenth of the bytes
			// of the one before would only make viewers fetch the same
			// model twice: small models get fewer levels.
			prev := results[len(results)-1]
			if res.Triangles >= prev.Triangles && res.SizeBytes*10 > prev.SizeBytes*9 {
				continue
			}
			res.Level = len(results)
		}
		if len(results) > 0 && results[0].Triangles > 0 {
			res.Ratio = float64(res.Triangles) / float64(results[0].Triangles)
		} else {
			res.Ratio = 1
		}
		results = append(results, res)
	}
	return results, notes, nil
}

// lodBuilder carries the per-primitive index lists from level to level.
type lodBuilder struct {
	asset   *gltf.Asset
	meshes  []meshGeometry
	opts    LODOptions
	grids   []meshopt.PositionGrid
	current [][][]uint32 // [mesh][prim] indices of the last level built
	base    [][][]uint32 // the previous level's, for retries of the coarsest
	uvGrid  uvTransform  // decodes the UNSIGNED_SHORT UVs
	uvQuant bool         // uvGrid is not the identity
	images  *imageCache
	// triangles counts the source's triangles over all meshes.
	triangles int
}

func newLODBuilder(asset *gltf.Asset, meshes []meshGeometry, opts LODOptions) (*lodBuilder, error) {
	b := &lodBuilder{asset: asset, meshes: meshes, opts: opts, images: newImageCache(asset, opts.JPEGQuality)}
	lo, hi := [2]float64{math.Inf(1), math.Inf(1)}, [2]float64{math.Inf(-1), math.Inf(-1)}
	for mi, m := range meshes {
		sets := make([][][3]float32, 0, len(m.prims))
		b.current = append(b.current, make([][]uint32, len(m.prims)))
		for pi, p := range m.prims {
			sets = append(sets, p.positions)
			b.current[mi][pi] = p.indices
			b.triangles += len(p.indices) / 3
			for _, uv := range p.uv0 {
				for c := range 2 {
					lo[c] = math.Min(lo[c], float64(uv[c]))
					hi[c] = math.Max(hi[c], float64(uv[c]))
				}
			}
		}
		g, err := meshopt.NewPositionGrid(opts.PositionBits, sets...)
		if err != nil {
			return nil, fmt.Errorf("assetpipe: LODs: %w", err)
		}
		b.grids = append(b.grids, g)
	}
	b.uvGrid = identityTransform()
	const tolerance = 1e-6
	if !math.IsInf(lo[0], 1) && (lo[0] < -tolerance || lo[1] < -tolerance || hi[0] > 1+tolerance || hi[1] > 1+tolerance) {
		b.uvQuant = true
		b.uvGrid.Offset = lo
		for c := range 2 {
			b.uvGrid.Scale[c] = math.Max(hi[c]-lo[c], 1e-6)
		}
	}
	return b, nil
}

// simplify brings every primitive of level li to the level's ratio of its
// original triangles, starting from the previous level's result.
// A retry (of the coarsest level) starts again from the previous level.
func (b *lodBuilder) simplify(level Level, li int, retry bool) (float64, error) {
	if li == 0 || level.Ratio >= 1 {
		return 0, nil
	}
	if !retry || b.base == nil {
		b.base = cloneIndices(b.current)
	}
	coarsest := li == len(b.opts.Levels)-1
	worst := 0.0
	for mi, m := range b.meshes {
		for pi, p := range m.prims {
			// Keep at least two triangles of every primitive.
			target := min(max(int(float64(len(p.indices)/3)*level.Ratio), 2)*3, len(p.indices))
			mesh := meshopt.Mesh{Positions: p.positions, Normals: p.normals, UVs: p.uv0, Indices: b.base[mi][pi]}
			res, err := meshopt.Simplify(mesh, meshopt.SimplifyOptions{TargetIndexCount: target, TargetError: level.MaxError})
			if err != nil {
				return 0, fmt.Errorf("assetpipe: simplify mesh %d primitive %d: %w", mi, pi, err)
			}
			b.current[mi][pi] = res.Indices
			worst = math.Max(worst, res.Error)
			// The coarsest level must reach its size: where edge collapse
			// stalls within the error bound (hard edges and corners lock
			// vertices), cluster instead of forcing collapses that would
			// flatten the shape.
			if coarsest && len(res.Indices) > target*2 {
				mesh.Indices = res.Indices
				clustered, cell, err := meshopt.SimplifySloppy(mesh, target)
				if err != nil {
					return 0, fmt.Errorf("assetpipe: cluster mesh %d primitive %d: %w", mi, pi, err)
				}
				if len(clustered) >= 3 {
					b.current[mi][pi] = clustered
					worst = math.Max(worst, cell)
				}
			}
		}
	}
	return worst, nil
}

func cloneIndices(in [][][]uint32) [][][]uint32 {
	out := make([][][]uint32, len(in))
	for i := range in {
		out[i] = make([][]uint32, len(in[i]))
		copy(out[i], in[i])
	}
	return out
}

// docWriter accumulates a document and its BIN buffer.
type docWriter struct {
	doc gltf.Document
	bin []byte
}

func (w *docWriter) view(data []byte, target, stride int) int {
	for len(w.bin)%4 != 0 {
		w.bin = append(w.bin, 0)
	}
	v := gltf.BufferView{ByteOffset: len(w.bin), ByteLength: len(data), Target: target, ByteStride: stride}
	w.bin = append(w.bin, data...)
	w.doc.BufferViews = append(w.doc.BufferViews, v)
	return len(w.doc.BufferViews) - 1
}

func (w *docWriter) accessor(view int, componentType, count int, typ string, normalized bool, lo, hi []float64) int {
	v := view
	w.doc.Accessors = append(w.doc.Accessors, gltf.Accessor{BufferView: &v, ComponentType: componentType, Count: count, Type: typ, Normalized: normalized, Min: lo, Max: hi})
	return len(w.doc.Accessors) - 1
}

// write encodes the current index lists as level li's GLB with textures
// of at most maxSide pixels.
func (b *lodBuilder) write(ctx context.Context, li, maxSide int) (LODResult, error) {
	src := b.asset.Doc
	w := &docWriter{}
	w.doc.Asset = gltf.AssetInfo{Version: "2.0", Generator: b.opts.Generator, Copyright: src.Asset.Copyright}
	usedExt := map[string]bool{gltf.ExtMeshQuantization: true}
	requiredExt := map[string]bool{gltf.ExtMeshQuantization: true}
	if b.uvQuant {
		usedExt["KHR_texture_transform"] = true
		requiredExt["KHR_texture_transform"] = true
	}
	for _, name := range src.ExtensionsRequired {
		if keptExtension(name) || name == "KHR_materials_variants" {
			requiredExt[name] = true
		}
	}
	// Root extensions: variants and lights carry over as they are.
	for _, name := range []string{"KHR_materials_variants", "KHR_lights_punctual"} {
		if raw, ok := src.Extensions[name]; ok {
			if w.doc.Extensions == nil {
				w.doc.Extensions = map[string]json.RawMessage{}
			}
			w.doc.Extensions[name] = raw
			usedExt[name] = true
		}
	}
	// Images, textures, samplers and materials keep their indices.
	for i := range src.Images {
		data, err := b.images.get(ctx, i, maxSide)
		if err != nil {
			return LODResult{}, err
		}
		view := w.view(data, 0, 0)
		w.doc.Images = append(w.doc.Images, gltf.Image{Name: src.Images[i].Name, MimeType: sniffMime(data), BufferView: &view})
	}
	for _, s := range src.Samplers {
		w.doc.Samplers = append(w.doc.Samplers, gltf.Sampler{Name: s.Name, MagFilter: s.MagFilter, MinFilter: s.MinFilter, WrapS: s.WrapS, WrapT: s.WrapT})
	}
	for _, t := range src.Textures {
		w.doc.Textures = append(w.doc.Textures, gltf.Texture{Name: t.Name, Sampler: t.Sampler, Source: t.Source})
	}
	for _, m := range src.Materials {
		nm, err := b.material(m, usedExt)
		if err != nil {
			return LODResult{}, err
		}
		w.doc.Materials = append(w.doc.Materials, nm)
	}
	// Meshes, each written once however many nodes instance it.
	meshIndex := make([]int, len(b.meshes))
	for mi := range b.meshes {
		meshIndex[mi] = -1
		mesh := gltf.Mesh{Name: b.meshes[mi].name}
		for pi := range b.meshes[mi].prims {
			prim, ok, err := b.writePrimitive(w, mi, pi, usedExt)
			if err != nil {
				return LODResult{}, err
			}
			if ok {
				mesh.Primitives = append(mesh.Primitives, prim)
			}
		}
		if len(mesh.Primitives) > 0 {
			w.doc.Meshes = append(w.doc.Meshes, mesh)
			meshIndex[mi] = len(w.doc.Meshes) - 1
		}
	}
	// Nodes keep their indices and transforms; a mesh moves to a new child
	// whose transform decodes the quantised positions.
	for _, n := range src.Nodes {
		nn := gltf.Node{Name: n.Name, Children: slices.Clone(n.Children), Matrix: n.Matrix, Translation: n.Translation, Rotation: n.Rotation, Scale: n.Scale, Extras: n.Extras}
		if raw, ok := n.Extensions["KHR_lights_punctual"]; ok && usedExt["KHR_lights_punctual"] {
			nn.Extensions = map[string]json.RawMessage{"KHR_lights_punctual": raw}
		}
		w.doc.Nodes = append(w.doc.Nodes, nn)
	}
	for ni, n := range src.Nodes {
		if n.Mesh == nil || *n.Mesh < 0 || *n.Mesh >= len(meshIndex) || meshIndex[*n.Mesh] < 0 {
			continue
		}
		g := b.grids[*n.Mesh]
		mesh := meshIndex[*n.Mesh]
		child := gltf.Node{Mesh: &mesh, Translation: g.Offset[:], Scale: []float64{g.Step, g.Step, g.Step}}
		w.doc.Nodes = append(w.doc.Nodes, child)
		w.doc.Nodes[ni].Children = append(w.doc.Nodes[ni].Children, len(w.doc.Nodes)-1)
	}
	roots := slices.Clone(gltf.SceneRoots(src))
	if r := b.opts.Root; r != nil {
		extras, _ := json.Marshal(map[string]any{"vitrine": map[string]any{"placement": b.opts.Placement, "anchor": [3]float64{}, "unit_scale": r.Scale}})
		root := gltf.Node{Name: "vitrine_root", Children: roots, Translation: r.Translation[:], Rotation: r.Rotation[:], Scale: []float64{r.Scale, r.Scale, r.Scale}, Extras: extras}
		w.doc.Nodes = append(w.doc.Nodes, root)
		roots = []int{len(w.doc.Nodes) - 1}
	}
	scene := 0
	w.doc.Scene = &scene
	w.doc.Scenes = []gltf.Scene{{Nodes: roots}}
	w.doc.ExtensionsUsed = sortedKeys(usedExt)
	w.doc.ExtensionsRequired = sortedKeys(requiredExt)
	w.doc.Buffers = []gltf.Buffer{{ByteLength: len(w.bin)}}
	glb, err := gltf.WriteGLB(&w.doc, w.bin)
	if err != nil {
		return LODResult{}, fmt.Errorf("assetpipe: write level %d: %w", li, err)
	}
	// Read the level back: it must pass Vitrine's own validation, and its
	// counts and bounds are measured on what was written.
	back, err := gltf.ParseGLB(glb, gltf.DefaultLimits())
	if err != nil {
		return LODResult{}, fmt.Errorf("assetpipe: level %d does not validate: %w", li, err)
	}
	lo, hi, err := back.Bounds()
	if err != nil {
		return LODResult{}, fmt.Errorf("assetpipe: level %d: %w", li, err)
	}
	st := back.Stats()
	sum := sha256.Sum256(glb)
	return LODResult{Level: li, GLB: glb, SizeBytes: int64(len(glb)), SHA256: hex.EncodeToString(sum[:]),
		Triangles: st.Triangles, Vertices: st.Vertices, BoundsMin: lo, BoundsMax: hi}, nil
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func sniffMime(data []byte) string {
	if bytes.HasPrefix(data, []byte("\x89PNG")) {
		return "image/png"
	}
	return "image/jpeg"
}

// material copies m, keeping the kept extensions and composing the UV
// decoding transform into every texture that reads TEXCOORD_0.
func (b *lodBuilder) material(m gltf.Material, usedExt map[string]bool) (gltf.Material, error) {
	out := m
	out.Extensions = nil
	for name, raw := range m.Extensions {
		if !keptExtension(name) {
			continue
		}
		if b.uvQuant {
			var err error
			if raw, err = b.transformNestedTextures(raw); err != nil {
				return out, err
			}
		}
		if out.Extensions == nil {
			out.Extensions = map[string]json.RawMessage{}
		}
		out.Extensions[name] = raw
		usedExt[name] = true
	}
	fix := func(ti *gltf.TextureInfo) *gltf.TextureInfo {
		if ti == nil {
			return nil
		}
		c := *ti
		c.Extensions = b.textureExtensions(ti.TexCoord, ti.Extensions, usedExt)
		return &c
	}
	if m.PBRMetallicRoughness != nil {
		pbr := *m.PBRMetallicRoughness
		pbr.Extensions = nil
		pbr.BaseColorTexture = fix(pbr.BaseColorTexture)
		pbr.MetallicRoughnessTexture = fix(pbr.MetallicRoughnessTexture)
		out.PBRMetallicRoughness = &pbr
	}
	out.NormalTexture = fix(m.NormalTexture)
	out.OcclusionTexture = fix(m.OcclusionTexture)
	out.EmissiveTexture = fix(m.EmissiveTexture)
	return out, nil
}

// textureExtensions returns a texture info's extensions with the UV
// decoding transform composed in when it reads TEXCOORD_0.
func (b *lodBuilder) textureExtensions(texCoord int, ext map[string]json.RawMessage, usedExt map[string]bool) map[string]json.RawMessage {
	t, had := readTransform(ext)
	set := texCoord
	if t.TexCoord != nil {
		set = *t.TexCoord
	}
	if !b.uvQuant || set != 0 {
		if had {
			usedExt["KHR_texture_transform"] = true
			return map[string]json.RawMessage{"KHR_texture_transform": ext["KHR_texture_transform"]}
		}
		return nil
	}
	// uv' = o + R·(s∘(g.o + g.s∘q)) = (o + R·(s∘g.o)) + R·((s∘g.s)∘q)
	g := b.uvGrid
	c, s := math.Cos(t.Rotation), math.Sin(t.Rotation)
	x, y := t.Scale[0]*g.Offset[0], t.Scale[1]*g.Offset[1]
	composed := uvTransform{
		Offset:   [2]float64{t.Offset[0] + c*x + s*y, t.Offset[1] - s*x + c*y},
		Rotation: t.Rotation,
		Scale:    [2]float64{t.Scale[0] * g.Scale[0], t.Scale[1] * g.Scale[1]},
		TexCoord: t.TexCoord,
	}
	raw, _ := json.Marshal(composed)
	usedExt["KHR_texture_transform"] = true
	return map[string]json.RawMessage{"KHR_texture_transform": raw}
}

// transformNestedTextures applies textureExtensions to every texture info
// (an object with an "index") inside a material extension's JSON.
func (b *lodBuilder) transformNestedTextures(raw json.RawMessage) (json.RawMessage, error) {
	var v map[string]json.RawMessage
	if err := json.Unmarshal(raw, &v); err != nil {
		return raw, nil // not an object: leave it as it is
	}
	changed := false
	for key, field := range v {
		var ti struct {
			Index      *int                       `json:"index"`
			TexCoord   int                        `json:"texCoord"`
			Extensions map[string]json.RawMessage `json:"extensions"`
		}
		if !strings.HasSuffix(key, "Texture") || json.Unmarshal(field, &ti) != nil || ti.Index == nil {
			continue
		}
		var obj map[string]json.RawMessage
		if json.Unmarshal(field, &obj) != nil {
			continue
		}
		ext := b.textureExtensions(ti.TexCoord, ti.Extensions, map[string]bool{})
		if ext == nil {
			delete(obj, "extensions")
		} else {
			enc, err := json.Marshal(ext)
			if err != nil {
				return nil, fmt.Errorf("assetpipe: material extension texture: %w", err)
			}
			obj["extensions"] = enc
		}
		enc, err := json.Marshal(obj)
		if err != nil {
			return nil, fmt.Errorf("assetpipe: material extension texture: %w", err)
		}
		v[key] = enc
		changed = true
	}
	if !changed {
		return raw, nil
	}
	return json.Marshal(v)
}

// writePrimitive optimises and quantises one primitive's current indices.
func (b *lodBuilder) writePrimitive(w *docWriter, mi, pi int, usedExt map[string]bool) (gltf.Primitive, bool, error) {
	p := &b.meshes[mi].prims[pi]
	indices := b.current[mi][pi]
	if len(indices) < 3 {
		return gltf.Primitive{}, false, nil
	}
	ordered, err := meshopt.OptimizeVertexCache(indices, len(p.positions))
	if err != nil {
		return gltf.Primitive{}, false, fmt.Errorf("assetpipe: mesh %d primitive %d: %w", mi, pi, err)
	}
	remap, used, err := meshopt.OptimizeVertexFetch(ordered, len(p.positions))
	if err != nil {
		return gltf.Primitive{}, false, fmt.Errorf("assetpipe: mesh %d primitive %d: %w", mi, pi, err)
	}
	le := binary.LittleEndian
	attrs := map[string]int{}
	// POSITION: UNSIGNED_SHORT ×3 padded to 8 bytes.
	g := b.grids[mi]
	posData := make([]byte, 8*used)
	qlo, qhi := []float64{65535, 65535, 65535}, []float64{0, 0, 0}
	for old, r := range remap {
		if r < 0 {
			continue
		}
		q := g.Quantize(p.positions[old])
		for c := range 3 {
			le.PutUint16(posData[8*int(r)+2*c:], q[c])
			qlo[c] = math.Min(qlo[c], float64(q[c]))
			qhi[c] = math.Max(qhi[c], float64(q[c]))
		}
	}
	attrs["POSITION"] = w.accessor(w.view(posData, gltf.TargetArrayBuffer, 8), gltf.ComponentUnsignedShort, used, gltf.TypeVec3, false, qlo, qhi)
	if p.normals != nil {
		data := make([]byte, 4*used)
		for old, r := range remap {
			if r >= 0 {
				q := meshopt.QuantizeNormal(p.normals[old])
				data[4*r], data[4*r+1], data[4*r+2] = byte(q[0]), byte(q[1]), byte(q[2])
			}
		}
		attrs["NORMAL"] = w.accessor(w.view(data, gltf.TargetArrayBuffer, 4), gltf.ComponentByte, used, gltf.TypeVec3, true, nil, nil)
	}
	if p.tangents != nil {
		data := make([]byte, 4*used)
		for old, r := range remap {
			if r >= 0 {
				t := p.tangents[old]
				q := meshopt.QuantizeNormal([3]float32{t[0], t[1], t[2]})
				wsign := int8(127)
				if t[3] < 0 {
					wsign = -127
				}
				data[4*r], data[4*r+1], data[4*r+2], data[4*r+3] = byte(q[0]), byte(q[1]), byte(q[2]), byte(wsign)
			}
		}
		attrs["TANGENT"] = w.accessor(w.view(data, gltf.TargetArrayBuffer, 0), gltf.ComponentByte, used, gltf.TypeVec4, true, nil, nil)
	}
	if p.uv0 != nil {
		data := make([]byte, 4*used)
		gr := b.uvGrid
		for old, r := range remap {
			if r >= 0 {
				uv := p.uv0[old]
				le.PutUint16(data[4*r:], meshopt.QuantizeUnorm16((float64(uv[0])-gr.Offset[0])/gr.Scale[0]))
				le.PutUint16(data[4*r+2:], meshopt.QuantizeUnorm16((float64(uv[1])-gr.Offset[1])/gr.Scale[1]))
			}
		}
		attrs["TEXCOORD_0"] = w.accessor(w.view(data, gltf.TargetArrayBuffer, 0), gltf.ComponentUnsignedShort, used, gltf.TypeVec2, true, nil, nil)
	}
	if p.uv1 != nil {
		data := make([]byte, 8*used)
		for old, r := range remap {
			if r >= 0 {
				le.PutUint32(data[8*r:], math.Float32bits(p.uv1[old][0]))
				le.PutUint32(data[8*r+4:], math.Float32bits(p.uv1[old][1]))
			}
		}
		attrs["TEXCOORD_1"] = w.accessor(w.view(data, gltf.TargetArrayBuffer, 0), gltf.ComponentFloat, used, gltf.TypeVec2, false, nil, nil)
	}
	if p.colors != nil {
		data := make([]byte, 4*used)
		for old, r := range remap {
			if r >= 0 {
				for c := range 4 {
					data[4*int(r)+c] = meshopt.QuantizeUnorm8(p.colors[old][c])
				}
			}
		}
		attrs["COLOR_0"] = w.accessor(w.view(data, gltf.TargetArrayBuffer, 0), gltf.ComponentUnsignedByte, used, gltf.TypeVec4, true, nil, nil)
	}
	var idx int
	if used <= 65535 {
		data := make([]byte, 2*len(ordered))
		for i, v := range ordered {
			le.PutUint16(data[2*i:], uint16(v))
		}
		idx = w.accessor(w.view(data, gltf.TargetElementArrayBuffer, 0), gltf.ComponentUnsignedShort, len(ordered), gltf.TypeScalar, false, nil, nil)
	} else {
		data := make([]byte, 4*len(ordered))
		for i, v := range ordered {
			le.PutUint32(data[4*i:], v)
		}
		idx = w.accessor(w.view(data, gltf.TargetElementArrayBuffer, 0), gltf.ComponentUnsignedInt, len(ordered), gltf.TypeScalar, false, nil, nil)
	}
	prim := gltf.Primitive{Attributes: attrs, Indices: &idx, Material: p.material}
	if p.variants != nil {
		prim.Extensions = map[string]json.RawMessage{"KHR_materials_variants": p.variants}
		usedExt["KHR_materials_variants"] = true
	}
	return prim, true, nil
}
