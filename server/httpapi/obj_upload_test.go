package httpapi_test

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/vitrine-shop/vitrine/server/catalog"
	"github.com/vitrine-shop/vitrine/wire"
)

// halfCubeOBJ is the 0.5 m cube as OBJ quads, its faces in two materials.
const halfCubeOBJ = `mtllib cube.mtl
v 0 0 0
v 0.5 0 0
v 0.5 0.5 0
v 0 0.5 0
v 0 0 0.5
v 0.5 0 0.5
v 0.5 0.5 0.5
v 0 0.5 0.5
usemtl red
f 1 4 3 2
f 5 6 7 8
f 1 5 8 4
f 2 3 7 6
usemtl blue
f 1 2 6 5
f 4 8 7 3
`

func objZip(t *testing.T, files map[string]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for name, data := range files {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte(data))
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestOBJUpload: the model route takes a zip of .obj + .mtl, and a bare
// .obj, like a GLB: measured, processed and stored as GLB; a broken OBJ
// is refused with 422 naming the file and line, and stores nothing.
func TestOBJUpload(t *testing.T) {
	f := newFixture(t)
	f.do(t, "POST", "/api/v1/products", tokenA, "application/json", productJSON("cube-obj"))
	upload := objZip(t, map[string]string{"cube/cube.obj": halfCubeOBJ, "cube/cube.mtl": "newmtl red\nKd 0.8 0.1 0.1\nnewmtl blue\nKd 0.1 0.1 0.8\n"})
	r := f.do(t, "PUT", "/api/v1/products/cube-obj/model", tokenA, "application/zip", upload)
	if r.status != 200 {
		t.Fatalf("OBJ zip upload: %d %s", r.status, r.body)
	}
	var p struct {
		catalog.Product
		ModelURL string `json:"model_url"`
	}
	if err := json.Unmarshal(r.body, &p); err != nil {
		t.Fatal(err)
	}
	if p.Status != wire.StatusReady || p.Model == nil || p.Model.Triangles != 12 || p.Model.DimensionsM != (wire.Dimensions{W: 0.5, H: 0.5, D: 0.5}) {
		t.Fatalf("after the OBJ upload: %s", r.body)
	}
	if m := f.do(t, "GET", p.ModelURL, "", "", nil); m.status != 200 || !bytes.HasPrefix(m.body, []byte("glTF")) {
		t.Fatalf("the model is not served as GLB: %d", m.status)
	}

	bare := strings.Replace(halfCubeOBJ, "mtllib cube.mtl\n", "", 1)
	if r := f.do(t, "PUT", "/api/v1/products/cube-obj/model", tokenA, "model/obj", []byte(bare)); r.status != 200 {
		t.Fatalf("bare OBJ upload: %d %s", r.status, r.body)
	}

	f.do(t, "POST", "/api/v1/products", tokenA, "application/json", productJSON("cube-bad"))
	broken := strings.Replace(halfCubeOBJ, "f 4 8 7 3", "f 4 8 7 30", 1)
	r = f.do(t, "PUT", "/api/v1/products/cube-bad/model", tokenA, "application/zip", objZip(t, map[string]string{"chair.obj": broken}))
	if r.status != 422 || r.errorCode(t) != wire.CodeInvalidGLTF || !strings.Contains(string(r.body), "OBJ_INDEX_OOB at chair.obj:17") {
		t.Fatalf("broken OBJ: %d %s; want 422 naming OBJ_INDEX_OOB at chair.obj:17", r.status, r.body)
	}
	if left := f.mediaKeys(t, "cube-bad"); len(left) != 0 {
		t.Fatalf("the refused OBJ left %v", left)
	}
}
