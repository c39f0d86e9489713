package main

import (
	"fmt"
	"io"

	"github.com/vitrine-shop/vitrine/server/gltf"
)

// assetCommand runs `vitrine asset check FILE`.
func assetCommand(args []string, stdout, stderr io.Writer) int {
	if len(args) != 2 || args[0] != "check" {
		fmt.Fprintln(stderr, "usage: vitrine asset check FILE   (a .glb, a .gltf with its resources beside it, or a .zip)")
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
