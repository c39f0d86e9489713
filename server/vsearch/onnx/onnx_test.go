//go:build cgo

package onnx

import (
	"context"
	"errors"
	"image"
	"image/color"
	"math"
	"os"
	"path/filepath"
	"testing"

	"google.golang.org/protobuf/encoding/protowire"

	"github.com/vitrine-shop/vitrine/server/vsearch"
)

// libraryPath finds libonnxruntime.so.1: $VITRINE_ONNXRUNTIME_LIB, else
// .cache/onnxruntime/ at the module root (where `make onnx` puts it).
// Without it the tests skip, unless CI or VITRINE_REQUIRE_ONNX is set.
func libraryPath(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("VITRINE_ONNXRUNTIME_LIB"); p != "" {
		return p
	}
	dir, _ := os.Getwd()
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			break
		}
		dir = parent
	}
	p := filepath.Join(dir, ".cache", "onnxruntime", "libonnxruntime.so.1")
	if _, err := os.Stat(p); err != nil {
		if os.Getenv("CI") != "" || os.Getenv("VITRINE_REQUIRE_ONNX") != "" {
			t.Fatalf("libonnxruntime.so.1 not found at %s (run `make onnx`); CI/VITRINE_REQUIRE_ONNX requires it", p)
		}
		t.Skipf("libonnxruntime.so.1 not found at %s: run `make onnx` (server/vsearch/onnx/fetch.sh) to test the ONNX backend", p)
	}
	return p
}

// ONNX protobuf field numbers (onnx.proto3).
const (
	modelIRVersion   = 1
	modelProducer    = 2
	modelGraph       = 7
	modelOpsetImport = 8
	opsetVersion     = 2
	graphNode        = 1
	graphName        = 2
	graphInput       = 11
	graphOutput      = 12
	nodeInput        = 1
	nodeOutput       = 2
	nodeName         = 3
	nodeOpType       = 4
	valueName        = 1
	valueType        = 2
	typeTensor       = 1
	tensorElemType   = 1
	tensorShape      = 2
	shapeDim         = 1
	dimValue         = 1
	dimParam         = 2
	elemFloat        = 1
)

func msg(fields ...[]byte) []byte {
	var b []byte
	for _, f := range fields {
		b = append(b, f...)
	}
	return b
}

func bytesField(num protowire.Number, v []byte) []byte {
	b := protowire.AppendTag(nil, num, protowire.BytesType)
	return protowire.AppendBytes(b, v)
}

func strField(num protowire.Number, s string) []byte { return bytesField(num, []byte(s)) }

func intField(num protowire.Number, v int64) []byte {
	b := protowire.AppendTag(nil, num, protowire.VarintType)
	return protowire.AppendVarint(b, uint64(v))
}

// tensorValue is a ValueInfoProto for a float tensor; a negative dim is
// symbolic.
func tensorValue(name string, dims ...int64) []byte {
	var shape []byte
	for i, d := range dims {
		if d < 0 {
			shape = append(shape, bytesField(shapeDim, strField(dimParam, string(rune('a'+i))))...)
		} else {
			shape = append(shape, bytesField(shapeDim, intField(dimValue, d))...)
		}
	}
	tensor := msg(intField(tensorElemType, elemFloat), bytesField(tensorShape, shape))
	return msg(strField(valueName, name), bytesField(valueType, bytesField(typeTensor, tensor)))
}

func node(op string, in, out string) []byte {
	return msg(strField(nodeInput, in), strField(nodeOutput, out), strField(nodeName, op+"_"+out), strField(nodeOpType, op))
}

// model writes an ONNX model: input "pixels" [1,3,h,w] through ops to
// the output, opset 13.
func model(t *testing.T, h, w int64, output []byte, nodes ...[]byte) string {
	var graph []byte
	for _, n := range nodes {
		graph = append(graph, bytesField(graphNode, n)...)
	}
	graph = append(graph, strField(graphName, "test")...)
	graph = append(graph, bytesField(graphInput, tensorValue("pixels", 1, 3, h, w))...)
	graph = append(graph, bytesField(graphOutput, output)...)
	m := msg(
		intField(modelIRVersion, 7),
		strField(modelProducer, "vitrine-test"),
		bytesField(modelGraph, graph),
		bytesField(modelOpsetImport, intField(opsetVersion, 13)),
	)
	path := filepath.Join(t.TempDir(), "model.onnx")
	if err := os.WriteFile(path, m, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// split is an image whose left half is one colour and right half another.
func split(w, h int, left, right color.NRGBA) image.Image {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			c := left
			if x >= w/2 {
				c = right
			}
			img.SetNRGBA(x, y, c)
		}
	}
	return img
}

func TestEmbedderRunsABuiltModel(t *testing.T) {
	lib := libraryPath(t)
	ctx := context.Background()
	poolFlatten := model(t, 16, 16, tensorValue("features", 1, 3),
		node("GlobalAveragePool", "pixels", "pooled"),
		node("Flatten", "pooled", "features"))
	poolOnly := model(t, 16, 16, tensorValue("pooled", 1, 3, 1, 1),
		node("GlobalAveragePool", "pixels", "pooled"))
	identity := model(t, -1, -1, tensorValue("same", 1, 3, -1, -1),
		node("Identity", "pixels", "same"))

	img := split(64, 32, color.NRGBA{255, 0, 0, 255}, color.NRGBA{0, 0, 255, 255})
	// Fill to 16×16 crops the centre: half red, half blue. With mean 0
	// and std 1 the channel means are R 0.5, G 0, B 0.5.
	plain := [3]float32{0, 0, 0}
	unitStd := [3]float32{1, 1, 1}
	cases := []struct {
		name  string
		cfg   Config
		want  []float32
		width int
	}{
		{"pool+flatten, plain", Config{ModelPath: poolFlatten, Mean: plain, Std: unitStd}, []float32{0.5, 0, 0.5}, 16},
		{"4-D output pooled", Config{ModelPath: poolOnly, Mean: plain, Std: unitStd}, []float32{0.5, 0, 0.5}, 16},
		{"spatial output averaged, symbolic size", Config{ModelPath: identity, Width: 8, Height: 8, Mean: plain, Std: unitStd}, []float32{0.5, 0, 0.5}, 8},
		{"ImageNet normalisation", Config{ModelPath: poolFlatten}, []float32{
			(0.5 - 0.485) / 0.229, (0 - 0.456) / 0.224, (0.5 - 0.406) / 0.225}, 16},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tc.cfg.LibraryPath = lib
			e, err := New(tc.cfg)
			if err != nil {
				t.Fatal(err)
			}
			defer e.Close()
			if e.Dim() != 3 || e.cfg.Width != tc.width {
				t.Fatalf("dim %d width %d", e.Dim(), e.cfg.Width)
			}
			if e.Name() != "onnx:model" || len(e.Version()) != 16 {
				t.Errorf("identity %q %q", e.Name(), e.Version())
			}
			got, err := e.Embed(ctx, img)
			if err != nil {
				t.Fatal(err)
			}
			want := append([]float32(nil), tc.want...)
			vsearch.Normalize(want)
			for i := range want {
				if math.Abs(float64(got[i]-want[i])) > 2e-3 {
					t.Fatalf("embedding %v, want %v", got, want)
				}
			}
		})
	}

	t.Run("usable by the index", func(t *testing.T) {
		e, err := New(Config{ModelPath: poolFlatten, LibraryPath: lib, Mean: plain, Std: unitStd})
		if err != nil {
			t.Fatal(err)
		}
		defer e.Close()
		s := vsearch.NewService(e, vsearch.Options{})
		red := split(20, 20, color.NRGBA{255, 0, 0, 255}, color.NRGBA{255, 0, 0, 255})
		green := split(20, 20, color.NRGBA{0, 255, 0, 255}, color.NRGBA{0, 255, 0, 255})
		if err := s.IndexProduct(ctx, "red", "", 1, []image.Image{red}); err != nil {
			t.Fatal(err)
		}
		if err := s.IndexProduct(ctx, "green", "", 1, []image.Image{green}); err != nil {
			t.Fatal(err)
		}
		res, err := s.Search(ctx, split(30, 30, color.NRGBA{230, 20, 10, 255}, color.NRGBA{250, 0, 0, 255}), 2, vsearch.Filter{})
		if err != nil || len(res) != 2 || res[0].SKU != "red" {
			t.Fatalf("results %+v %v", res, err)
		}
	})

	t.Run("bad models", func(t *testing.T) {
		garbage := filepath.Join(t.TempDir(), "garbage.onnx")
		os.WriteFile(garbage, []byte("not a model"), 0o644)
		oneChannel := model(t, 8, 8, tensorValue("x", 1, 3), node("GlobalAveragePool", "pixels", "p"), node("Flatten", "p", "x"))
		for name, cfg := range map[string]Config{
			"missing file":  {ModelPath: filepath.Join(t.TempDir(), "none.onnx")},
			"not a model":   {ModelPath: garbage},
			"unknown input": {ModelPath: oneChannel, InputName: "nope"},
			"negative std":  {ModelPath: oneChannel, Std: [3]float32{1, -1, 1}},
		} {
			cfg.LibraryPath = lib
			if e, err := New(cfg); err == nil {
				e.Close()
				t.Errorf("%s: accepted", name)
			}
		}
	})
}

func TestPool(t *testing.T) {
	cases := []struct {
		shape []int64
		data  []float32
		want  []float32
		err   bool
	}{
		{[]int64{1, 3}, []float32{1, 2, 3}, []float32{1, 2, 3}, false},
		{[]int64{1, 2, 1, 2}, []float32{1, 3, 5, 7}, []float32{2, 6}, false},
		{[]int64{1, 2, 2}, []float32{1, 2, 3, 4}, []float32{2, 3}, false},
		{[]int64{1, 3}, []float32{1, 2}, nil, true},
		{[]int64{1, 1, 1, 1, 1}, []float32{1}, nil, true},
		{[]int64{1, 0}, nil, nil, true},
	}
	for _, tc := range cases {
		got, err := Pool(tc.shape, tc.data)
		if (err != nil) != tc.err {
			t.Errorf("Pool(%v): err %v", tc.shape, err)
			continue
		}
		for i := range tc.want {
			if got[i] != tc.want[i] {
				t.Errorf("Pool(%v) = %v, want %v", tc.shape, got, tc.want)
				break
			}
		}
	}
}

func TestPreprocessLayout(t *testing.T) {
	img := split(4, 2, color.NRGBA{255, 0, 0, 255}, color.NRGBA{0, 0, 255, 128})
	got := Preprocess(img, 4, 2, [3]float32{}, [3]float32{1, 1, 1})
	// R plane: left 1, right: blue at half alpha over white → 0.5.
	wantR := []float32{1, 1, 0.5, 0.5, 1, 1, 0.5, 0.5}
	for i, w := range wantR {
		if math.Abs(float64(got[i]-w)) > 0.02 {
			t.Fatalf("R plane %v, want %v", got[:8], wantR)
		}
	}
	// B plane (third): left 0, right 1·0.5 + 0.5 = 1.
	if math.Abs(float64(got[16]-0)) > 0.02 || math.Abs(float64(got[18]-1)) > 0.02 {
		t.Errorf("B plane %v", got[16:24])
	}
}

func TestNewWithoutLibrary(t *testing.T) {
	if IsLoaded() {
		t.Skip("the library is already loaded in this process")
	}
	_, err := New(Config{ModelPath: "x.onnx", LibraryPath: filepath.Join(t.TempDir(), "missing.so")})
	if !errors.Is(err, ErrUnavailable) {
		t.Errorf("err %v, want ErrUnavailable", err)
	}
}
