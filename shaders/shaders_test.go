package shaders

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	g3nshaders "github.com/g3n/engine/renderer/shaders"
)

// g3nDefines are the defines g3n's Shaman prefixes to every program
// (renderer/shaman.go GenProgram), with no lights and no textures.
var g3nDefines = map[string]string{
	"AMB_LIGHTS": "0", "DIR_LIGHTS": "0", "POINT_LIGHTS": "0", "SPOT_LIGHTS": "0", "MAT_TEXTURES": "0",
}

// allChunks is what g3n resolves includes from: its own chunks plus ours.
func allChunks() map[string]string {
	chunks := Chunks()
	for _, name := range g3nshaders.Includes() {
		chunks[name] = g3nshaders.IncludeSource(name)
	}
	return chunks
}

func TestEmbeddedFilesAreNonEmpty(t *testing.T) {
	sources := all()
	if len(sources) == 0 {
		t.Fatal("no shader files embedded")
	}
	for name, src := range sources {
		if strings.TrimSpace(src) == "" {
			t.Errorf("%s.glsl is empty", name)
		}
		if !strings.HasSuffix(src, "\n") {
			t.Errorf("%s.glsl does not end with a newline; g3n's include would join its last line to the next", name)
		}
		if strings.Contains(src, "#version") {
			t.Errorf("%s.glsl has a #version line; g3n adds it", name)
		}
	}
}

func TestProgramsNameExistingShaders(t *testing.T) {
	sh := Shaders()
	for _, p := range Programs {
		if _, ok := sh[p.Vertex]; !ok {
			t.Errorf("program %s: no vertex shader %s", p.Name, p.Vertex)
		}
		if _, ok := sh[p.Fragment]; !ok {
			t.Errorf("program %s: no fragment shader %s", p.Name, p.Fragment)
		}
	}
}

type fakeRegistry struct {
	chunks, shaders map[string]string
	programs        map[string][2]string
}

func (f *fakeRegistry) AddChunk(name, source string)  { f.chunks[name] = source }
func (f *fakeRegistry) AddShader(name, source string) { f.shaders[name] = source }
func (f *fakeRegistry) AddProgram(name, v, fr string, _ ...string) {
	f.programs[name] = [2]string{v, fr}
}

func TestRegister(t *testing.T) {
	f := &fakeRegistry{chunks: map[string]string{}, shaders: map[string]string{}, programs: map[string][2]string{}}
	Register(f)
	if got := f.programs[GroundShadow]; got != [2]string{"ground_shadow_vertex", "ground_shadow_fragment"} {
		t.Errorf("program %s registered as %v", GroundShadow, got)
	}
	if got := f.programs[PBR]; got != [2]string{"pbr_vertex", "pbr_fragment"} {
		t.Errorf("program %s registered as %v", PBR, got)
	}
	for _, c := range []string{"vitrine_contact_shadow", "vitrine_ibl", "vitrine_tonemap"} {
		if _, ok := f.chunks[c]; !ok {
			t.Errorf("chunk %s not registered; chunks: %v", c, sortedKeys(f.chunks))
		}
	}
	if _, ok := f.chunks["vitrine_contact_shadow"]; !ok {
		t.Errorf("chunk vitrine_contact_shadow not registered; chunks: %v", sortedKeys(f.chunks))
	}
	for name := range f.chunks {
		if !strings.HasPrefix(name, ChunkPrefix) {
			t.Errorf("chunk %q lacks the %q prefix", name, ChunkPrefix)
		}
	}
	if len(f.shaders) != len(Shaders()) {
		t.Errorf("registered %d shaders, want %d", len(f.shaders), len(Shaders()))
	}
}

func TestExpand(t *testing.T) {
	chunks := map[string]string{"a": "A1\n#include <b>\nA2", "b": "B", "nl": "N\n", "loop": "#include <loop>"}
	tests := []struct {
		name, source string
		defines      map[string]string
		want         string
		wantErr      error
	}{
		{name: "plain", source: "void main(){}", want: "#version 300 es\nvoid main(){}"},
		{name: "defines sorted", source: "x", defines: map[string]string{"Z": "1", "A": "2"}, want: "#version 300 es\n#define A 2\n#define Z 1\nx"},
		{name: "nested", source: "s\n#include <a>\ne", want: "#version 300 es\ns\n\nA1\n\nBA2e"},
		// As in g3n, the directive swallows the whitespace after it, so a
		// chunk must end with a newline of its own.
		{name: "chunk with newline", source: "#include <nl>\nnext", want: "#version 300 es\n\nN\nnext"},
		{name: "missing", source: "#include <nope>", wantErr: ErrMissingChunk},
		{name: "self include", source: "#include <loop>", wantErr: errAny},
		{name: "quantity", source: "#include <b> [N]", wantErr: errAny},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Expand(tc.source, "300 es", tc.defines, chunks)
			switch {
			case tc.wantErr == errAny:
				if err == nil {
					t.Fatalf("Expand = %q, want an error", got)
				}
			case tc.wantErr != nil:
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("Expand error %v, want %v", err, tc.wantErr)
				}
			case err != nil:
				t.Fatal(err)
			case got != tc.want:
				t.Errorf("Expand = %q, want %q", got, tc.want)
			}
		})
	}
}

var errAny = errors.New("any error")

// TestShadersCompileAsGLSLES300 validates every program's shaders, expanded
// exactly as g3n does in the browser, with glslangValidator (Debian
// package glslang-tools). Without the tool the check is skipped, unless CI
// or VITRINE_REQUIRE_GLSLANG is set.
func TestShadersCompileAsGLSLES300(t *testing.T) {
	chunks := allChunks()
	sh := Shaders()
	expanded := map[string]string{}
	for _, p := range Programs {
		for _, name := range []string{p.Vertex, p.Fragment} {
			src, err := Expand(sh[name], "300 es", g3nDefines, chunks)
			if err != nil {
				t.Fatalf("program %s: %v", p.Name, err)
			}
			expanded[name] = src
		}
	}
	tool, err := exec.LookPath("glslangValidator")
	if err != nil {
		msg := "glslangValidator not found (apt-get install glslang-tools); GLSL ES 3.00 validation skipped"
		if os.Getenv("CI") != "" || os.Getenv("VITRINE_REQUIRE_GLSLANG") != "" {
			t.Fatal(msg + " — CI or VITRINE_REQUIRE_GLSLANG is set, so it must run")
		}
		t.Skip(msg)
	}
	dir := t.TempDir()
	for name, src := range expanded {
		ext := ".frag"
		if strings.HasSuffix(name, "_vertex") {
			ext = ".vert"
		}
		path := filepath.Join(dir, name+ext)
		if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command(tool, path).CombinedOutput()
		if err != nil {
			t.Errorf("%s does not compile as GLSL ES 3.00: %v\n%s\nsource:\n%s", name, err, out, numbered(src))
		}
	}
}

func numbered(src string) string {
	lines := strings.Split(src, "\n")
	var b strings.Builder
	for i, l := range lines {
		b.WriteString(strings.Repeat(" ", 4-len(itoa(i+1))) + itoa(i+1) + "  " + l + "\n")
	}
	return b.String()
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var d []byte
	for n > 0 {
		d = append([]byte{byte('0' + n%10)}, d...)
		n /= 10
	}
	return string(d)
}

// TestPBRVariantsCompile validates the PBR program under the define sets
// the viewer produces: lights of every kind, every texture map, and each
// alpha mode, as g3n's Shaman adds them to the program.
func TestPBRVariantsCompile(t *testing.T) {
	tool, err := exec.LookPath("glslangValidator")
	if err != nil {
		if os.Getenv("CI") != "" || os.Getenv("VITRINE_REQUIRE_GLSLANG") != "" {
			t.Fatal("glslangValidator not found and CI or VITRINE_REQUIRE_GLSLANG is set")
		}
		t.Skip("glslangValidator not found (apt-get install glslang-tools)")
	}
	lights := map[string]string{"AMB_LIGHTS": "1", "DIR_LIGHTS": "2", "POINT_LIGHTS": "1", "SPOT_LIGHTS": "1", "MAT_TEXTURES": "0"}
	maps := []string{"HAS_BASECOLORMAP", "HAS_METALROUGHNESSMAP", "HAS_NORMALMAP", "HAS_OCCLUSIONMAP", "HAS_EMISSIVEMAP"}
	variants := map[string][]string{
		"all maps, mask":  append(append([]string{}, maps...), "ALPHA_MASK"),
		"all maps, blend": append(append([]string{}, maps...), "ALPHA_BLEND"),
		"normal map only": {"HAS_NORMALMAP"},
	}
	chunks := allChunks()
	sh := Shaders()
	dir := t.TempDir()
	for name, extra := range variants {
		defines := map[string]string{}
		for k, v := range lights {
			defines[k] = v
		}
		for _, d := range extra {
			defines[d] = ""
		}
		for _, stage := range []string{"pbr_vertex", "pbr_fragment"} {
			src, err := Expand(sh[stage], "300 es", defines, chunks)
			if err != nil {
				t.Fatalf("%s %s: %v", name, stage, err)
			}
			ext := ".frag"
			if strings.HasSuffix(stage, "_vertex") {
				ext = ".vert"
			}
			path := filepath.Join(dir, strings.ReplaceAll(name, " ", "_")+"_"+stage+ext)
			if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
				t.Fatal(err)
			}
			if out, err := exec.Command(tool, path).CombinedOutput(); err != nil {
				t.Errorf("%s: %s does not compile: %v\n%s", name, stage, err, out)
			}
		}
	}
}
