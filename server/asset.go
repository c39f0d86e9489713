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
  vitrine asset check FILE [budget flags]        validate a .glb, a .gltf (resources beside it), an .obj (.mtl and
                                                 textures beside it) or a .zip of either, as an upload is validated
  vitrine asset process FILE -o DIR [-dims W,H,D] [-placement KIND] [budget flags]
                                                 run the whole pipeline offline into DIR
budget flags (defaults as for uploads):
  -max-triangles N -max-vertices N -max-textures N -max-texture-side PX -max-model-bytes N`

// assetCommand runs `vitrine asset check|process`.
func assetCommand(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) >= 1 && args[0] == "process" {
		return assetProcess(ctx, args[1:], stdout, stderr)
	}
	if len(args) < 2 || args[0] != "check" {
		fmt.Fprintln(stderr, assetUsage)
		return 2
	}
	fs := flag.NewFlagSet("asset check", flag.ContinueOnError)
	fs.SetOutput(stderr)
	budget, maxBytes := assetBudgetFlags(fs)
	path, err := parseFileAndFlags(fs, args[1:])
	if err == nil {
		budget.MaxTotalBytes = *maxBytes
		err = checkBudget(*budget)
	}
	if err != nil {
		fmt.Fprintf(stderr, "vitrine asset check: %v\n%s\n", err, assetUsage)
		return 2
	}
	asset, glb, err := assetpipe.ReadModelFile(path, modelLimits(*maxBytes))
	var problems []gltf.Problem
	var invalid *gltf.InvalidError
	switch {
	case errors.As(err, &invalid):
		problems = invalid.Problems
	case err != nil:
		fmt.Fprintf(stderr, "vitrine asset check: %v\n", err)
		return 2
	default:
		for _, is := range budget.Check(asset, int64(len(glb))) {
			problems = append(problems, gltf.Problem{Severity: gltf.SeverityError, Code: is.Code, Pointer: is.Pointer, Message: is.Message})
		}
		problems = append(problems, asset.Warnings...)
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

// assetBudgetFlags registers the budget flags and -max-model-bytes.
func assetBudgetFlags(fs *flag.FlagSet) (*assetpipe.Budget, *int64) {
	budget := &assetpipe.Budget{}
	addBudgetFlags(fs, budget)
	maxBytes := fs.Int64("max-model-bytes", assetpipe.DefaultBudget().MaxTotalBytes, "largest model file in bytes")
	return budget, maxBytes
}

// parseFileAndFlags parses one FILE argument with flags before or after it.
func parseFileAndFlags(fs *flag.FlagSet, args []string) (string, error) {
	if err := fs.Parse(args); err != nil {
		return "", err
	}
	if fs.NArg() == 0 {
		return "", errors.New("no FILE given")
	}
	file := fs.Arg(0)
	if err := fs.Parse(fs.Args()[1:]); err != nil {
		return "", err
	}
	if fs.NArg() > 0 {
		return "", fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	return file, nil
}

// assetProcess runs the upload pipeline offline: it writes every level of
// detail (lod0.glb is the normalised full model), the poster, the views,
// the shape sheet (shapes.png) and report.json into a new folder, all or
// nothing.
func assetProcess(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("asset process", flag.ContinueOnError)
	fs.SetOutput(stderr)
	out := fs.String("o", "", "output folder (must not exist, or be empty)")
	dims := fs.String("dims", "", "declared real size W,H,D in metres; enables unit detection and the mismatch check")
	placement := fs.String("placement", wire.PlacementFloor, "floor, wall, table, face, wrist or feet (sets the origin convention)")
	budget, maxBytes := assetBudgetFlags(fs)
	file, err := parseFileAndFlags(fs, args)
	if err != nil || *out == "" || !wire.ValidPlacement(*placement) {
		fmt.Fprintln(stderr, assetUsage)
		return 2
	}
	budget.MaxTotalBytes = *maxBytes
	if err := checkBudget(*budget); err != nil {
		fmt.Fprintf(stderr, "vitrine asset process: %v\n", err)
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
	lim := modelLimits(*maxBytes)
	asset, data, err := assetpipe.ReadModelFile(file, lim)
	var unreadable *gltf.InvalidError
	if errors.As(err, &unreadable) {
		for _, is := range assetpipe.IssuesFromProblems(unreadable.Problems) {
			fmt.Fprintf(stdout, "%s %s %s: %s — %s\n", is.Severity, is.Code, is.Pointer, is.Message, is.Explanation)
		}
		fmt.Fprintf(stderr, "%s: refused; nothing written\n", file)
		return 1
	}
	if err != nil {
		fmt.Fprintf(stderr, "vitrine asset process: %v\n", err)
		return 2
	}
	if declared == (wire.Dimensions{}) {
		// Without a declared size the measured one stands in: no unit
		// detection, no mismatch.
		if lo, hi, err := asset.Bounds(); err == nil {
			declared = wire.Dimensions{W: hi[0] - lo[0], H: hi[1] - lo[1], D: hi[2] - lo[2]}
		}
	}
	res, err := assetpipe.Process(ctx, data, assetpipe.ProcessInput{DeclaredM: declared, Placement: *placement, Limits: lim, Budget: *budget})
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
	if res.Shapes != nil {
		files["shapes.png"] = res.Shapes
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
