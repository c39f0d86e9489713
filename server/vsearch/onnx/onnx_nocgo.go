//go:build !cgo

package onnx

import (
	"context"
	"errors"
	"image"
)

// ErrUnavailable is returned by New in builds without cgo: ONNX Runtime
// is a C library.
var ErrUnavailable = errors.New("onnx: ONNX Runtime unavailable (built without cgo)")

// Config describes a model and how to feed it; see the cgo build.
type Config struct {
	ModelPath, LibraryPath, Name, Version, InputName, OutputName string
	Width, Height                                                int
	Mean, Std                                                    [3]float32
	Threads                                                      int
}

// Embedder is unusable without cgo.
type Embedder struct{}

// New always fails without cgo.
func New(Config) (*Embedder, error) { return nil, ErrUnavailable }

// Close does nothing.
func (*Embedder) Close() error { return nil }

// Name implements vsearch.Embedder.
func (*Embedder) Name() string { return "onnx" }

// Version implements vsearch.Embedder.
func (*Embedder) Version() string { return "" }

// Dim implements vsearch.Embedder.
func (*Embedder) Dim() int { return 0 }

// Embed always fails without cgo.
func (*Embedder) Embed(context.Context, image.Image) ([]float32, error) { return nil, ErrUnavailable }

// IsLoaded is always false without cgo.
func IsLoaded() bool { return false }
