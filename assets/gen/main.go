// Command gen regenerates the sample catalog embedded by package assets:
// catalog.json, models/*.glb and photos/*.jpg. It is run by
// `go generate ./assets` (from the assets directory) and writes the same
// bytes on every run.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"

	"github.com/vitrine-shop/vitrine/assets/internal/catalogen"
)

func main() {
	out := flag.String("o", ".", "directory to write catalog.json, models/ and photos/ into")
	noPhotos := flag.Bool("no-photos", false, "skip rendering the product photos")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := catalogen.Generate(ctx, *out, catalogen.Options{Photos: !*noPhotos}); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}
