package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/vitrine-shop/vitrine/server/assetpipe"
	"github.com/vitrine-shop/vitrine/server/blob/s3store"
	"github.com/vitrine-shop/vitrine/server/gltf"
)

// serveConfig is everything `vitrine serve` is told, filled from flags
// and VITRINE_* environment variables.
type serveConfig struct {
	Addr               string
	DataDir            string
	WebDir             string
	S3                 s3store.Config
	MerchantTokens     string
	MerchantTokensFile string
	MaxModelBytes      int64
	MaxImageBytes      int64
	Seed               bool
	RefreshInterval    time.Duration
	ShutdownTimeout    time.Duration
	UploadTimeout      time.Duration
	ProcessWorkers     int
	ProcessTimeout     time.Duration
	WALDir             string
	SignalsKey         string
	SessionKey         string
	SignalsRetention   time.Duration
	SignalsEraseDelay  time.Duration
	LogLevel           slog.Level
	LogFormat          string

	// Budget bounds every uploaded model (MaxTotalBytes is MaxModelBytes).
	Budget assetpipe.Budget
}

// envName is the environment variable for a flag: -s3-endpoint is
// VITRINE_S3_ENDPOINT.
func envName(flagName string) string {
	return "VITRINE_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

func parseServeFlags(args []string, lookupEnv func(string) (string, bool), stderr io.Writer) (serveConfig, error) {
	var cfg serveConfig
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&cfg.Addr, "addr", ":8080", "listen address")
	fs.StringVar(&cfg.DataDir, "data", "./data", "folder of the filesystem blob store (used unless -s3-endpoint is set)")
	fs.StringVar(&cfg.WebDir, "web", "wasm/web", "folder with the viewer's index.html, main.wasm and wasm_exec.js")
	fs.StringVar(&cfg.S3.Endpoint, "s3-endpoint", "", "S3/MinIO endpoint host:port; when set, all state lives in that bucket")
	fs.StringVar(&cfg.S3.Bucket, "s3-bucket", "vitrine", "S3 bucket")
	fs.StringVar(&cfg.S3.AccessKey, "s3-access-key", "", "S3 access key")
	fs.StringVar(&cfg.S3.SecretKey, "s3-secret-key", "", "S3 secret key (prefer the VITRINE_S3_SECRET_KEY environment variable)")
	fs.StringVar(&cfg.S3.Region, "s3-region", "", "S3 region")
	fs.StringVar(&cfg.S3.Prefix, "s3-prefix", "", "key prefix inside the bucket, to share a bucket")
	fs.BoolVar(&cfg.S3.Secure, "s3-tls", false, "use HTTPS to reach the S3 endpoint")
	fs.BoolVar(&cfg.S3.CreateBucket, "s3-create-bucket", true, "create the bucket if it does not exist")
	fs.StringVar(&cfg.MerchantTokens, "merchant-tokens", "", `merchant bearer tokens, "merchantA=tokenA,merchantB=tokenB"`)
	fs.StringVar(&cfg.MerchantTokensFile, "merchant-tokens-file", "", "file with one merchant=token per line")
	fs.Int64Var(&cfg.MaxModelBytes, "max-model-bytes", assetpipe.DefaultBudget().MaxTotalBytes, "largest model upload in bytes (also the budget for the stored model)")
	addBudgetFlags(fs, &cfg.Budget)
	fs.Int64Var(&cfg.MaxImageBytes, "max-image-bytes", 16<<20, "largest photo upload in bytes")
	fs.BoolVar(&cfg.Seed, "seed", true, "seed an empty catalog with the sample products")
	fs.DurationVar(&cfg.RefreshInterval, "refresh", 5*time.Second, "how often to pick up catalog changes made by other servers on the same store")
	fs.DurationVar(&cfg.ShutdownTimeout, "shutdown-timeout", 15*time.Second, "how long to drain sessions and requests on SIGINT/SIGTERM")
	fs.DurationVar(&cfg.UploadTimeout, "upload-timeout", 5*time.Minute, "longest time to read one request, uploads included")
	fs.IntVar(&cfg.ProcessWorkers, "process-workers", 1, "models processed at once (levels of detail, posters, views)")
	fs.DurationVar(&cfg.ProcessTimeout, "process-timeout", 5*time.Minute, "longest time to process one model")
	fs.StringVar(&cfg.WALDir, "wal-dir", "./wal", "local folder of the interaction-signal write-ahead log (one per server; shipped to the blob store)")
	fs.StringVar(&cfg.SignalsKey, "signals-key", "", "secret that keys session pseudonyms in the signal log; replicas sharing a store must share it (default: a random key kept in -wal-dir)")
	fs.StringVar(&cfg.SessionKey, "session-key", "", "secret (16+ bytes) that signs shopper session ids so sessions survive restarts and move between replicas sharing it (default: a random key kept in -wal-dir)")
	fs.DurationVar(&cfg.SignalsRetention, "signals-retention", 90*24*time.Hour, "how long stored interaction events are kept")
	fs.DurationVar(&cfg.SignalsEraseDelay, "signals-erase-delay", time.Hour, "longest time from privacy.erase until no stored object holds the erased events")
	level := fs.String("log-level", "info", "debug, info, warn or error")
	fs.StringVar(&cfg.LogFormat, "log-format", "text", "text or json")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: vitrine serve [flags]\n\nEvery flag can also be set by its environment variable, shown in brackets.")
		fs.VisitAll(func(f *flag.Flag) {
			fmt.Fprintf(fs.Output(), "  -%s [%s]\n    \t%s (default %q)\n", f.Name, envName(f.Name), f.Usage, f.DefValue)
		})
	}
	if err := fs.Parse(args); err != nil {
		return cfg, err
	}
	if fs.NArg() > 0 {
		return cfg, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	var envErr error
	fs.VisitAll(func(f *flag.Flag) {
		if set[f.Name] {
			return
		}
		if v, ok := lookupEnv(envName(f.Name)); ok {
			if err := fs.Set(f.Name, v); err != nil && envErr == nil {
				envErr = fmt.Errorf("%s=%q: %w", envName(f.Name), v, err)
			}
		}
	})
	if envErr != nil {
		return cfg, envErr
	}
	if err := cfg.LogLevel.UnmarshalText([]byte(*level)); err != nil {
		return cfg, fmt.Errorf("-log-level: %w", err)
	}
	if cfg.LogFormat != "text" && cfg.LogFormat != "json" {
		return cfg, errors.New("-log-format must be text or json")
	}
	if cfg.MaxImageBytes <= 0 {
		return cfg, errors.New("-max-image-bytes must be positive")
	}
	cfg.Budget.MaxTotalBytes = cfg.MaxModelBytes
	if err := checkBudget(cfg.Budget); err != nil {
		return cfg, err
	}
	if cfg.SessionKey != "" && len(cfg.SessionKey) < 16 {
		return cfg, errors.New("-session-key must be at least 16 bytes")
	}
	if cfg.ProcessWorkers < 1 || cfg.ProcessWorkers > 64 || cfg.ProcessTimeout < time.Second {
		return cfg, errors.New("-process-workers must be 1…64 and -process-timeout at least 1s")
	}
	if cfg.SignalsRetention < time.Hour || cfg.SignalsEraseDelay < time.Second {
		return cfg, errors.New("-signals-retention must be at least 1h and -signals-erase-delay at least 1s")
	}
	if cfg.RefreshInterval < 100*time.Millisecond {
		return cfg, errors.New("-refresh must be at least 100ms")
	}
	return cfg, nil
}

// maxModelBytesCeiling bounds -max-model-bytes: a model is held in memory
// while it is checked and processed.
const maxModelBytesCeiling = 1 << 30

// addBudgetFlags registers the model budget flags (-max-triangles,
// -max-vertices, -max-textures, -max-texture-side) on fs, defaulting to
// assetpipe.DefaultBudget. -max-model-bytes, which every command already
// has, sets MaxTotalBytes.
func addBudgetFlags(fs *flag.FlagSet, b *assetpipe.Budget) {
	def := assetpipe.DefaultBudget()
	fs.IntVar(&b.MaxTriangles, "max-triangles", def.MaxTriangles, "most triangles a model may draw (0: only the parser's limit)")
	fs.IntVar(&b.MaxVertices, "max-vertices", def.MaxVertices, "most vertices a model may have (0: only the parser's limit)")
	fs.IntVar(&b.MaxTextures, "max-textures", def.MaxTextures, "most textures a model may use (0: only the parser's limit)")
	fs.IntVar(&b.MaxTextureSide, "max-texture-side", def.MaxTextureSide, "largest texture side in pixels (0: only the parser's limit)")
}

// checkBudget refuses negative bounds and bounds the parser would never
// let a model reach (0 leaves only the parser's limit).
func checkBudget(b assetpipe.Budget) error {
	lim := gltf.DefaultLimits()
	for _, c := range []struct {
		flag       string
		value, top int64
	}{
		{"-max-triangles", int64(b.MaxTriangles), int64(lim.MaxTriangles)},
		{"-max-vertices", int64(b.MaxVertices), int64(lim.MaxVertices)},
		{"-max-textures", int64(b.MaxTextures), int64(lim.MaxTextures)},
		{"-max-texture-side", int64(b.MaxTextureSide), int64(lim.MaxImageSide)},
	} {
		if c.value < 0 || c.value > c.top {
			return fmt.Errorf("%s must be 0…%d (the parser's limit), not %d", c.flag, c.top, c.value)
		}
	}
	if b.MaxTotalBytes <= 0 || b.MaxTotalBytes > maxModelBytesCeiling {
		return fmt.Errorf("-max-model-bytes must be 1…%d, not %d", maxModelBytesCeiling, b.MaxTotalBytes)
	}
	return nil
}

// modelLimits are the parser's limits for models of at most
// maxModelBytes: the defaults, with room for larger files when the budget
// allows them.
func modelLimits(maxModelBytes int64) gltf.Limits {
	lim := gltf.DefaultLimits()
	lim.MaxBytes = max(lim.MaxBytes, maxModelBytes)
	lim.MaxZipUncompressedBytes = max(lim.MaxZipUncompressedBytes, 4*maxModelBytes)
	return lim
}
