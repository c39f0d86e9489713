package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/vitrine-shop/vitrine/server/assetpipe"
	"github.com/vitrine-shop/vitrine/wire"

	"github.com/vitrine-shop/vitrine/server/gltf"
)

const assetUsage = `usage:
  vitrine asset check FILE                       validate a .glb, a .gltf (resources beside it) or a .zip
  vitrine asset process FILE -o DIR [-dims W,H,D] [-placement KIND]
                                                 run the whole pipeline offline into DIR`

// assetCommand runs `vitrine asset check|process`.
func assetCommand(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) >= 1 && args[0] == "process" {
		return assetProcess(ctx, args[1:], stdout, stderr)
	}
	if len(args) != 2 || args[0] != "check" {
		fmt.Fprintln(stderr, assetUsage)
		return 2
	}
	path := args[1]
	problems, err := gltf.CheckFile(path, gltf.DefaultLimits())
	if err != nil {
		fmt.Fprintf(stderr, "vitrine asset check: %v\n", err)
		return 2
	}
	errorsFound := 0
	for _, p := range problems {
		fmt.Fprintln(stdout, p.String())
		if p.Severity == gltf.SeverityError {
			errorsFound++
		}
	}
	if errorsFound > 0 {
		fmt.Fprintf(stderr, "%s: invalid, %d error(s)\n", path, errorsFound)
		return 1
	}
	fmt.Fprintf(stderr, "%s: valid\n", path)
	return 0
}

// assetProcess runs the upload pipeline offline: it writes every level of
// detail (lod0.glb is the normalised full model), the poster, the views
// and report.json into a new folder, all or nothing.
func assetProcess(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("asset process", flag.ContinueOnError)
	fs.SetOutput(stderr)
	out := fs.String("o", "", "output folder (must not exist, or be empty)")
	dims := fs.String("dims", "", "declared real size W,H,D in metres; enables unit detection and the mismatch check")
	placement := fs.String("placement", wire.PlacementFloor, "floor, wall, table, face, wrist or feet (sets the origin convention)")
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		fmt.Fprintln(stderr, assetUsage)
		return 2
	}
	file := args[0]
	if err := fs.Parse(args[1:]); err != nil || fs.NArg() > 0 || *out == "" || !wire.ValidPlacement(*placement) {
		fmt.Fprintln(stderr, assetUsage)
		return 2
	}
	var declared wire.Dimensions
	if *dims != "" {
		parts := strings.Split(*dims, ",")
		var vals [3]float64
		for i := 0; i < 3 && len(parts) == 3; i++ {
			v, err := strconv.ParseFloat(strings.TrimSpace(parts[i]), 64)
			if err != nil || !(v > 0 && v <= 50) {
				parts = nil
				break
			}
			vals[i] = v
		}
		if len(parts) != 3 {
			fmt.Fprintln(stderr, "vitrine asset process: -dims must be three lengths in metres, W,H,D, each above 0 and at most 50")
			return 2
		}
		declared = wire.Dimensions{W: vals[0], H: vals[1], D: vals[2]}
	}
	if entries, err := os.ReadDir(*out); err == nil && len(entries) > 0 {
		fmt.Fprintf(stderr, "vitrine asset process: %s exists and is not empty\n", *out)
		return 2
	}
	data, err := readModelFile(file)
	if err != nil {
		fmt.Fprintf(stderr, "vitrine asset process: %v\n", err)
		return 2
	}
	if declared == (wire.Dimensions{}) {
		// Without a declared size the measured one stands in: no unit
		// detection, no mismatch.
		if a, err := gltf.Parse(data, gltf.DefaultLimits()); err == nil {
			if lo, hi, err := a.Bounds(); err == nil {
				declared = wire.Dimensions{W: hi[0] - lo[0], H: hi[1] - lo[1], D: hi[2] - lo[2]}
			}
		}
	}
	res, err := assetpipe.Process(ctx, data, assetpipe.ProcessInput{DeclaredM: declared, Placement: *placement, Budget: assetpipe.DefaultBudget()})
	var invalid *assetpipe.InvalidModelError
	if errors.As(err, &invalid) {
		for _, is := range invalid.Report.Issues {
			fmt.Fprintf(stdout, "%s %s %s: %s — %s\n", is.Severity, is.Code, is.Pointer, is.Message, is.Explanation)
		}
		fmt.Fprintf(stderr, "%s: refused; nothing written\n", file)
		return 1
	}
	if err != nil {
		fmt.Fprintf(stderr, "vitrine asset process: %v\n", err)
		return 1
	}
	if err := writeOutputs(*out, res); err != nil {
		fmt.Fprintf(stderr, "vitrine asset process: %v\n", err)
		return 1
	}
	for _, l := range res.LODs {
		fmt.Fprintf(stdout, "lod%d.glb  %7d triangles  %9d bytes\n", l.Level, l.Triangles, l.SizeBytes)
	}
	fmt.Fprintf(stdout, "measured %.3f × %.3f × %.3f m; report in %s\n", res.Report.NormalisedM.W, res.Report.NormalisedM.H, res.Report.NormalisedM.D, filepath.Join(*out, "report.json"))
	return 0
}

// readModelFile reads a .glb or .zip, or a .gltf packed with its
// resources from beside it.
func readModelFile(path string) ([]byte, error) {
	if strings.EqualFold(filepath.Ext(path), ".gltf") {
		a, err := gltf.ParseGLTFDir(path, gltf.DefaultLimits())
		if err != nil {
			return nil, err
		}
		return a.GLB()
	}
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if limit := gltf.DefaultLimits().MaxBytes; st.Size() > limit {
		return nil, fmt.Errorf("%s is %d bytes; the limit is %d", path, st.Size(), limit)
	}
	return os.ReadFile(path)
}

// writeOutputs writes everything into a temporary sibling folder and
// renames it into place, so dir holds all the outputs or none.
func writeOutputs(dir string, res *assetpipe.Outputs) error {
	parent := filepath.Dir(filepath.Clean(dir))
	tmp, err := os.MkdirTemp(parent, ".vitrine-process-*")
	if err != nil {
		return fmt.Errorf("output folder: %w", err)
	}
	defer os.RemoveAll(tmp)
	files := map[string][]byte{"poster.png": res.Poster}
	for _, l := range res.LODs {
		files[fmt.Sprintf("lod%d.glb", l.Level)] = l.GLB
	}
	for i, v := range res.Views {
		files[fmt.Sprintf("view-%d.png", i)] = v
	}
	report, err := json.MarshalIndent(res.Report, "", "  ")
	if err != nil {
		return fmt.Errorf("report: %w", err)
	}
	files["report.json"] = append(report, '\n')
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(tmp, name), data, 0o644); err != nil {
			return fmt.Errorf("write %s: %w", name, err)
		}
	}
	if err := os.Remove(dir); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("output folder %s: %w", dir, err)
	}
	if err := os.Rename(tmp, dir); err != nil {
		return fmt.Errorf("output folder %s: %w", dir, err)
	}
	return nil
}
