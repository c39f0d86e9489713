// Command gen bakes the viewer's image-based lighting (ibl.DefaultOptions)
// into the file the ibl package embeds. go generate ./wasm/ibl runs it.
package main

import (
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/vitrine-shop/vitrine/wasm/ibl"
)

func main() {
	out := flag.String("o", "lighting.bin", "output file")
	flag.Parse()
	start := time.Now()
	l, err := ibl.Bake(ibl.DefaultOptions)
	if err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
	data, err := ibl.Encode(l)
	if err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
	if err := os.WriteFile(*out, data, 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
	fmt.Printf("gen: %s: %d bytes, %d×%d×%d levels, LUT %d², baked in %v\n", *out, len(data), l.Width, l.Height, l.Levels, l.LUTSize, time.Since(start).Round(time.Millisecond))
}
