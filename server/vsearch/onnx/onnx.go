//go:build cgo

// Package onnx is a vsearch.Embedder backed by a CNN (or any image
// feature extractor) run by ONNX Runtime through
// github.com/yalue/onnxruntime_go. It loads a model from a path, feeds it
// one NCHW float32 image resized and centre-cropped to the model's input
// size and normalised with a configurable per-channel mean and standard
// deviation, and pools its first output to a vector: [1,C] is taken as
// is, [1,C,H,W] is averaged over H and W, [1,T,C] over T. The shared
// library (libonnxruntime.so.1, from the npm package onnxruntime-node;
// see fetch.sh) is loaded at run time; without cgo this package only
// reports ErrUnavailable.
package onnx

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"image"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/disintegration/imaging"
	ort "github.com/yalue/onnxruntime_go"

	"github.com/vitrine-shop/vitrine/server/vsearch"
)

// ErrUnavailable is wrapped when ONNX Runtime cannot be used: no cgo, or
// the shared library is missing or does not load.
var ErrUnavailable = errors.New("onnx: ONNX Runtime unavailable")

// Config describes a model and how to feed it.
type Config struct {
	// ModelPath is the .onnx file.
	ModelPath string
	// LibraryPath is libonnxruntime.so.1. The first Embedder created in a
	// process loads it; later ones share it.
	LibraryPath string
	// Name and Version identify the descriptor space; the defaults are
	// "onnx:" plus the model's file name, and the first 16 hex digits of
	// the model file's SHA-256 (so a new model file is a new space).
	Name, Version string
	// InputName and OutputName default to the model's first input and
	// output.
	InputName, OutputName string
	// Width and Height of the input; by default the model's fixed input
	// size, else 224×224.
	Width, Height int
	// Mean and Std normalise each RGB channel after scaling to [0,1]:
	// (x − mean)/std. The zero value means ImageNet's statistics.
	Mean, Std [3]float32
	// Threads bounds ONNX Runtime's intra-op threads (0: its default).
	Threads int
}

// ImageNet normalisation, the default.
var (
	ImageNetMean = [3]float32{0.485, 0.456, 0.406}
	ImageNetStd  = [3]float32{0.229, 0.224, 0.225}
)

// Limits on what a model may ask for.
const (
	maxInputSide  = 2048
	maxOutputDim  = 1 << 16
	maxModelBytes = 2 << 30
)

// Embedder runs an ONNX feature extractor. It is safe for concurrent use
// (ONNX Runtime sessions run concurrently).
type Embedder struct {
	cfg     Config
	session *ort.DynamicAdvancedSession
	dim     int
}

var envMu sync.Mutex

// initEnvironment loads the shared library and starts ONNX Runtime once
// per process; a failure is not remembered, so a later call (after
// `make onnx`) can succeed.
func initEnvironment(lib string) error {
	envMu.Lock()
	defer envMu.Unlock()
	if ort.IsInitialized() {
		return nil
	}
	if lib == "" {
		return fmt.Errorf("%w: no library path configured", ErrUnavailable)
	}
	if _, err := os.Stat(lib); err != nil {
		return fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	ort.SetSharedLibraryPath(lib)
	if err := ort.InitializeEnvironment(); err != nil {
		return fmt.Errorf("%w: load %s: %w", ErrUnavailable, lib, err)
	}
	return nil
}

// IsLoaded reports whether ONNX Runtime is loaded in this process.
func IsLoaded() bool {
	envMu.Lock()
	defer envMu.Unlock()
	return ort.IsInitialized()
}

// New loads the model and probes it with one blank image to learn its
// output dimension.
func New(cfg Config) (*Embedder, error) {
	if err := initEnvironment(cfg.LibraryPath); err != nil {
		return nil, err
	}
	info, err := os.Stat(cfg.ModelPath)
	if err != nil {
		return nil, fmt.Errorf("onnx: model: %w", err)
	}
	if info.Size() > maxModelBytes {
		return nil, fmt.Errorf("onnx: model %s is %d bytes, over %d", cfg.ModelPath, info.Size(), maxModelBytes)
	}
	inputs, outputs, err := ort.GetInputOutputInfo(cfg.ModelPath)
	if err != nil {
		return nil, fmt.Errorf("onnx: read model %s: %w", cfg.ModelPath, err)
	}
	if len(inputs) == 0 || len(outputs) == 0 {
		return nil, fmt.Errorf("onnx: model %s has no inputs or no outputs", cfg.ModelPath)
	}
	in, err := pick(inputs, cfg.InputName, "input")
	if err != nil {
		return nil, err
	}
	out, err := pick(outputs, cfg.OutputName, "output")
	if err != nil {
		return nil, err
	}
	cfg.InputName, cfg.OutputName = in.Name, out.Name
	if in.DataType != ort.TensorElementDataTypeFloat || len(in.Dimensions) != 4 {
		return nil, fmt.Errorf("onnx: input %q is %v %v; want a float32 NCHW tensor", in.Name, in.DataType, in.Dimensions)
	}
	if c := in.Dimensions[1]; c != 3 && c > 0 {
		return nil, fmt.Errorf("onnx: input %q has %d channels; want 3 (RGB)", in.Name, c)
	}
	if cfg.Width <= 0 {
		cfg.Width = int(in.Dimensions[3])
	}
	if cfg.Height <= 0 {
		cfg.Height = int(in.Dimensions[2])
	}
	if cfg.Width <= 0 || cfg.Height <= 0 {
		cfg.Width, cfg.Height = 224, 224
	}
	if cfg.Width > maxInputSide || cfg.Height > maxInputSide {
		return nil, fmt.Errorf("onnx: input size %d×%d over %d", cfg.Width, cfg.Height, maxInputSide)
	}
	if cfg.Mean == ([3]float32{}) && cfg.Std == ([3]float32{}) {
		cfg.Mean, cfg.Std = ImageNetMean, ImageNetStd
	}
	for c, s := range cfg.Std {
		if !(s > 0) {
			return nil, fmt.Errorf("onnx: std[%d] = %v must be positive", c, s)
		}
	}
	if cfg.Name == "" {
		cfg.Name = "onnx:" + strings.TrimSuffix(filepath.Base(cfg.ModelPath), filepath.Ext(cfg.ModelPath))
	}
	if cfg.Version == "" {
		if cfg.Version, err = fileDigest(cfg.ModelPath); err != nil {
			return nil, err
		}
	}
	opts, err := ort.NewSessionOptions()
	if err != nil {
		return nil, fmt.Errorf("onnx: session options: %w", err)
	}
	defer opts.Destroy()
	if cfg.Threads > 0 {
		if err := opts.SetIntraOpNumThreads(cfg.Threads); err != nil {
			return nil, fmt.Errorf("onnx: threads: %w", err)
		}
	}
	session, err := ort.NewDynamicAdvancedSession(cfg.ModelPath, []string{cfg.InputName}, []string{cfg.OutputName}, opts)
	if err != nil {
		return nil, fmt.Errorf("onnx: open session on %s: %w", cfg.ModelPath, err)
	}
	e := &Embedder{cfg: cfg, session: session}
	probe, err := e.run(make([]float32, 3*cfg.Width*cfg.Height))
	if err != nil {
		session.Destroy()
		return nil, fmt.Errorf("onnx: probe %s: %w", cfg.ModelPath, err)
	}
	e.dim = len(probe)
	return e, nil
}

func pick(infos []ort.InputOutputInfo, name, what string) (ort.InputOutputInfo, error) {
	if name == "" {
		return infos[0], nil
	}
	for _, info := range infos {
		if info.Name == name {
			return info, nil
		}
	}
	return ort.InputOutputInfo{}, fmt.Errorf("onnx: model has no %s named %q", what, name)
}

func fileDigest(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("onnx: %w", err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, io.LimitReader(f, maxModelBytes)); err != nil {
		return "", fmt.Errorf("onnx: hash model: %w", err)
	}
	return hex.EncodeToString(h.Sum(nil))[:16], nil
}

// Close releases the session.
func (e *Embedder) Close() error {
	if err := e.session.Destroy(); err != nil {
		return fmt.Errorf("onnx: close: %w", err)
	}
	return nil
}

// Name implements vsearch.Embedder.
func (e *Embedder) Name() string { return e.cfg.Name }

// Version implements vsearch.Embedder.
func (e *Embedder) Version() string { return e.cfg.Version }

// Dim implements vsearch.Embedder.
func (e *Embedder) Dim() int { return e.dim }

// Embed implements vsearch.Embedder.
func (e *Embedder) Embed(ctx context.Context, img image.Image) ([]float32, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if img.Bounds().Empty() {
		return nil, vsearch.ErrEmptyImage
	}
	v, err := e.run(Preprocess(img, e.cfg.Width, e.cfg.Height, e.cfg.Mean, e.cfg.Std))
	if err != nil {
		return nil, fmt.Errorf("onnx: embed: %w", err)
	}
	if len(v) != e.dim {
		return nil, fmt.Errorf("onnx: embed: output has %d values, the model gave %d before", len(v), e.dim)
	}
	vsearch.Normalize(v)
	return v, nil
}

// Preprocess turns img into a 1×3×height×width float32 tensor's data:
// flattened onto white if transparent, scaled to cover width×height and
// centre-cropped (no distortion), each RGB channel scaled to [0,1] and
// normalised as (x − mean)/std, channel planes in R, G, B order.
func Preprocess(img image.Image, width, height int, mean, std [3]float32) []float32 {
	fitted := imaging.Fill(img, width, height, imaging.Center, imaging.Linear)
	plane := width * height
	out := make([]float32, 3*plane)
	for y := 0; y < height; y++ {
		row := fitted.Pix[y*fitted.Stride:]
		for x := 0; x < width; x++ {
			p := row[4*x : 4*x+4]
			a := float32(p[3]) / 255
			for c := 0; c < 3; c++ {
				v := float32(p[c])/255*a + (1 - a)
				out[c*plane+y*width+x] = (v - mean[c]) / std[c]
			}
		}
	}
	return out
}

// run feeds one tensor and pools the output.
func (e *Embedder) run(data []float32) ([]float32, error) {
	input, err := ort.NewTensor(ort.NewShape(1, 3, int64(e.cfg.Height), int64(e.cfg.Width)), data)
	if err != nil {
		return nil, fmt.Errorf("input tensor: %w", err)
	}
	defer input.Destroy()
	outputs := []ort.Value{nil}
	if err := e.session.Run([]ort.Value{input}, outputs); err != nil {
		return nil, fmt.Errorf("run: %w", err)
	}
	defer outputs[0].Destroy()
	t, ok := outputs[0].(*ort.Tensor[float32])
	if !ok {
		return nil, fmt.Errorf("output %q is %T, want a float32 tensor", e.cfg.OutputName, outputs[0])
	}
	return Pool(t.GetShape(), t.GetData())
}

// Pool reduces a batch-1 feature tensor to a vector: [1,C] (or [C]) as
// is, [1,C,H,W] averaged over H and W, [1,T,C] averaged over T.
func Pool(shape []int64, data []float32) ([]float32, error) {
	dims := shape
	if len(dims) > 0 && dims[0] == 1 && len(dims) > 1 {
		dims = dims[1:]
	}
	n := 1
	for _, d := range dims {
		if d <= 0 {
			return nil, fmt.Errorf("output shape %v has a non-positive dimension", shape)
		}
		n *= int(d)
	}
	if n != len(data) {
		return nil, fmt.Errorf("output shape %v does not match %d values", shape, len(data))
	}
	var out []float32
	switch len(dims) {
	case 1:
		out = append([]float32(nil), data...)
	case 2: // tokens × channels
		tokens, channels := int(dims[0]), int(dims[1])
		out = make([]float32, channels)
		for t := 0; t < tokens; t++ {
			for c := 0; c < channels; c++ {
				out[c] += data[t*channels+c] / float32(tokens)
			}
		}
	case 3: // channels × height × width
		channels, plane := int(dims[0]), int(dims[1]*dims[2])
		out = make([]float32, channels)
		for c := 0; c < channels; c++ {
			var s float32
			for _, v := range data[c*plane : (c+1)*plane] {
				s += v
			}
			out[c] = s / float32(plane)
		}
	default:
		return nil, fmt.Errorf("output shape %v: want [1,C], [1,T,C] or [1,C,H,W]", shape)
	}
	if len(out) == 0 || len(out) > maxOutputDim {
		return nil, fmt.Errorf("output has %d features; want 1..%d", len(out), maxOutputDim)
	}
	return out, nil
}
