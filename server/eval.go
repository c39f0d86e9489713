package main

import (
	"context"
	"flag"
	"fmt"
	"io"

	"github.com/vitrine-shop/vitrine/server/recs"
	"github.com/vitrine-shop/vitrine/server/recs/synth"
	"github.com/vitrine-shop/vitrine/server/vsearch"
	"github.com/vitrine-shop/vitrine/server/vsearch/eval"
	"github.com/vitrine-shop/vitrine/server/vsearch/onnx"
)

// evalCommand runs `vitrine eval recs|search`: offline quality figures.
func evalCommand(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprintln(stderr, "usage: vitrine eval recs|search [flags]   (run with -h for the flags)")
		return 2
	}
	switch args[0] {
	case "recs":
		return evalRecs(ctx, args[1:], stdout, stderr)
	case "search":
		return evalSearch(ctx, args[1:], stdout, stderr)
	default:
		fmt.Fprintf(stderr, "vitrine eval: unknown evaluation %q (want recs or search)\n", args[0])
		return 2
	}
}

// evalRecs replays a generated, time-ordered session log: every
// recommender and the blend predict each next event from the past only.
func evalRecs(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("eval recs", flag.ContinueOnError)
	fs.SetOutput(stderr)
	seed := fs.Uint64("seed", 1, "generator seed")
	products := fs.Int("products", 3000, "products in the generated catalogue")
	sessions := fs.Int("sessions", 6000, "generated shopping sessions")
	k := fs.Int("k", 10, "list length evaluated")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: vitrine eval recs [flags]\n\nNo public e-commerce session log can be downloaded here, so the log comes from\nthe documented generator in server/recs/synth (see docs/signals.md).")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return 0
		}
		return 2
	}
	if *products < 10 || *products > 1_000_000 || *sessions < 10 || *sessions > 10_000_000 || *k < 1 || *k > 100 {
		fmt.Fprintln(stderr, "vitrine eval recs: -products must be 10…1e6, -sessions 10…1e7 and -k 1…100")
		return 2
	}
	ds := synth.Generate(synth.Options{Seed: *seed, Products: *products, Sessions: *sessions})
	fmt.Fprintf(stdout, "generated log: %d products, %d events (seed %d)\n", len(ds.Items), len(ds.Events), *seed)
	if _, err := recs.EvalRecs(ctx, stdout, ds.Events, ds.Items, recs.EvalOptions{K: *k, Similar: ds.Similar}); err != nil {
		fmt.Fprintf(stderr, "vitrine eval recs: %v\n", err)
		return 1
	}
	return 0
}

// evalSearch prints Recall@1/5/10 and mAP of the built-in descriptor, the
// colour-histogram baseline and, when a model is given, an ONNX embedder,
// on a labelled gallery and query set (folders of images, one subfolder
// per product).
func evalSearch(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("eval search", flag.ContinueOnError)
	fs.SetOutput(stderr)
	gallery := fs.String("gallery", "server/vsearch/testdata/eval/gallery", "gallery folder: one subfolder of images per product")
	queries := fs.String("queries", "server/vsearch/testdata/eval/queries", "query folder: one subfolder per product the queries show")
	model := fs.String("onnx-model", "", "also evaluate this ONNX image feature extractor")
	lib := fs.String("onnx-library", ".cache/onnxruntime/libonnxruntime.so.1", "ONNX Runtime shared library (make onnx)")
	size := fs.Int("onnx-size", 224, "the ONNX model's input width and height")
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return 0
		}
		return 2
	}
	embedders := []vsearch.Embedder{vsearch.NewDescriptor(), vsearch.ColourHistogram{}}
	if *model != "" {
		emb, err := onnx.New(onnx.Config{ModelPath: *model, LibraryPath: *lib, Width: *size, Height: *size})
		if err != nil {
			fmt.Fprintf(stderr, "vitrine eval search: %v\n", err)
			return 2
		}
		defer emb.Close()
		embedders = append(embedders, emb)
	}
	if err := eval.RunEval(ctx, stdout, *gallery, *queries, embedders...); err != nil {
		fmt.Fprintf(stderr, "vitrine eval search: %v\n", err)
		return 1
	}
	return 0
}
