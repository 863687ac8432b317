# GridRealm. `make run` starts a realm, `make test` runs every test.
GO       ?= go
FUZZTIME ?= 60s
FLATC    ?= flatc

SCHEMAS  := $(wildcard net/schema/*.fbs)

.PHONY: run build setup test unit metrics-doc drill travel bench bench-zone bench-db bench-gateway bench-live bench-quic-experiment fuzz soak swarm generate generate-check lint

# A realm on this machine with DEV_ACCOUNTS bot accounts (bot0…, password
# "bot"), so that bin/swarm can play on it at once. Ctrl-C stops it.
DEV_ACCOUNTS ?= 1000
run: build
	./bin/realm up --dev-accounts $(DEV_ACCOUNTS)

# bin/realm and bin/swarm.
build:
	$(GO) build -o bin/ ./cmd/realm ./cmd/swarm

# What make test needs beyond Go (flatc): installed, or the command to run.
setup:
	@bash tools/setup.sh

# Everything CI checks: lint, generated code up to date, every test.
test: setup lint generate-check unit

# Tests keep what they want looked at (the console's screenshots) in
# test-output/_artifacts.
#
# Every package runs under the race detector but the end-to-end one: its
# tests drive realm processes (built without it) through crashes, and under
# -race its in-process harness doubled its time (700 s of CI's 14 min); the
# nodes it runs in-process have race-checked tests of their own.
unit:
	mkdir -p test-output
	$(GO) test -race -timeout 15m $$($(GO) list ./... | grep -v '/tools/integration$$')
	$(GO) test -timeout 15m -artifacts -outputdir $(CURDIR)/test-output ./tools/integration
	# The login flood needs argon2id at full speed: without -race, alone.
	$(GO) test -count=1 -run '^TestLoginFloodHonestPlayersGetIn$$' ./world/login

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...

# The issue-level figures: zone ticks and the db node, as JSON.
bench-zone:
	$(GO) run ./cmd/realm bench zone --scenario spread --players 10000 --npcs 50000 --ticks 200 --json
	$(GO) run ./cmd/realm bench zone --scenario clump --players 2000 --npcs 2000 --ticks 200 --json

# The live path's cost per player, as a user runs it: a whole realm of
# processes and 1,000 bots over QUIC, in a crowd, spread out, and in the
# crowd again with each player shown its 100 nearest (--max-visible); JSON with
# the gateways' and the swarm's CPU per player per tick against the UDP
# floor measured in the same run.
BENCH_LIVE_PLAYERS ?= 1000
bench-live: build
	./bin/realm bench gateway --players $(BENCH_LIVE_PLAYERS) --scenario crowd --json
	./bin/realm bench gateway --players $(BENCH_LIVE_PLAYERS) --scenario spread --port-base 24400 --json
	./bin/realm bench gateway --players $(BENCH_LIVE_PLAYERS) --scenario crowd --max-visible 100 --port-base 24700 --json

bench-db:
	$(GO) run ./cmd/realm bench db --json

# The quic-go changes ARCHITECTURE §3 proposes upstream, measured on the live
# gateway bench against a patched copy of the module (the project's build is
# untouched): stock, no send-queue goroutine, ACK frequency, ACKs riding on
# datagram packets, both ACK changes. QUICEXP_PLAYERS (200), QUICEXP_DURATION
# (20s), QUICEXP_ROUNDS (2).
bench-quic-experiment:
	tools/quicexp/experiment.sh $(or $(QUICEXP_PLAYERS),200) $(or $(QUICEXP_DURATION),20s) $(or $(QUICEXP_ROUNDS),2)

# CPU per player datagram (build; send on QUIC for 1, 16 and 256 players)
# in a crowd and in a sparse view, and the UDP floor; CPU per player of a
# whole snapshot pass (mirror, what each sees, build) for 100 players in a
# crowd and spread out: five runs of each.
bench-gateway:
	$(GO) test -run '^$$' -bench 'Gateway(PlayerDatagram|Pass)' -benchmem -count 5 ./world/gateway

# realm up plus a swarm against it, both torn down after: SWARM_BOTS (1000),
# SWARM_DURATION (60s), SWARM_BEHAVIOR (wander), SWARM_ARGS (more flags).
swarm:
	GO=$(GO) bash tools/swarm/make-swarm.sh

# The db crash test for 10 minutes instead of 15 seconds.
SOAK ?= 10m
soak:
	GRIDREALM_CRASH_DURATION=$(SOAK) $(GO) test -count=1 -timeout 30m -run DBSurvivesSIGKILL -v ./tools/integration

# A live crash drill: a realm under a reviver, DRILL_BOTS bots, a SIGKILL
# of a random node (of DRILL_TARGETS, node ids, when given) every 10-30 s
# for DRILL; JSON report in drill-report.json.
TRAVEL ?= 60s
TRAVEL_BOTS ?= 200
travel:
	GRIDREALM_TRAVEL=$(TRAVEL) GRIDREALM_TRAVEL_BOTS=$(TRAVEL_BOTS) GRIDREALM_TRAVEL_REPORT=$(CURDIR)/travel-report.json \
	  $(GO) test -count=1 -timeout 30m -run '^TestTravel$$' -v ./tools/integration

DRILL ?= 5m
DRILL_BOTS ?= 100
DRILL_TARGETS ?=
drill:
	GRIDREALM_DRILL=$(DRILL) GRIDREALM_DRILL_BOTS=$(DRILL_BOTS) GRIDREALM_DRILL_TARGETS=$(DRILL_TARGETS) GRIDREALM_DRILL_REPORT=$(CURDIR)/drill-report.json \
	  $(GO) test -count=1 -timeout 60m -run '^TestDrill$$' -v ./tools/integration

# docs/metrics.md afresh, from the catalogs of a dev realm's nodes (make
# test fails when it is stale: TestEveryMetricIsInTheReference).
metrics-doc: build
	GRIDREALM_WRITE_METRICS_DOC=1 $(GO) test -count=1 -run '^TestEveryMetricIsInTheReference$$' ./tools/integration

# Every fuzz target, FUZZTIME each (tools/fuzz.sh).
fuzz:
	GO=$(GO) FUZZTIME=$(FUZZTIME) bash tools/fuzz.sh

generate:
	@command -v $(FLATC) >/dev/null || { echo "flatc not found: apt-get install flatbuffers-compiler" >&2; exit 1; }
	rm -f net/wire/*.go
	$(FLATC) --go --go-namespace wire -o net $(SCHEMAS)
	gofmt -w net/wire
	rm -rf clients/ts/gen
	$(FLATC) --ts -o clients/ts/gen $(SCHEMAS)

# Fails when the committed generated code differs from what flatc makes now.
generate-check:
	@command -v $(FLATC) >/dev/null || { echo "flatc not found: apt-get install flatbuffers-compiler" >&2; exit 1; }
	@tmp=$$(mktemp -d); trap 'rm -rf $$tmp' EXIT; \
	$(FLATC) --go --go-namespace wire -o $$tmp $(SCHEMAS) && gofmt -w $$tmp/wire && \
	diff -r $$tmp/wire net/wire >/dev/null || { echo "net/wire is stale: run make generate and commit" >&2; diff -r $$tmp/wire net/wire | head -20 >&2; exit 1; }; \
	$(FLATC) --ts -o $$tmp/ts $(SCHEMAS) && \
	diff -r $$tmp/ts clients/ts/gen >/dev/null || { echo "clients/ts/gen is stale: run make generate and commit" >&2; diff -r $$tmp/ts clients/ts/gen | head -20 >&2; exit 1; }
	@echo "generated code up to date (Go and TypeScript)"

lint:
	$(GO) vet ./...
	@out=$$(gofmt -l $$(find . -name '*.go' -not -path './.git/*')); \
	if [ -n "$$out" ]; then echo "gofmt needed:" $$out >&2; exit 1; fi
	$(GO) run ./tools/layercheck .
	$(GO) run ./tools/funclen .
