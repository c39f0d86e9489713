package main

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
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
	"github.com/vitrine-shop/vitrine/server/recs"
	"github.com/vitrine-shop/vitrine/server/seed"
	"github.com/vitrine-shop/vitrine/server/signals"
	"github.com/vitrine-shop/vitrine/server/vsearch"
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
	limits := modelLimits(cfg.MaxModelBytes)
	models := assetpipe.NewModelProcessor(assetpipe.ModelProcessorConfig{Store: store, Catalog: cat, Limits: limits, Budget: cfg.Budget, Logger: log})
	processor, err := assetpipe.NewProcessor(assetpipe.ProcessorConfig{
		Workers: cfg.ProcessWorkers, QueueCapacity: 256, JobTimeout: cfg.ProcessTimeout, Process: models.Process, Logger: log,
		Pending: func(context.Context) ([]string, error) { return cat.Processing(), nil },
	})
	if err != nil {
		return err
	}
	pipe, err := assetpipe.New(assetpipe.Config{Store: store, Catalog: cat, Logger: log, Limits: limits, Budget: cfg.Budget,
		Process: func(_ context.Context, sku string) error { return processor.Enqueue(sku) }})
	if err != nil {
		return err
	}
	if settled, err := cat.RecoverInterrupted(ctx); err != nil {
		return err
	} else if len(settled) > 0 {
		log.Info("vitrine: settled interrupted uploads", "skus", settled)
	}
	if cfg.Seed {
		// The samples are processed before the server answers, so the first
		// page a shopper sees is complete.
		inline, err := assetpipe.NewInline(assetpipe.Config{Store: store, Catalog: cat, Logger: log})
		if err != nil {
			return err
		}
		if _, err := seed.Run(ctx, store, cat, inline, log); err != nil {
			return err
		}
	}
	log.Info("vitrine: catalog loaded", "products", cat.Len())

	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))

	var key []byte
	if cfg.SignalsKey != "" {
		key = []byte(cfg.SignalsKey)
	}
	sig, err := signals.Open(ctx, signals.Options{Dir: cfg.WALDir, Store: store, PseudonymKey: key,
		Retention: cfg.SignalsRetention, EraseDelay: cfg.SignalsEraseDelay, Logger: log})
	if err != nil {
		return err
	}
	defer func() {
		closing, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
		defer cancel()
		if err := sig.Close(closing); err != nil {
			log.Error("vitrine: closing the signal log", "err", err)
		}
	}()
	registerSignalMetrics(reg, sig)

	gallery, err := vsearch.OpenGallery(ctx, vsearch.NewDescriptor(), store, cat, log)
	if err != nil {
		return err
	}
	if err := gallery.Sync(ctx); err != nil {
		log.Warn("vitrine: indexing the catalog for visual search", "err", err)
	}
	recommender := recs.New(recs.Options{Similar: func(sku string, k int) []recs.SimilarItem {
		var items []recs.SimilarItem
		for _, n := range gallery.Neighbours(context.Background(), sku, k) {
			items = append(items, recs.SimilarItem{SKU: n.SKU, Score: n.Score})
		}
		return items
	}})

	sessionKey := []byte(cfg.SessionKey)
	if cfg.SessionKey == "" {
		if sessionKey, err = loadOrCreateKey(filepath.Join(cfg.WALDir, "session.key")); err != nil {
			return err
		}
	}
	hub, err := ws.NewHub(ws.Config{Catalog: cat, Blobs: store, Logger: log, Registerer: reg, Signals: sig, Recs: recommender, SessionKey: sessionKey, Search: gallery})
	if err != nil {
		return err
	}
	var shuttingDown atomic.Bool
	handler, err := httpapi.New(httpapi.Config{
		Catalog: cat, Pipeline: pipe, Blobs: store, WebSocket: hub, WebDir: cfg.WebDir,
		Merchants: tokens, MaxModelBytes: cfg.MaxModelBytes, MaxImageBytes: cfg.MaxImageBytes,
		Registry: reg, Logger: log, Search: gallery,
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
	if err := processor.Start(bg); err != nil {
		return err
	}
	defer func() {
		stopping, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
		defer cancel()
		if err := processor.Stop(stopping); err != nil {
			log.Warn("vitrine: stopping the asset processor", "err", err)
		}
	}()
	go cat.Follow(bg, cfg.RefreshInterval)
	go feedRecommender(bg, cat, recommender, cfg.RefreshInterval)
	go gallery.Follow(bg, cfg.RefreshInterval)
	go sweepOrphans(bg, cat, log)
	go backfillShapes(bg, cat, models, log)

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

// feedRecommender keeps the recommender's view of the catalog current:
// at start and whenever the catalog changes.
func feedRecommender(ctx context.Context, cat *catalog.Catalog, rec *recs.Engine, interval time.Duration) {
	seen := uint64(0)
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if gen := cat.Generation(); gen != seen {
			seen = gen
			page, err := cat.List(ctx, catalog.Query{ReadyOnly: true, Limit: 1 << 30})
			if err == nil {
				items := make([]recs.Item, 0, len(page.Products))
				for _, p := range page.Products {
					items = append(items, recs.Item{SKU: p.SKU, Name: p.Name, Category: p.Category, Merchant: p.Merchant})
				}
				rec.SetCatalog(items)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// registerSignalMetrics exports the signal log's queues and counters.
func registerSignalMetrics(reg prometheus.Registerer, sig *signals.Log) {
	gauge := func(name, help string, f func(signals.Stats) float64) {
		reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help}, func() float64 { return f(sig.Stats()) }))
	}
	gauge("vitrine_signals_queued_batches", "Signal batches waiting for the log writer.", func(s signals.Stats) float64 { return float64(s.QueuedBatches) })
	gauge("vitrine_signals_closed_segments", "Closed log segments waiting to be shipped.", func(s signals.Stats) float64 { return float64(s.ClosedSegments) })
	gauge("vitrine_signals_stored_events", "Events stored since start.", func(s signals.Stats) float64 { return float64(s.StoredEvents) })
	gauge("vitrine_signals_duplicate_events", "Retried events recognised and not stored again.", func(s signals.Stats) float64 { return float64(s.DuplicateEvents) })
	gauge("vitrine_signals_ship_errors", "Failed attempts to ship a segment to the blob store.", func(s signals.Stats) float64 { return float64(s.ShipErrors) })
	gauge("vitrine_signals_pending_erasures", "Erasures not yet applied to every stored object.", func(s signals.Stats) float64 { return float64(s.PendingErasures) })
}

// sweepOrphans removes unreferenced product files (replaced models, levels
// and views, interrupted uploads) at start and then every orphanMinAge.
func sweepOrphans(ctx context.Context, cat *catalog.Catalog, log *slog.Logger) {
	t := time.NewTicker(orphanMinAge)
	defer t.Stop()
	for {
		if n, err := cat.SweepOrphans(ctx, orphanMinAge); err != nil && ctx.Err() == nil {
			log.Warn("vitrine: orphan sweep failed", "err", err)
		} else if n > 0 {
			log.Info("vitrine: orphan sweep", "deleted", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// backfillShapes gives every ready product processed before shape sheets
// existed (photo search's shape verification; assetpipe.RenderShapes)
// its sheet, one product at a time, once at start: new models get theirs
// when processed. The gallery re-indexes each product as its catalog
// entry changes; until then it is scored as one without a model.
func backfillShapes(ctx context.Context, cat *catalog.Catalog, models *assetpipe.ModelProcessor, log *slog.Logger) {
	page, err := cat.List(ctx, catalog.Query{ReadyOnly: true, Limit: 1 << 30})
	if err != nil {
		log.Warn("vitrine: listing products for shape sheets", "err", err)
		return
	}
	added := 0
	for _, p := range page.Products {
		if p.Model == nil || p.ShapeKey != "" {
			continue
		}
		done, err := models.BackfillShapes(ctx, p.SKU)
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			log.Warn("vitrine: shape sheet not made", "sku", p.SKU, "err", err)
			continue
		}
		if done {
			added++
		}
	}
	if added > 0 {
		log.Info("vitrine: shape sheets added to earlier models", "products", added)
	}
}

// loadOrCreateKey reads a 32-byte secret from path, creating it (mode
// 0600, written atomically) on first use.
func loadOrCreateKey(path string) ([]byte, error) {
	if key, err := os.ReadFile(path); err == nil {
		if len(key) < 16 {
			return nil, fmt.Errorf("key file %s holds %d bytes; want at least 16", path, len(key))
		}
		return key, nil
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("read key file: %w", err)
	}
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return nil, fmt.Errorf("new key: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("key file: %w", err)
	}
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return nil, fmt.Errorf("write key file: %w", err)
	}
	_, err = f.Write(key)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, fmt.Errorf("write key file: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return nil, fmt.Errorf("write key file: %w", err)
	}
	return key, nil
}
