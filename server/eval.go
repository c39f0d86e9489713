package main

import (
	"context"
	"flag"
	"fmt"
	"io"

	"github.com/vitrine-shop/vitrine/server/recs"
	"github.com/vitrine-shop/vitrine/server/recs/synth"
)

// evalCommand runs `vitrine eval recs|search`: offline quality figures.
func evalCommand(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprintln(stderr, "usage: vitrine eval recs [flags]   (run with -h for the flags)")
		return 2
	}
	switch args[0] {
	case "recs":
		return evalRecs(ctx, args[1:], stdout, stderr)
	default:
		fmt.Fprintf(stderr, "vitrine eval: unknown evaluation %q (want recs)\n", args[0])
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
