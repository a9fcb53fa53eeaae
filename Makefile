# Krake — see README.md. Every target works on a fresh clone.
SHELL := /bin/bash
NODE_BIN := node_modules/.bin
export PATH := $(CURDIR)/$(NODE_BIN):$(PATH)

.PHONY: all deps gen check-gen lint typecheck test run demo bench breaking clean fuzz

all: lint test

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

deps: node_modules/.package-lock.json

## gen: protos → gen/ (TypeScript via the local ts-proto plugin, plus the descriptor set for reflection)
gen: deps
	rm -rf .gen.tmp
	buf generate -o .gen.tmp
	buf build -o .gen.tmp/gen/krake.binpb --as-file-descriptor-set
	@# Swap in one step, so that processes running from this tree never see gen/ half-written.
	rm -rf .gen.old; [ ! -d gen ] || mv gen .gen.old; mv .gen.tmp/gen gen; rm -rf .gen.tmp .gen.old

## check-gen: fails when gen/ is not what `make gen` produces
check-gen: gen
	@git diff --exit-code --stat -- gen || { echo "gen/ is stale: run 'make gen' and commit it"; exit 1; }
	@test -z "$$(git status --porcelain -- gen)" || { git status --short -- gen; echo "gen/ has files that are not committed"; exit 1; }

## lint: buf lint + TypeScript strict type check
lint: deps
	buf lint
	tsc --noEmit -p tsconfig.json

typecheck: lint

## breaking: wire compatibility against the previous commit
breaking: deps
	buf breaking --against '.git#ref=HEAD~1'

## test: codegen drift, lint, then every test against real etcd processes (last line: "N passed, N failed")
test: deps check-gen lint
	scripts/ensure-test-tools.sh
	mocha 'test/**/*.test.ts' 'bench/test/*.test.ts'

## fuzz: the fuzz suite of test/fuzz (part of `make test` at 2,000 cases, fixed seed) with 100,000 cases and a
## random seed, printed first; replay a failure with the seed (and path) it prints: KRAKE_FUZZ_SEED=N make fuzz (FUZZ_RUNS=N for another size)
FUZZ_RUNS ?= $(or $(KRAKE_FUZZ_RUNS),100000)
fuzz: deps
	@seed="$${KRAKE_FUZZ_SEED:-$$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')}"; \
	echo "fuzz: seed $$seed, $(FUZZ_RUNS) cases (replay: KRAKE_FUZZ_SEED=$$seed make fuzz)"; \
	KRAKE_FUZZ_SEED="$$seed" KRAKE_FUZZ_RUNS="$(FUZZ_RUNS)" mocha 'test/fuzz/**/*.test.ts' --timeout 0

## run: the whole system (base roles, krake-api, every controller) on the embedded store .data/krake.db;
## STORE=etcd for a local etcd instead (data under .data/etcd)
STORE ?= sqlite
run: deps
	STORE=$(STORE) scripts/run.sh

## demo: with `make run` going (another terminal): two local member clusters registered and one example app
## placed; Ctrl-C removes them. The first run builds Kubernetes from Go modules (scripts/kube-binaries.sh).
demo: deps
	scripts/kube-binaries.sh >/dev/null
	node --import tsx scripts/demo.ts

## bench: benchmarks; prints a table and writes bench/results.json
bench: deps
	scripts/bench.sh

clean:
	rm -rf dist .data

.PHONY: certs run-secure

## certs: a development CA, a server certificate and one client certificate per bootstrap user in .certs/ (openssl)
certs:
	scripts/certs.sh .certs

## run-secure: like run, with TLS, client certificates and RBAC (config/api-secure.yaml; makes the certificates first)
run-secure: deps certs
	KRAKE_CONFIG=config/api-secure.yaml scripts/run-local.sh
