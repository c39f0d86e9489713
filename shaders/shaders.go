// Package shaders holds the viewer's GLSL sources and says how to
// register them with g3n. The sources are data, embedded with go:embed:
// shader files are named NAME_vertex.glsl and NAME_fragment.glsl, and
// every other .glsl file is an include chunk, named by its file name
// without the extension and a "vitrine_" prefix.
//
// The sources follow g3n's conventions: they carry no #version line (g3n
// adds "#version 300 es" in the browser and the desktop GLSL version
// elsewhere, followed by its #define lines) and pull chunks in with
// "#include <name>", which g3n resolves from its own chunks (such as
// <attributes>) and the chunks registered here. Expand applies the same
// rules, so tests can check the exact text the GPU compiles.
package shaders

import (
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"regexp"
	"sort"
	"strings"
)

//go:embed *.glsl
var files embed.FS

// Program names a shader program and the shaders it links.
type Program struct {
	Name     string // the program name materials select with SetShader
	Vertex   string // the vertex shader's name
	Fragment string // the fragment shader's name
}

// GroundShadow is the program of the soft contact shadow under floor and
// table products. Its uniforms: ShadowParams (vec4: centre opacity, the
// footprint's share of the quad's radius) and ShadowColor (vec3).
const GroundShadow = "vitrine_ground_shadow"

// PBR is the viewer's metallic-roughness program (pbr_*.glsl): g3n's
// lights plus image-based lighting from wasm/ibl, PBR Neutral tone
// mapping and sRGB output. It reads g3n's Physical material uniforms
// (Material[3] and the u*Sampler maps with their HAS_* defines) and:
// PbrParams (vec4[3]: normal scale, occlusion strength, alpha cutoff,
// exposure; the coordinate set of each texture), TexTransform (vec3[10],
// two affine rows per texture), EnvMap and BrdfLUT
// (samplers), EnvParams (vec4: levels, intensity) and IrradianceSH
// (vec3[9]). Defines ALPHA_MASK and ALPHA_BLEND select the
// glTF alpha mode; the raw coordinate sets are the attributes
// VertexTexcoordRaw0 and VertexTexcoordRaw1.
const PBR = "vitrine_pbr"

// Programs lists the programs the viewer registers.
var Programs = []Program{
	{Name: GroundShadow, Vertex: "ground_shadow_vertex", Fragment: "ground_shadow_fragment"},
	{Name: PBR, Vertex: "pbr_vertex", Fragment: "pbr_fragment"},
}

// ChunkPrefix starts the names of the include chunks of this package, so
// they never collide with g3n's own.
const ChunkPrefix = "vitrine_"

// Shaders returns every vertex and fragment shader source by name (the
// file name without ".glsl").
func Shaders() map[string]string {
	out := make(map[string]string)
	for name, src := range all() {
		if isShader(name) {
			out[name] = src
		}
	}
	return out
}

// Chunks returns every include chunk by the name "#include <name>" uses.
func Chunks() map[string]string {
	out := make(map[string]string)
	for name, src := range all() {
		if !isShader(name) {
			out[ChunkPrefix+name] = src
		}
	}
	return out
}

func isShader(name string) bool {
	return strings.HasSuffix(name, "_vertex") || strings.HasSuffix(name, "_fragment")
}

// all reads the embedded files; they are part of the binary, so a read
// error is a build defect.
func all() map[string]string {
	entries, err := fs.ReadDir(files, ".")
	if err != nil {
		panic(fmt.Sprintf("shaders: embedded sources unreadable: %v", err))
	}
	out := make(map[string]string, len(entries))
	for _, e := range entries {
		data, err := files.ReadFile(e.Name())
		if err != nil {
			panic(fmt.Sprintf("shaders: embedded %s unreadable: %v", e.Name(), err))
		}
		out[strings.TrimSuffix(e.Name(), ".glsl")] = string(data)
	}
	return out
}

// Registry is what Register needs from g3n's renderer (its embedded
// Shaman): *renderer.Renderer satisfies it.
type Registry interface {
	AddChunk(name, source string)
	AddShader(name, source string)
	AddProgram(name, vertexName, fragName string, others ...string)
}

// Register adds every chunk, shader and program of this package to r.
func Register(r Registry) {
	for _, name := range sortedKeys(Chunks()) {
		r.AddChunk(name, Chunks()[name])
	}
	sh := Shaders()
	for _, name := range sortedKeys(sh) {
		r.AddShader(name, sh[name])
	}
	for _, p := range Programs {
		r.AddProgram(p.Name, p.Vertex, p.Fragment)
	}
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// maxIncludeDepth bounds nested includes, so a chunk including itself
// is an error rather than a hang.
const maxIncludeDepth = 8

// includeRE matches g3n's include directive: "#include <name>" with an
// optional "[QUANTITY]" suffix (repeated includes, unused here).
var includeRE = regexp.MustCompile(`#include\s+<(.*)>\s*(?:\[(.*)]|)`)

// ErrMissingChunk is returned by Expand for an include no chunk answers.
var ErrMissingChunk = errors.New("shaders: include chunk not found")

// Expand returns source as g3n hands it to the GPU: a "#version" line
// with version (for example "300 es"), one "#define NAME VALUE" line per
// define in name order, then the source with every "#include <name>"
// replaced by chunks[name], recursively. Quantity includes
// ("#include <x> [N]") are not supported and reported as errors.
func Expand(source, version string, defines map[string]string, chunks map[string]string) (string, error) {
	var b strings.Builder
	b.WriteString("#version " + version + "\n")
	names := make([]string, 0, len(defines))
	for n := range defines {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(&b, "#define %s %s\n", n, defines[n])
	}
	body, err := expandIncludes(source, chunks, 0)
	if err != nil {
		return "", err
	}
	b.WriteString(body)
	return b.String(), nil
}

func expandIncludes(source string, chunks map[string]string, depth int) (string, error) {
	matches := includeRE.FindAllStringSubmatch(source, -1)
	if len(matches) == 0 {
		return source, nil
	}
	if depth >= maxIncludeDepth {
		return "", fmt.Errorf("shaders: includes nested deeper than %d (a chunk includes itself?)", maxIncludeDepth)
	}
	for _, m := range matches {
		if m[2] != "" {
			return "", fmt.Errorf("shaders: %q: quantity includes are not supported", m[0])
		}
		chunk, ok := chunks[m[1]]
		if !ok || chunk == "" {
			return "", fmt.Errorf("%w: <%s>", ErrMissingChunk, m[1])
		}
		expanded, err := expandIncludes(chunk, chunks, depth+1)
		if err != nil {
			return "", fmt.Errorf("shaders: in <%s>: %w", m[1], err)
		}
		// g3n starts every chunk on a new line.
		source = strings.Replace(source, m[0], "\n"+expanded, -1)
	}
	return source, nil
}
