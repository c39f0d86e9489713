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
	// PositionBits quantises this level's positions more coarsely than
	// LODOptions.PositionBits (0 means as those); 8 or fewer bits are
	// written as unsigned bytes, half the bytes of 16-bit positions.
	PositionBits int
}

// DefaultLevels is the chain the upload path builds: the full model, then
// about 25%, 6% and 1% of its triangles (at least 300 triangles when that
// stays under half of 6%) with textures of at most 2048, 1024, 256 and 64
// pixels. The last level, whose shape may be 8% of the model's extent
// off, stores positions on an 8-bit grid (0.4% of the extent).
func DefaultLevels() []Level {
	return []Level{
		{Ratio: 1, MaxTextureSide: 2048},
		{Ratio: 0.25, MaxError: 0.02, MaxTextureSide: 1024},
		{Ratio: 0.06, MaxError: 0.02, MaxTextureSide: 256},
		{Ratio: 0.01, MaxError: 0.08, MaxTextureSide: 64, MinTriangles: 300, PositionBits: 8},
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
	// MaxCoarsestFraction bounds the coarsest level further, as a
	// fraction of SourceBytes (0 means 0.05): a small upload gets a
	// smaller stand-in.
	MaxCoarsestFraction float64
	// SourceBytes is the upload's size (0 means the size of the asset's
	// JSON and binary chunks).
	SourceBytes int64
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
// standalone GLB: identical vertices welded, meshes simplified by quadric
// edge collapse (seams and borders kept), triangles ordered for the vertex
// cache, vertices for fetch, attributes quantised (KHR_mesh_quantization:
// positions as 14-bit integers decoded by a node transform, normals and
// tangents as bytes, UVs as 16-bit unsigned normalised values, decoded by
// KHR_texture_transform when they leave [0,1]), normals of flat-shaded
// primitives and texture coordinates nothing reads left out, textures
// shrunk per level (JPEG for opaque ones, PNG where alpha is needed),
// materials, KHR_materials_variants and the common material extensions
// kept. The coarsest level replaces textures without detail by their mean
// colour and is cut down until it fits its byte budget (see LODOptions).
// Models with skins fail with ErrUnsupportedModel; animations and morph
// targets are dropped (notes says so).
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
		if !(l.Ratio > 0 && l.Ratio <= 1) || l.MaxError < 0 || l.MaxTextureSide < 0 || l.PositionBits < 0 || l.PositionBits > 16 {
			return nil, nil, fmt.Errorf("assetpipe: LODs: level %d has ratio %g, error %g, texture side %d, position bits %d", i, l.Ratio, l.MaxError, l.MaxTextureSide, l.PositionBits)
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
	if opts.MaxCoarsestFraction == 0 {
		opts.MaxCoarsestFraction = 0.05
	}
	if opts.SourceBytes == 0 {
		opts.SourceBytes = int64(len(asset.JSON) + len(asset.BIN) + 28)
	}
	coarsestBudget := min(int64(opts.MaxCoarsestBytes), int64(opts.MaxCoarsestFraction*float64(opts.SourceBytes)))
	if opts.Generator == "" {
		opts.Generator = "vitrine assetpipe"
	}
	meshes, notes, err := readMeshes(asset)
	if err != nil {
		return nil, nil, err
	}
	for mi := range meshes {
		for pi := range meshes[mi].prims {
			weld(&meshes[mi].prims[pi])
		}
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
	// Textures of every level but the coarsest (whose textures depend on
	// its byte budget) are made on another core while meshes simplify on
	// this one.
	sides := make([]int, 0, len(opts.Levels))
	for _, l := range opts.Levels[:max(1, len(opts.Levels)-1)] {
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
		coarsest := li == len(opts.Levels)-1 && li > 0
		tex := levelTextures{maxSide: level.MaxTextureSide}
		if coarsest {
			// The stand-in shows materials as colours where their
			// textures have no detail left to show at its size.
			if tex.flat, err = b.lowDetailImages(ctx); err != nil {
				return nil, nil, err
			}
		}
		glb, err := b.encode(ctx, li, tex)
		if err != nil {
			return nil, nil, err
		}
		ratio := level.Ratio
		// The coarsest level must stay small: shrink textures, then
		// geometry, then give up textures altogether, until it fits or
		// nothing more can go. Only the level kept is read back.
		if coarsest {
		shrink:
			for try := 0; int64(len(glb)) > coarsestBudget && try < 12; try++ {
				switch {
				case (tex.maxSide == 0 || tex.maxSide > 16) && !allTrue(tex.flat, len(b.asset.Doc.Images)):
					tex.maxSide = max(16, tex.maxSide/2)
					if tex.maxSide == 0 {
						tex.maxSide = 512
					}
				case ratio*float64(b.triangles) >= 2*minCoarsestTriangles:
					ratio /= 2
					if simplifyErr, err = b.simplify(Level{Ratio: ratio, MaxError: level.MaxError}, li, true); err != nil {
						return nil, nil, err
					}
				case !allTrue(tex.flat, len(b.asset.Doc.Images)) && b.flattenable:
					tex.flat = make([]bool, len(b.asset.Doc.Images))
					for i := range tex.flat {
						tex.flat[i] = true
					}
				default:
					break shrink // nothing more to cut
				}
				if glb, err = b.encode(ctx, li, tex); err != nil {
					return nil, nil, err
				}
			}
		}
		res, err := measureLevel(li, glb)
		if err != nil {
			return nil, nil, err
		}
		res.SimplifyError = simplifyErr
		res.TargetRatio = ratio
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
	grids   map[int][]meshopt.PositionGrid // by bits: [mesh]
	current [][][]uint32                   // [mesh][prim] indices of the last level built
	base    [][][]uint32                   // the previous level's, for retries of the coarsest
	uvGrid  uvTransform                    // decodes the UNSIGNED_SHORT UVs
	uvQuant bool                           // uvGrid is not the identity
	images  *imageCache
	quant   [][]primQuant // [mesh][prim], filled by the first write
	uvSets  [][2]bool     // [material]: the texture coordinate sets it reads
	// flattenable says textures may be replaced by colours: no material
	// extension refers to a texture (their indices would shift).
	flattenable bool
	// triangles counts the source's triangles over all meshes.
	triangles int
}

func newLODBuilder(asset *gltf.Asset, meshes []meshGeometry, opts LODOptions) (*lodBuilder, error) {
	b := &lodBuilder{asset: asset, meshes: meshes, opts: opts, images: newImageCache(asset, opts.JPEGQuality), flattenable: true}
	for _, m := range asset.Doc.Materials {
		for name, raw := range m.Extensions {
			if keptExtension(name) && bytes.Contains(raw, []byte(`"index"`)) {
				b.flattenable = false
			}
		}
	}
	lo, hi := [2]float64{math.Inf(1), math.Inf(1)}, [2]float64{math.Inf(-1), math.Inf(-1)}
	for mi, m := range meshes {
		b.current = append(b.current, make([][]uint32, len(m.prims)))
		b.quant = append(b.quant, make([]primQuant, len(m.prims)))
		for pi, p := range m.prims {
			b.current[mi][pi] = p.indices
			b.triangles += len(p.indices) / 3
			for _, uv := range p.uv0 {
				for c := range 2 {
					lo[c] = math.Min(lo[c], float64(uv[c]))
					hi[c] = math.Max(hi[c], float64(uv[c]))
				}
			}
		}
	}
	if len(meshes) > 0 {
		// Check the bits once, up front.
		if _, err := b.grid(0, opts.PositionBits); err != nil {
			return nil, err
		}
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
	// The sets each material reads as uploaded, every texture kept.
	all := textureMap{texture: make([]int, len(asset.Doc.Textures))}
	for t := range all.texture {
		all.texture[t] = t
	}
	b.uvSets = make([][2]bool, len(asset.Doc.Materials))
	for mi, m := range asset.Doc.Materials {
		if _, err := b.material(m, map[string]bool{}, all, &b.uvSets[mi]); err != nil {
			return nil, err
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

// grid returns mesh mi's position grid of bits bits: one uniform grid
// over all its primitives.
func (b *lodBuilder) grid(mi, bits int) (meshopt.PositionGrid, error) {
	if b.grids == nil {
		b.grids = map[int][]meshopt.PositionGrid{}
	}
	gs, ok := b.grids[bits]
	if !ok {
		for _, m := range b.meshes {
			sets := make([][][3]float32, 0, len(m.prims))
			for _, p := range m.prims {
				sets = append(sets, p.positions)
			}
			g, err := meshopt.NewPositionGrid(bits, sets...)
			if err != nil {
				return meshopt.PositionGrid{}, fmt.Errorf("assetpipe: LODs: %w", err)
			}
			gs = append(gs, g)
		}
		b.grids[bits] = gs
	}
	return gs[mi], nil
}

// levelBits is the position quantisation of level li.
func (b *lodBuilder) levelBits(li int) int {
	if li < len(b.opts.Levels) && b.opts.Levels[li].PositionBits > 0 {
		return b.opts.Levels[li].PositionBits
	}
	return b.opts.PositionBits
}

// minCoarsestTriangles is where the coarsest level stops trading
// triangles for bytes.
const minCoarsestTriangles = 24

// lowDetailImages marks the images whose detail is under flatDetail (none
// when textures cannot be flattened).
func (b *lodBuilder) lowDetailImages(ctx context.Context) ([]bool, error) {
	if !b.flattenable {
		return nil, nil
	}
	flat := make([]bool, len(b.asset.Doc.Images))
	for i := range flat {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		d, err := b.images.detail(i)
		if err != nil {
			return nil, err
		}
		flat[i] = d < flatDetail
	}
	return flat, nil
}

func allTrue(v []bool, n int) bool {
	if len(v) < n {
		return false
	}
	for _, x := range v[:n] {
		if !x {
			return false
		}
	}
	return true
}

func cloneIndices(in [][][]uint32) [][][]uint32 {
	out := make([][][]uint32, len(in))
	for i := range in {
		out[i] = make([][]uint32, len(in[i]))
		copy(out[i], in[i])
	}
	return out
}

// Vertex and index streams: every primitive of a level appends to the
// same few buffer views (one per kind, as gltfpack lays them out), so
// that a level with many primitives does not pay a view's JSON for each
// attribute of each.
const (
	streamPosition = iota
	streamPosition8
	streamNormal
	streamTangent
	streamUV0
	streamFloatUV
	streamColor
	streamIndex16
	streamIndex32
	streamCount
)

// streamStride is each vertex stream's element size (defined, as views
// shared by several accessors must be); index streams have none.
var streamStride = [streamCount]int{8, 4, 4, 4, 4, 8, 4, 0, 0}

// docWriter accumulates a document and its BIN buffer.
type docWriter struct {
	doc     gltf.Document
	bin     []byte
	streams [streamCount][]byte
	// users lists the accessors reading each stream, whose BufferView is
	// set when the streams are laid out.
	users [streamCount][]int
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

// add appends data to stream kind and returns an accessor reading it.
func (w *docWriter) add(kind int, data []byte, componentType, count int, typ string, normalized bool, lo, hi []float64) int {
	w.doc.Accessors = append(w.doc.Accessors, gltf.Accessor{ByteOffset: len(w.streams[kind]), ComponentType: componentType, Count: count, Type: typ, Normalized: normalized, Min: lo, Max: hi})
	w.streams[kind] = append(w.streams[kind], data...)
	// Keep every accessor 4-byte aligned (16-bit index runs of an odd
	// length would not be).
	for len(w.streams[kind])%4 != 0 {
		w.streams[kind] = append(w.streams[kind], 0)
	}
	a := len(w.doc.Accessors) - 1
	w.users[kind] = append(w.users[kind], a)
	return a
}

// layoutStreams writes each non-empty stream as one buffer view.
func (w *docWriter) layoutStreams() {
	for kind, data := range w.streams {
		if len(data) == 0 {
			continue
		}
		target := gltf.TargetArrayBuffer
		if kind == streamIndex16 || kind == streamIndex32 {
			target = gltf.TargetElementArrayBuffer
		}
		v := w.view(data, target, streamStride[kind])
		for _, a := range w.users[kind] {
			view := v
			w.doc.Accessors[a].BufferView = &view
		}
	}
}

// levelTextures says how a level's textures are written.
type levelTextures struct {
	// maxSide bounds each image's sides (0: as uploaded).
	maxSide int
	// flat marks images replaced by their mean colour: the textures that
	// show them leave the level and the materials that used them take
	// the colour into their factors.
	flat []bool
}

func (t levelTextures) isFlat(image int) bool {
	return image >= 0 && image < len(t.flat) && t.flat[image]
}

// textureMap is how a level renumbers the source's textures and images
// once flat images are gone, and what colour replaces a flat texture.
type textureMap struct {
	texture []int // source texture → level texture, −1 when flattened
	image   []int // source image → level image, −1 when flattened
	// colour of each flattened texture: straight sRGB-decoded (linear)
	// mean and raw channel means (for data textures).
	linear, raw map[int][4]float64
}

// encode writes the current index lists as level li's GLB with textures
// as tex says.
func (b *lodBuilder) encode(ctx context.Context, li int, tex levelTextures) ([]byte, error) {
	src := b.asset.Doc
	w := &docWriter{}
	w.doc.Asset = gltf.AssetInfo{Version: "2.0", Generator: b.opts.Generator, Copyright: src.Asset.Copyright}
	usedExt := map[string]bool{gltf.ExtMeshQuantization: true}
	requiredExt := map[string]bool{gltf.ExtMeshQuantization: true}
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
	tm, err := b.textureMap(tex)
	if err != nil {
		return nil, err
	}
	// Images, textures, samplers and materials keep their indices, but
	// for flattened images and the textures that showed them.
	for i := range src.Images {
		if tm.image[i] < 0 {
			continue
		}
		data, err := b.images.get(ctx, i, tex.maxSide)
		if err != nil {
			return nil, err
		}
		view := w.view(data, 0, 0)
		w.doc.Images = append(w.doc.Images, gltf.Image{Name: src.Images[i].Name, MimeType: sniffMime(data), BufferView: &view})
	}
	keptTextures := false
	for _, t := range tm.texture {
		keptTextures = keptTextures || t >= 0
	}
	// Samplers serve textures only: with every texture flattened they go.
	for _, s := range src.Samplers {
		if keptTextures {
			w.doc.Samplers = append(w.doc.Samplers, gltf.Sampler{Name: s.Name, MagFilter: s.MagFilter, MinFilter: s.MinFilter, WrapS: s.WrapS, WrapT: s.WrapT})
		}
	}
	for ti, t := range src.Textures {
		if tm.texture[ti] < 0 {
			continue
		}
		nt := gltf.Texture{Name: t.Name, Sampler: t.Sampler}
		if t.Source != nil {
			source := tm.image[*t.Source]
			nt.Source = &source
		}
		w.doc.Textures = append(w.doc.Textures, nt)
	}
	// levelSets[m] marks the texture coordinate sets material m reads at
	// this level, where flattened textures read none.
	levelSets := make([][2]bool, len(src.Materials))
	for mi, m := range src.Materials {
		nm, err := b.material(m, usedExt, tm, &levelSets[mi])
		if err != nil {
			return nil, err
		}
		w.doc.Materials = append(w.doc.Materials, nm)
	}
	// Meshes, each written once however many nodes instance it.
	meshIndex := make([]int, len(b.meshes))
	for mi := range b.meshes {
		meshIndex[mi] = -1
		mesh := gltf.Mesh{Name: b.meshes[mi].name}
		for pi := range b.meshes[mi].prims {
			prim, ok, err := b.writePrimitive(w, mi, pi, b.levelBits(li), usedExt, levelSets)
			if err != nil {
				return nil, err
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
	w.layoutStreams()
	// The UV decoding transform is required once a texture relies on it.
	if b.uvQuant && usedExt["KHR_texture_transform"] {
		requiredExt["KHR_texture_transform"] = true
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
		g, err := b.grid(*n.Mesh, b.levelBits(li))
		if err != nil {
			return nil, err
		}
		mesh := meshIndex[*n.Mesh]
		if _, light := n.Extensions["KHR_lights_punctual"]; !light && len(n.Children) == 0 && n.Matrix == nil && n.Translation == nil && n.Rotation == nil && n.Scale == nil {
			// A leaf without a transform can carry the decoding itself.
			w.doc.Nodes[ni].Mesh = &mesh
			w.doc.Nodes[ni].Translation, w.doc.Nodes[ni].Scale = g.Offset[:], []float64{g.Step, g.Step, g.Step}
			continue
		}
		child := gltf.Node{Mesh: &mesh, Translation: g.Offset[:], Scale: []float64{g.Step, g.Step, g.Step}}
		w.doc.Nodes = append(w.doc.Nodes, child)
		w.doc.Nodes[ni].Children = append(w.doc.Nodes[ni].Children, len(w.doc.Nodes)-1)
	}
	roots := slices.Clone(gltf.SceneRoots(src))
	if r := b.opts.Root; r != nil {
		extras, _ := json.Marshal(map[string]any{"vitrine": map[string]any{"placement": b.opts.Placement, "anchor": [3]float64{}, "unit_scale": r.Scale}})
		root := gltf.Node{Name: "vitrine_root", Children: roots, Translation: r.Translation[:], Rotation: r.Rotation[:], Scale: []float64{r.Scale, r.Scale, r.Scale}, Extras: extras}
		// Identity parts are glTF's defaults and need no bytes.
		if r.Rotation == [4]float64{0, 0, 0, 1} {
			root.Rotation = nil
		}
		if r.Scale == 1 {
			root.Scale = nil
		}
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
		return nil, fmt.Errorf("assetpipe: write level %d: %w", li, err)
	}
	return glb, nil
}

// measureLevel reads level li back: it must pass Vitrine's own
// validation, and its counts and bounds are measured on what was written.
func measureLevel(li int, glb []byte) (LODResult, error) {
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

// textureMap renumbers textures and images for tex and measures the
// colours of the flattened ones.
func (b *lodBuilder) textureMap(tex levelTextures) (textureMap, error) {
	src := b.asset.Doc
	tm := textureMap{texture: make([]int, len(src.Textures)), image: make([]int, len(src.Images))}
	next := 0
	for i := range src.Images {
		tm.image[i] = -1
		if !tex.isFlat(i) {
			tm.image[i] = next
			next++
		}
	}
	next = 0
	for ti, t := range src.Textures {
		tm.texture[ti] = -1
		if t.Source != nil && tex.isFlat(*t.Source) {
			linear, raw, err := b.images.meanColour(*t.Source)
			if err != nil {
				return tm, err
			}
			if tm.linear == nil {
				tm.linear, tm.raw = map[int][4]float64{}, map[int][4]float64{}
			}
			tm.linear[ti], tm.raw[ti] = linear, raw
			continue
		}
		tm.texture[ti] = next
		next++
	}
	return tm, nil
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
// decoding transform into every texture that reads TEXCOORD_0. Texture
// indices follow tm; a texture tm flattened leaves the material, its mean
// colour multiplied into the factor it modulated (a normal or occlusion
// map simply goes). uvSets marks the texture coordinate sets the written
// material reads.
func (b *lodBuilder) material(m gltf.Material, usedExt map[string]bool, tm textureMap, uvSets *[2]bool) (gltf.Material, error) {
	out := m
	out.Extensions = nil
	for name, raw := range m.Extensions {
		if !keptExtension(name) {
			continue
		}
		if bytes.Contains(raw, []byte(`"index"`)) {
			// Textures inside material extensions keep whatever set they
			// name.
			uvSets[0], uvSets[1] = true, true
		}
		if b.uvQuant {
			var err error
			if raw, err = b.transformNestedTextures(raw); err != nil {
				return out, err
			}
			if bytes.Contains(raw, []byte(`"KHR_texture_transform"`)) {
				usedExt["KHR_texture_transform"] = true
			}
		}
		if out.Extensions == nil {
			out.Extensions = map[string]json.RawMessage{}
		}
		out.Extensions[name] = raw
		usedExt[name] = true
	}
	fix := func(ti *gltf.TextureInfo) *gltf.TextureInfo {
		if ti == nil || ti.Index < 0 || ti.Index >= len(tm.texture) || tm.texture[ti.Index] < 0 {
			return nil
		}
		c := *ti
		c.Index = tm.texture[ti.Index]
		c.Extensions = b.textureExtensions(ti.TexCoord, ti.Extensions, usedExt)
		set := ti.TexCoord
		if t, had := readTransform(ti.Extensions); had && t.TexCoord != nil {
			set = *t.TexCoord
		}
		if set >= 0 && set < 2 {
			uvSets[set] = true
		}
		return &c
	}
	flat := func(ti *gltf.TextureInfo) (linear, raw [4]float64, ok bool) {
		if ti == nil || ti.Index < 0 || ti.Index >= len(tm.texture) || tm.texture[ti.Index] >= 0 {
			return linear, raw, false
		}
		return tm.linear[ti.Index], tm.raw[ti.Index], true
	}
	if m.PBRMetallicRoughness != nil {
		pbr := *m.PBRMetallicRoughness
		pbr.Extensions = nil
		if linear, _, ok := flat(pbr.BaseColorTexture); ok {
			factor := []float64{1, 1, 1, 1}
			if len(pbr.BaseColorFactor) == 4 {
				factor = slices.Clone(pbr.BaseColorFactor)
			}
			for c := range 4 {
				factor[c] = roundFactor(factor[c] * linear[c])
			}
			pbr.BaseColorFactor = factor
		}
		if _, raw, ok := flat(pbr.MetallicRoughnessTexture); ok {
			// Roughness is read from green, metalness from blue.
			metallic, roughness := 1.0, 1.0
			if pbr.MetallicFactor != nil {
				metallic = *pbr.MetallicFactor
			}
			if pbr.RoughnessFactor != nil {
				roughness = *pbr.RoughnessFactor
			}
			metallic, roughness = roundFactor(metallic*raw[2]), roundFactor(roughness*raw[1])
			pbr.MetallicFactor, pbr.RoughnessFactor = &metallic, &roughness
		}
		pbr.BaseColorTexture = fix(pbr.BaseColorTexture)
		pbr.MetallicRoughnessTexture = fix(pbr.MetallicRoughnessTexture)
		out.PBRMetallicRoughness = &pbr
	}
	if linear, _, ok := flat(m.EmissiveTexture); ok && len(m.EmissiveFactor) == 3 {
		out.EmissiveFactor = []float64{roundFactor(m.EmissiveFactor[0] * linear[0]), roundFactor(m.EmissiveFactor[1] * linear[1]), roundFactor(m.EmissiveFactor[2] * linear[2])}
	}
	out.NormalTexture = fix(m.NormalTexture)
	out.OcclusionTexture = fix(m.OcclusionTexture)
	out.EmissiveTexture = fix(m.EmissiveTexture)
	return out, nil
}

// roundFactor keeps four decimals of a material factor: a 1/10000 step
// is below what 8-bit colour shows, and the JSON stays short.
func roundFactor(v float64) float64 { return math.Round(v*1e4) / 1e4 }

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

// primQuant holds a primitive's quantised attributes, computed once for
// all levels (each level writes a subset of the same vertices).
type primQuant struct {
	pos   map[int][][3]uint16 // by grid bits
	attrs bool                // nrm, tan and uv0 are filled
	nrm   [][3]int8
	tan   [][4]int8
	uv0   [][2]uint16
}

// quantized returns primitive (mi, pi)'s quantised attributes, with
// positions on the grid of bits bits.
func (b *lodBuilder) quantized(mi, pi, bits int) (*primQuant, error) {
	q := &b.quant[mi][pi]
	p := &b.meshes[mi].prims[pi]
	if _, ok := q.pos[bits]; !ok {
		g, err := b.grid(mi, bits)
		if err != nil {
			return nil, err
		}
		pos := make([][3]uint16, len(p.positions))
		for i, v := range p.positions {
			pos[i] = g.Quantize(v)
		}
		if q.pos == nil {
			q.pos = map[int][][3]uint16{}
		}
		q.pos[bits] = pos
	}
	if q.attrs {
		return q, nil
	}
	q.attrs = true
	if p.normals != nil {
		q.nrm = make([][3]int8, len(p.normals))
		for i, n := range p.normals {
			q.nrm[i] = meshopt.QuantizeNormal(n)
		}
	}
	if p.tangents != nil {
		q.tan = make([][4]int8, len(p.tangents))
		for i, t := range p.tangents {
			n := meshopt.QuantizeNormal([3]float32{t[0], t[1], t[2]})
			w := int8(127)
			if t[3] < 0 {
				w = -127
			}
			q.tan[i] = [4]int8{n[0], n[1], n[2], w}
		}
	}
	if p.uv0 != nil {
		gr := b.uvGrid
		q.uv0 = make([][2]uint16, len(p.uv0))
		for i, uv := range p.uv0 {
			q.uv0[i] = [2]uint16{meshopt.QuantizeUnorm16((float64(uv[0]) - gr.Offset[0]) / gr.Scale[0]), meshopt.QuantizeUnorm16((float64(uv[1]) - gr.Offset[1]) / gr.Scale[1])}
		}
	}
	return q, nil
}

// writePrimitive optimises and quantises one primitive's current indices.
// Texture coordinates go only where the primitive's material (any of its
// variants' materials, when it has some) reads them in the upload: every
// level of a primitive has the same attributes, a coarsest level whose
// textures became colours included. Quantised UVs outside [0,1] are
// decoded by the transform of the textures that read them; where no
// texture reads them any more, they are written as floats instead.
func (b *lodBuilder) writePrimitive(w *docWriter, mi, pi, bits int, usedExt map[string]bool, levelSets [][2]bool) (gltf.Primitive, bool, error) {
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
	// order[new] is the source vertex written at position new.
	order := make([]int32, used)
	for old, r := range remap {
		if r >= 0 {
			order[r] = int32(old)
		}
	}
	q, err := b.quantized(mi, pi, bits)
	if err != nil {
		return gltf.Primitive{}, false, err
	}
	keepUV, decodedUV := [2]bool{true, true}, !b.uvQuant
	if p.variants == nil {
		keepUV = [2]bool{}
		if p.material != nil && *p.material >= 0 && *p.material < len(b.uvSets) {
			keepUV = b.uvSets[*p.material]
			decodedUV = decodedUV || levelSets[*p.material][0]
		}
	} else {
		for _, sets := range levelSets {
			decodedUV = decodedUV || sets[0]
		}
	}
	le := binary.LittleEndian
	attrs := map[string]int{}
	// POSITION: UNSIGNED_SHORT ×3 padded to 8 bytes, or UNSIGNED_BYTE ×3
	// padded to 4 on grids of 8 bits or fewer.
	pos := q.pos[bits]
	qlo, qhi := [3]uint16{65535, 65535, 65535}, [3]uint16{}
	for _, old := range order {
		for c, v := range pos[old] {
			qlo[c], qhi[c] = min(qlo[c], v), max(qhi[c], v)
		}
	}
	lo, hi := []float64{float64(qlo[0]), float64(qlo[1]), float64(qlo[2])}, []float64{float64(qhi[0]), float64(qhi[1]), float64(qhi[2])}
	if bits <= 8 {
		posData := make([]byte, 4*used)
		for r, old := range order {
			v := pos[old]
			posData[4*r], posData[4*r+1], posData[4*r+2] = byte(v[0]), byte(v[1]), byte(v[2])
		}
		attrs["POSITION"] = w.add(streamPosition8, posData, gltf.ComponentUnsignedByte, used, gltf.TypeVec3, false, lo, hi)
	} else {
		posData := make([]byte, 8*used)
		for r, old := range order {
			v := pos[old]
			for c := range 3 {
				le.PutUint16(posData[8*r+2*c:], v[c])
			}
		}
		attrs["POSITION"] = w.add(streamPosition, posData, gltf.ComponentUnsignedShort, used, gltf.TypeVec3, false, lo, hi)
	}
	if q.nrm != nil && (p.tangents != nil || !flatShaded(p.positions, p.normals, indices)) {
		data := make([]byte, 4*used)
		for r, old := range order {
			n := q.nrm[old]
			data[4*r], data[4*r+1], data[4*r+2] = byte(n[0]), byte(n[1]), byte(n[2])
		}
		attrs["NORMAL"] = w.add(streamNormal, data, gltf.ComponentByte, used, gltf.TypeVec3, true, nil, nil)
	}
	if q.tan != nil {
		data := make([]byte, 4*used)
		for r, old := range order {
			t := q.tan[old]
			data[4*r], data[4*r+1], data[4*r+2], data[4*r+3] = byte(t[0]), byte(t[1]), byte(t[2]), byte(t[3])
		}
		attrs["TANGENT"] = w.add(streamTangent, data, gltf.ComponentByte, used, gltf.TypeVec4, true, nil, nil)
	}
	if p.uv0 != nil && keepUV[0] && !decodedUV {
		data := make([]byte, 8*used)
		for r, old := range order {
			le.PutUint32(data[8*r:], math.Float32bits(p.uv0[old][0]))
			le.PutUint32(data[8*r+4:], math.Float32bits(p.uv0[old][1]))
		}
		attrs["TEXCOORD_0"] = w.add(streamFloatUV, data, gltf.ComponentFloat, used, gltf.TypeVec2, false, nil, nil)
	} else if q.uv0 != nil && keepUV[0] {
		data := make([]byte, 4*used)
		for r, old := range order {
			le.PutUint16(data[4*r:], q.uv0[old][0])
			le.PutUint16(data[4*r+2:], q.uv0[old][1])
		}
		attrs["TEXCOORD_0"] = w.add(streamUV0, data, gltf.ComponentUnsignedShort, used, gltf.TypeVec2, true, nil, nil)
	}
	if p.uv1 != nil && keepUV[1] {
		data := make([]byte, 8*used)
		for r, old := range order {
			le.PutUint32(data[8*r:], math.Float32bits(p.uv1[old][0]))
			le.PutUint32(data[8*r+4:], math.Float32bits(p.uv1[old][1]))
		}
		attrs["TEXCOORD_1"] = w.add(streamFloatUV, data, gltf.ComponentFloat, used, gltf.TypeVec2, false, nil, nil)
	}
	if p.colors != nil {
		data := make([]byte, 4*used)
		for r, old := range order {
			for c := range 4 {
				data[4*r+c] = meshopt.QuantizeUnorm8(p.colors[old][c])
			}
		}
		attrs["COLOR_0"] = w.add(streamColor, data, gltf.ComponentUnsignedByte, used, gltf.TypeVec4, true, nil, nil)
	}
	var idx int
	if used <= 65535 {
		data := make([]byte, 2*len(ordered))
		for i, v := range ordered {
			le.PutUint16(data[2*i:], uint16(v))
		}
		idx = w.add(streamIndex16, data, gltf.ComponentUnsignedShort, len(ordered), gltf.TypeScalar, false, nil, nil)
	} else {
		data := make([]byte, 4*len(ordered))
		for i, v := range ordered {
			le.PutUint32(data[4*i:], v)
		}
		idx = w.add(streamIndex32, data, gltf.ComponentUnsignedInt, len(ordered), gltf.TypeScalar, false, nil, nil)
	}
	prim := gltf.Primitive{Attributes: attrs, Indices: &idx, Material: p.material}
	if p.variants != nil {
		prim.Extensions = map[string]json.RawMessage{"KHR_materials_variants": p.variants}
		usedExt["KHR_materials_variants"] = true
	}
	return prim, true, nil
}
