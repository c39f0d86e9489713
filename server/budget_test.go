package main

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vitrine-shop/vitrine/server/assetpipe"
	"github.com/vitrine-shop/vitrine/server/gltf/gltftest"
)

func TestBudgetFlags(t *testing.T) {
	none := func(string) (string, bool) { return "", false }
	cfg, err := parseServeFlags(nil, none, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Budget != assetpipe.DefaultBudget() {
		t.Errorf("default budget %+v; want assetpipe.DefaultBudget %+v", cfg.Budget, assetpipe.DefaultBudget())
	}
	env := map[string]string{"VITRINE_MAX_TEXTURES": "2", "VITRINE_MAX_TRIANGLES": "99"}
	cfg, err = parseServeFlags([]string{"-max-triangles", "500", "-max-vertices", "0", "-max-texture-side", "1024", "-max-model-bytes", "1000000"},
		func(k string) (string, bool) { v, ok := env[k]; return v, ok }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	want := assetpipe.Budget{MaxTriangles: 500, MaxVertices: 0, MaxTextures: 2, MaxTextureSide: 1024, MaxTotalBytes: 1000000}
	if cfg.Budget != want {
		t.Errorf("budget %+v; want %+v (flags over env, env over defaults)", cfg.Budget, want)
	}
	for _, bad := range [][]string{
		{"-max-triangles", "-1"}, {"-max-vertices", "-5"}, {"-max-textures", "-1"}, {"-max-texture-side", "-2"},
		{"-max-texture-side", "100000"}, {"-max-triangles", "999999999"}, {"-max-model-bytes", "0"}, {"-max-model-bytes", "99999999999"},
	} {
		if _, err := parseServeFlags(bad, none, io.Discard); err == nil || !strings.Contains(err.Error(), bad[0]) {
			t.Errorf("%v: err = %v; want it refused, naming the flag", bad, err)
		}
	}
	if _, err := parseServeFlags(nil, func(k string) (string, bool) { return "-3", k == "VITRINE_MAX_TEXTURES" }, io.Discard); err == nil {
		t.Error("VITRINE_MAX_TEXTURES=-3 accepted")
	}
}

// TestAssetCommandsBudget: a budget given on the command line refuses an
// over-budget model, names the budget problem and writes nothing.
func TestAssetCommandsBudget(t *testing.T) {
	dir := t.TempDir()
	box := filepath.Join(dir, "box.glb") // 12 triangles, 8 vertices
	if err := os.WriteFile(box, gltftest.Box(t, 0.4, 0.3, 0.2), 0o644); err != nil {
		t.Fatal(err)
	}
	obj := filepath.Join(dir, "tri.obj")
	if err := os.WriteFile(obj, []byte("v 0 0 0\nv 1 0 0\nv 0 1 0\nv 1 1 0\nf 1 2 4 3\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"asset", "check", box}, 0, ""},
		{[]string{"asset", "check", box, "-max-triangles", "11"}, 1, "error BUDGET_TRIANGLES"},
		{[]string{"asset", "check", "-max-vertices", "4", box}, 1, "error BUDGET_VERTICES"},
		{[]string{"asset", "check", box, "-max-model-bytes", "100"}, 1, "error BUDGET_BYTES"},
		{[]string{"asset", "check", box, "-max-triangles", "-1"}, 2, ""},
		{[]string{"asset", "check", obj}, 0, "info OBJ_TRIANGULATED"},
		{[]string{"asset", "check", obj, "-max-triangles", "1"}, 1, "error BUDGET_TRIANGLES"},
		{[]string{"asset", "process", box, "-o", filepath.Join(dir, "over"), "-max-triangles", "6"}, 1, "error BUDGET_TRIANGLES"},
		{[]string{"asset", "process", box, "-o", filepath.Join(dir, "bad"), "-max-textures", "-1"}, 2, ""},
		{[]string{"asset", "process", obj, "-o", filepath.Join(dir, "objout"), "-dims", "1,1,0.01"}, 0, "lod0.glb"},
	} {
		var stdout, stderr bytes.Buffer
		if code := run(tt.args, &stdout, &stderr); code != tt.code || !strings.Contains(stdout.String(), tt.want) {
			t.Errorf("vitrine %v exited %d; want %d and %q in\nstdout: %s\nstderr: %s", tt.args, code, tt.code, tt.want, &stdout, &stderr)
		}
	}
	for _, o := range []string{"over", "bad"} {
		if _, err := os.Stat(filepath.Join(dir, o)); !os.IsNotExist(err) {
			t.Errorf("%s written by a refused run", o)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "objout", "lod0.glb")); err != nil {
		t.Errorf("the OBJ was not processed: %v", err)
	}
}

// TestServeBudgetRefusesUpload: `vitrine serve -max-triangles 6` answers
// an upload of a 12-triangle model with 422 naming BUDGET_TRIANGLES and
// stores nothing; the env variable does the same for vertices.
func TestServeBudgetRefusesUpload(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a server")
	}
	for _, tt := range []struct {
		env  []string
		args []string
		code string
	}{
		{nil, []string{"-max-triangles", "6"}, "BUDGET_TRIANGLES"},
		{[]string{"VITRINE_MAX_VERTICES=4"}, nil, "BUDGET_VERTICES"},
	} {
		data := t.TempDir()
		p := startServer(t, tt.env, append([]string{"-data", data, "-seed=false"}, tt.args...)...)
		createProduct(t, p, "box-1")
		code, body := p.api("PUT", "/api/v1/products/box-1/model", bytes.NewReader(gltftest.Box(t, 0.4, 0.3, 0.2)))
		if code != 422 || !strings.Contains(string(body), tt.code) {
			t.Fatalf("%v %v: upload answered %d %s; want 422 naming %s", tt.env, tt.args, code, body, tt.code)
		}
		var stored []string
		_ = filepath.WalkDir(data, func(path string, d os.DirEntry, err error) error {
			if err == nil && !d.IsDir() && strings.Contains(path, "box-1") && !strings.HasSuffix(path, ".json") {
				stored = append(stored, path)
			}
			return nil
		})
		if len(stored) > 0 {
			t.Fatalf("the refused upload left %v", stored)
		}
		if code, body := p.api("GET", "/api/v1/products/box-1", nil); code != 200 || !strings.Contains(string(body), `"status": "pending"`) {
			t.Fatalf("after the refused upload: %d %s; want the product still pending", code, body)
		}
		p.kill()
	}
}
