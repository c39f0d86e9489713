# Vitrine — the two commands a new machine needs are `make run` and `make test`.
SHELL := /bin/bash
GO ?= go
GOROOT := $(shell $(GO) env GOROOT)
MINIO_VERSION := v0.0.0-20260212201848-7aac2a2c5b7c
MINIO_DIR := $(CURDIR)/.cache/minio/$(MINIO_VERSION)
MINIO_BIN := $(MINIO_DIR)/minio
ADDR ?= :8080
# The demo merchant token README's curl examples use; set your own in production.
MERCHANT_TOKENS ?= demo=demo-token-change-me
# make fuzz runs each target for a fixed number of inputs, about 10 s of fuzzing here. Set
# FUZZTIME (say 60s) to fuzz every target that long instead; duration-based runs can fail
# spuriously with "context deadline exceeded" on Go 1.26 (golang/go#75804, fixed in Go 1.27).
FUZZTIME ?=
fuzz1 = $(GO) test -run '^$$' -fuzz '^$(1)$$' -fuzztime $(or $(FUZZTIME),$(3)) $(2)
VALIDATOR_VERSION := 2.0.0-dev.3.10
VALIDATOR := $(CURDIR)/.cache/gltf-validator/node_modules/gltf-validator/package.json

.PHONY: all run build wasm test check unit wasm-test fuzz e2e bench bench-assets bench-search bench-signals bench-viewer bench-placement minio validator onnx generate train-segnet train-whiten clean

all: build wasm

## run: build the viewer and the server, then serve http://localhost:8080/ with ./data
run: build wasm
	./bin/vitrine serve -addr $(ADDR) -data ./data -web wasm/web -merchant-tokens "$(MERCHANT_TOKENS)"

build:
	$(GO) build -o bin/vitrine ./server

## wasm: the browser viewer and its loader
wasm:
	GOOS=js GOARCH=wasm $(GO) build -trimpath -ldflags="-s -w" -o wasm/web/main.wasm ./wasm
	gzip -9 -k -f wasm/web/main.wasm
	cp "$(GOROOT)/lib/wasm/wasm_exec.js" wasm/web/wasm_exec.js

## minio: the pinned MinIO server the S3 tests run against, built once from the module proxy
minio: $(MINIO_BIN)
$(MINIO_BIN):
	@echo "building MinIO $(MINIO_VERSION) (one time, a few minutes)…"
	mkdir -p $(MINIO_DIR)
	GOBIN=$(MINIO_DIR) GOFLAGS=-buildvcs=false $(GO) install github.com/minio/minio@$(MINIO_VERSION)

## validator: the Khronos glTF-Validator (npm) every level of detail is held to
validator: $(VALIDATOR)
$(VALIDATOR):
	npm install --silent --no-audit --no-fund --prefix .cache/gltf-validator gltf-validator@$(VALIDATOR_VERSION)

## onnx: ONNX Runtime's shared library (from the npm package onnxruntime-node) for the CNN embedder
onnx:
	./server/vsearch/onnx/fetch.sh .cache/onnxruntime

## test: everything — formatting, vet, unit and integration tests (real MinIO,
## headless Chromium, the Khronos validator), the wire package under js/wasm,
## and short fuzz runs
test: check minio validator onnx wasm unit wasm-test fuzz

check:
	@unformatted=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$unformatted" ]; then echo "gofmt needed:"; echo "$$unformatted"; exit 1; fi
	$(GO) vet ./...
	GOOS=js GOARCH=wasm $(GO) vet ./wasm/... ./wire/...

unit:
	VITRINE_MINIO_BIN=$(MINIO_BIN) $(GO) test -timeout 30m ./...

wasm-test:
	PATH="$(GOROOT)/lib/wasm:$$PATH" GOOS=js GOARCH=wasm $(GO) test ./wire/...

fuzz:
	$(call fuzz1,FuzzDecode,./wire,10000x)
	$(call fuzz1,FuzzParse,./server/gltf,150x)
	$(call fuzz1,FuzzParseOBJ,./server/assetpipe,7000x)
	$(call fuzz1,FuzzUnmarshal,./server/vsearch/segnet,300000x)
	$(call fuzz1,FuzzUnmarshalWhitening,./server/vsearch,1000x)
	$(call fuzz1,FuzzDecodeQueryImage,./server/vsearch,2000x)
	$(call fuzz1,FuzzDecodeIndex,./server/vsearch,200000x)
	$(call fuzz1,FuzzDecodeShapes,./server/vsearch,5000x)
	$(call fuzz1,FuzzBuildLODs,./server/assetpipe,20x)
	$(call fuzz1,FuzzTextureExtensions,./server/assetpipe,100000x)
	$(call fuzz1,FuzzValidateKey,./server/blob,200000x)
	$(call fuzz1,FuzzScanFrames,./server/signals,200000x)
	$(call fuzz1,FuzzSignalBody,./server/signals,10000x)
	$(call fuzz1,FuzzReadObject,./server/signals,100000x)
	$(call fuzz1,FuzzDecodeMeasureRequest,./server/placement,100000x)
	$(call fuzz1,FuzzDispatch,./server/ws,8000x)
	$(call fuzz1,FuzzDecode,./wasm/glb,200x)
	$(call fuzz1,FuzzDecode,./wasm/ibl,10x)
	$(call fuzz1,FuzzParseLength,./wasm/placeflow,50000x)
	$(call fuzz1,FuzzAssembler,./wasm/stream,30000x)

## e2e: only the end-to-end tests (real server binary, headless Chromium)
e2e: minio
	VITRINE_MINIO_BIN=$(MINIO_BIN) $(GO) test -count=1 -v ./server/e2e/...

## bench: benchmarks that print figures (see docs/BENCHMARKS.md)
bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...

## bench-assets: levels of detail beside gltfpack -si on the same models (needs Debian gltfpack)
bench-assets:
	$(GO) test -run '^$$' -bench AssetsVsGltfpack -benchtime 1x -timeout 30m ./server/assetpipe

## bench-search: embed time, whole-query and index latency at 10k/100k/1M vectors, HNSW recall,
## memory, build rate (about 30 minutes here, most of it building the 1M graph)
bench-search:
	VITRINE_BENCH_1M=1 $(GO) test -run '^$$' -bench . -benchtime 1000x -timeout 90m ./server/vsearch/
	$(GO) test -run '^$$' -bench . ./server/vsearch/segnet/

## bench-viewer: first frame and bytes before it, Vitrine vs <model-viewer>, in headless Chromium
## (unthrottled and 10 Mbit/s + 40 ms, cold and warm), WASM size, frame time while orbiting
bench-viewer: minio
	npm install --silent --no-audit --no-fund --prefix .cache/model-viewer @google/model-viewer@4.4.0
	VITRINE_BENCH_VIEWER=1 VITRINE_BENCH_RUNS=3 VITRINE_MINIO_BIN=$(MINIO_BIN) $(GO) test ./server/e2e -run TestBenchViewer -count=1 -v -timeout 60m

## bench-signals: durable ingest rate and recs.get latency
bench-signals:
	$(GO) test -run '^$$' -bench . -benchtime 3s ./server/signals
	$(GO) test -run '^$$' -bench . -benchtime 20000x ./server/recs

## bench-placement: measurement cost and the accuracy simulation (docs/placement.md)
bench-placement:
	$(GO) test -run '^$$' -bench . ./server/placement
	$(GO) test -run TestAccuracyReport -v -timeout 30m ./server/placement -args -sim=2000

## train-segnet: retrain photo search's learned segmentation on generated photographs of random
## objects and rewrite server/vsearch/segnet.bin (deterministic; about 25 minutes here)
train-segnet:
	$(GO) run ./server/vsearch/eval/segtrain

## train-whiten: relearn photo search's descriptor whitening from random objects and rewrite
## server/vsearch/whiten.bin (deterministic; after train-segnet, which it depends on; about 5 minutes)
train-whiten:
	$(GO) run ./server/vsearch/eval/whiten

## generate: rebuild the sample catalog in assets/ and the viewer's baked lighting (deterministic)
generate:
	$(GO) generate ./assets ./wasm/ibl

clean:
	rm -rf bin wasm/web/main.wasm wasm/web/main.wasm.gz wasm/web/wasm_exec.js
