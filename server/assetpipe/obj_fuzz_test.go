package assetpipe

import (
	"archive/zip"
	"bytes"
	"errors"
	"image/color"
	"testing"

	"github.com/vitrine-shop/vitrine/server/gltf"
)

// FuzzParseOBJ feeds arbitrary OBJ and MTL text to the OBJ path, bare and
// zipped with a texture: it may refuse them (always with
// *gltf.InvalidError), never panic, and whatever it accepts is a GLB the
// glTF parser accepts within the limits.
func FuzzParseOBJ(f *testing.F) {
	f.Add([]byte(cubeOBJ), []byte(cubeMTL))
	f.Add([]byte("v 0 0 0\nv 1 0 0\nv 1 1 0\nv 0 1 0\ns 1\nf -4 -3 -2 -1\n"), []byte("newmtl m\nKd 1 0 0\nd 0.5\n"))
	f.Add([]byte("mtllib m.mtl\nv 0 2 0\nv 0 0 0\nv 1 0 0\nv 2 0 0\nv 2 1 0\nv 1 1 0\nv 1 2 0\nvt 0 0\nusemtl m\nf 1/1 2/1 3/1 4/1 5/1 6/1 7/1\n"),
		[]byte("newmtl m\nmap_Kd -o 0.5 t.png\nmap_d t.png\nmap_Pm t.png\nnorm t.png\n"))
	tex := pngOf(f, 4, 4, func(x, y int) color.NRGBA { return color.NRGBA{uint8(60 * x), 128, 255, uint8(60 * y)} })
	lim := gltf.DefaultLimits()
	lim.MaxBytes, lim.MaxVertices, lim.MaxTriangles, lim.MaxImageSide = 1<<20, 1<<12, 1<<12, 256
	f.Fuzz(func(t *testing.T, obj, mtl []byte) {
		var buf bytes.Buffer
		zw := zip.NewWriter(&buf)
		for name, data := range map[string][]byte{"a.obj": obj, "m.mtl": mtl, "t.png": tex} {
			w, _ := zw.Create(name)
			_, _ = w.Write(data)
		}
		_ = zw.Close()
		for _, upload := range [][]byte{obj, buf.Bytes()} {
			a, glb, err := ParseModel(upload, lim)
			if err != nil {
				var inv *gltf.InvalidError
				if !errors.As(err, &inv) {
					t.Fatalf("refused without *gltf.InvalidError: %v", err)
				}
				continue
			}
			if st := a.Stats(); st.Triangles > lim.MaxTriangles {
				t.Fatalf("%d triangles passed a limit of %d", st.Triangles, lim.MaxTriangles)
			}
			if _, err := gltf.ParseGLB(glb, lim); err != nil {
				t.Fatalf("the converted GLB does not parse: %v", err)
			}
		}
	})
}
