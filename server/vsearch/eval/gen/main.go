// Command gen writes the labelled visual-search evaluation set committed
// under server/vsearch/testdata/eval (run from the module root with
// `go run ./server/vsearch/eval/gen`), or another set with -seed and
// -yaw-offset (the tuning set).
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"

	"github.com/vitrine-shop/vitrine/server/vsearch/eval/synth"
)

func main() {
	out := flag.String("o", "server/vsearch/testdata/eval", "output folder (gallery/ and queries/ go under it)")
	seed := flag.Uint64("seed", 20240601, "random seed of the queries")
	perProduct := flag.Int("queries", 12, "queries per product")
	yawOffset := flag.Float64("yaw-offset", 30, "offset of the queries' viewpoints from the gallery's, degrees")
	gallery := flag.Bool("gallery", true, "write the gallery")
	masks := flag.Bool("masks", false, "also write each query's true product mask under masks/")
	noExposure := flag.Bool("no-exposure", false, "ablation: leave out the queries' exposure change")
	noCast := flag.Bool("no-cast", false, "ablation: leave out the queries' colour cast")
	fov := flag.Float64("fov", 0, "the queries' camera's vertical field of view, degrees (0: the gallery's 30°; wider is a closer camera, as a phone's)")
	flag.Parse()
	if *fov != 0 && (*fov < 10 || *fov > 100) {
		fmt.Fprintln(os.Stderr, "gen: -fov must be 0 or within 10…100 degrees")
		os.Exit(2)
	}
	opt := synth.Options{Seed: *seed, QueriesPerProduct: *perProduct, QueryYawOffsetDeg: *yawOffset, Gallery: *gallery, Queries: true, Masks: *masks,
		NoExposure: *noExposure, NoCast: *noCast, QueryFovDeg: *fov}
	if err := synth.Generate(context.Background(), *out, opt); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	slog.Info("wrote labelled set", "dir", *out)
}
