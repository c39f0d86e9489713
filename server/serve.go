package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/vitrine-shop/vitrine/server/assetpipe"
	"github.com/vitrine-shop/vitrine/server/blob"
	"github.com/vitrine-shop/vitrine/server/blob/fsstore"
	"github.com/vitrine-shop/vitrine/server/blob/s3store"
	"github.com/vitrine-shop/vitrine/server/catalog"
	"github.com/vitrine-shop/vitrine/server/httpapi"
	"github.com/vitrine-shop/vitrine/server/seed"
	"github.com/vitrine-shop/vitrine/server/ws"
)

// orphanMinAge keeps the sweep away from files of uploads still in flight.
const orphanMinAge = time.Hour

// serve runs the server until ctx ends, then drains it.
func serve(ctx context.Context, cfg serveConfig, log *slog.Logger) error {
	store, where, err := openStore(ctx, cfg)
	if err != nil {
		return err
	}
	log.Info("vitrine: blob store", "store", where)

	tokens, err := httpapi.LoadTokens(cfg.MerchantTokens, cfg.MerchantTokensFile)
	if err != nil {
		return err
	}
	if len(tokens) == 0 {
		log.Warn("vitrine: no merchant tokens configured; the merchant API answers 401 to everyone")
	}

	cat, err := catalog.Open(ctx, store, catalog.Options{Logger: log})
	if err != nil {
		return err
	}
	pipe := assetpipe.New(assetpipe.Config{Store: store, Catalog: cat, Logger: log})
	if settled, err := cat.RecoverInterrupted(ctx, pipe.Finish); err != nil {
		return err
	} else if len(settled) > 0 {
		log.Info("vitrine: settled interrupted uploads", "skus", settled)
	}
	if cfg.Seed {
		if _, err := seed.Run(ctx, store, cat, pipe, log); err != nil {
			return err
		}
	}
	log.Info("vitrine: catalog loaded", "products", cat.Len())

	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	hub, err := ws.NewHub(ws.Config{Catalog: cat, Blobs: store, Logger: log, Registerer: reg})
	if err != nil {
		return err
	}
	var shuttingDown atomic.Bool
	handler, err := httpapi.New(httpapi.Config{
		Catalog: cat, Pipeline: pipe, Blobs: store, WebSocket: hub, WebDir: cfg.WebDir,
		Merchants: tokens, MaxModelBytes: cfg.MaxModelBytes, MaxImageBytes: cfg.MaxImageBytes,
		Registry: reg, Logger: log,
		Ready: func(ctx context.Context) error {
			if shuttingDown.Load() {
				return errors.New("shutting down")
			}
			if _, err := store.Stat(ctx, seed.MarkerKey); err != nil && !errors.Is(err, blob.ErrNotFound) {
				return fmt.Errorf("blob store: %w", err)
			}
			return nil
		},
	})
	if err != nil {
		return err
	}

	bg, stopBackground := context.WithCancel(context.WithoutCancel(ctx))
	defer stopBackground()
	go cat.Follow(bg, cfg.RefreshInterval)
	go func() {
		if n, err := cat.SweepOrphans(bg, orphanMinAge); err != nil && bg.Err() == nil {
			log.Warn("vitrine: orphan sweep failed", "err", err)
		} else if n > 0 {
			log.Info("vitrine: orphan sweep", "deleted", n)
		}
	}()

	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.Addr, err)
	}
	srv := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       cfg.UploadTimeout,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	log.Info("vitrine: serving", "addr", ln.Addr().String())

	select {
	case err := <-served:
		return fmt.Errorf("http server: %w", err)
	case <-ctx.Done():
	}
	log.Info("vitrine: shutting down", "timeout", cfg.ShutdownTimeout)
	shuttingDown.Store(true)
	drain, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	defer cancel()
	// HTTP requests (uploads in flight) and WebSocket sessions drain together.
	wsDone := make(chan error, 1)
	go func() { wsDone <- hub.Shutdown(drain) }()
	errHTTP := srv.Shutdown(drain)
	errWS := <-wsDone
	stopBackground()
	if err := errors.Join(errHTTP, errWS); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	log.Info("vitrine: stopped")
	return nil
}

func openStore(ctx context.Context, cfg serveConfig) (blob.Store, string, error) {
	if cfg.S3.Endpoint != "" {
		sctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		st, err := s3store.New(sctx, cfg.S3)
		if err != nil {
			return nil, "", err
		}
		return st, "s3://" + cfg.S3.Endpoint + "/" + cfg.S3.Bucket + "/" + cfg.S3.Prefix, nil
	}
	st, err := fsstore.New(cfg.DataDir)
	if err != nil {
		return nil, "", err
	}
	return st, cfg.DataDir, nil
}
