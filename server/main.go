// Command vitrine is the Vitrine server and its asset tools.
//
//	vitrine [serve] [flags]      serve the viewer, the API and /ws
//	vitrine asset check FILE     validate a .glb, .gltf, .obj or .zip as an upload would be
//	vitrine asset process FILE   also build the levels of detail, posters and views
//	vitrine eval recs|search     offline evaluation of the recommenders or visual search
//
// Every serve flag has a VITRINE_* environment equivalent (-s3-endpoint is
// VITRINE_S3_ENDPOINT); a flag given on the command line wins.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run dispatches a command line and returns the process exit code.
func run(args []string, stdout, stderr io.Writer) int {
	cmd := "serve"
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "serve":
		return serveCommand(args, stderr)
	case "asset":
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		defer stop()
		return assetCommand(ctx, args, stdout, stderr)
	case "eval":
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		defer stop()
		return evalCommand(ctx, args, stdout, stderr)
	case "help":
		usage(stdout)
		return 0
	default:
		fmt.Fprintf(stderr, "vitrine: unknown command %q\n", cmd)
		usage(stderr)
		return 2
	}
}

func usage(w io.Writer) {
	fmt.Fprint(w, `usage:
  vitrine [serve] [flags]      serve the viewer, the HTTP API and the vitrine.v1 WebSocket
  vitrine asset check FILE     validate a .glb, .gltf (resources beside it) or .zip upload;
                               exit 0 valid, 1 invalid, 2 unusable arguments
  vitrine asset process FILE -o DIR [-dims W,H,D] [-placement KIND]
                               run the asset pipeline offline: levels of detail, poster,
                               views and report.json into DIR
  vitrine eval recs [flags]    offline HitRate@10, NDCG@10, coverage and diversity of the recommenders
  vitrine eval search [flags]  Recall@1/5/10 and mAP of the visual-search embedders on a labelled set
run "vitrine serve -h" for the server's flags and their VITRINE_* environment variables.
`)
}

func serveCommand(args []string, stderr io.Writer) int {
	cfg, err := parseServeFlags(args, os.LookupEnv, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "vitrine serve: %v\n", err)
		return 2
	}
	log := newLogger(cfg, stderr)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := serve(ctx, cfg, log); err != nil {
		log.Error("vitrine: server failed", "err", err)
		return 1
	}
	return 0
}

func newLogger(cfg serveConfig, w io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: cfg.LogLevel}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}
