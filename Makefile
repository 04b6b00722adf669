# imgedge Makefile. The two commands a new user needs are `make run` and
# `make test`; both install what is missing first (`make deps`).
#
# Targets:
#   deps       install missing Debian packages (quiet and idempotent)
#   build      bin/imgedge with the version from `git describe` embedded
#   run        deps + build + serve testdata/samples on 127.0.0.1:8080, signing off
#   test       deps + vet + go test -race -shuffle=on ./... + the deploy module's tests
#              + the cgo-free import check + short fuzz runs
#   test-pure  CGO_ENABLED=0 tests of the packages that must build without cgo
#   fuzz       longer fuzz runs of every Fuzz* target (FUZZTIME=60s each by default)
#   bench      the load/benchmark tool (bench/, see BENCHMARKS.md)
#   fmt vet lint docs install clean

SHELL := /bin/bash
GO ?= go
PREFIX ?= /usr/local
DESTDIR ?=
BINDIR ?= $(PREFIX)/bin
SYSCONFDIR ?= $(if $(filter /usr,$(PREFIX)),/etc,$(PREFIX)/etc)
SYSTEMDUNITDIR ?= $(if $(filter /usr,$(PREFIX)),/lib/systemd/system,$(PREFIX)/lib/systemd/system)

VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -s -w -X main.version=$(VERSION)
BIN := bin/imgedge

# Debian packages: build (libvips-dev pkg-config gcc), sample generation
# (libvips-tools), and what the tests start or call: varnish (CDN tests),
# chromium (browser test), prometheus (promtool), nodejs/npm (client-library
# round trips, Azurite), systemd (systemd-analyze),
# libimage-exiftool-perl (exiftool reads metadata back in the keep_copyright tests),
# libexif-dev (/info lists EXIF entries with libexif, vips/image_info.go).
# Each entry is package:command; a package counts as present when dpkg knows it
# installed OR its command is on PATH (e.g. npm ships inside NodeSource's nodejs).
DEB_DEPS := libvips-dev:- libimagequant-dev:- pkg-config:pkg-config gcc:gcc libvips-tools:vips \
	varnish:varnishd chromium:chromium prometheus:promtool nodejs:node npm:npm \
	systemd:systemd-analyze libimage-exiftool-perl:exiftool \
	libexif-dev:-

# Packages whose tests must pass without cgo (architecture.md); vips/bmp is
# the pure-Go bitmap decoder, fuzzed without cgo.
PURE_PKGS := ./edge/... ./sign/... ./workers/... ./options/... ./fetch/... ./vips/bmp/...
# Packages with fuzz targets (found by their `func Fuzz...`); `make test` runs
# each target for FUZZTIME_SHORT, `make fuzz` for FUZZTIME. The short run is a
# count of inputs, not a duration: with a duration, Go 1.26's fuzzing
# coordinator can fail a target with a bare "context deadline exceeded" when
# the deadline meets a worker still running an input on a busy machine (no
# crasher, fixed in Go 1.27); a count has no deadline to race.
FUZZ_PKGS ?= $(shell grep -rl --include='*_test.go' '^func Fuzz' . 2>/dev/null | xargs -r -n1 dirname | sort -u)
# The short run leaves out ./fetch: its fuzzing build instruments the cloud
# SDKs it imports (about 2.5 minutes on 2 cores with a cold build cache);
# its targets' seeds still run in test-go, and `make fuzz` fuzzes them.
FUZZ_SHORT_PKGS ?= $(filter-out ./fetch,$(FUZZ_PKGS))
FUZZTIME ?= 60s
FUZZTIME_SHORT ?= 10000x
TEST_TIMEOUT ?= 12m
TEST_FLAGS ?=

# `make run` settings; override on the command line or in the environment.
RUN_BIND ?= 127.0.0.1:8080
RUN_ROOT ?= $(CURDIR)/testdata/samples

.PHONY: all deps build run test test-go test-deploy check-pure test-pure fuzz fuzz-short bench fmt vet lint docs install clean

all: build

deps:
	@missing=""; \
	for e in $(DEB_DEPS); do \
		p=$${e%%:*}; c=$${e#*:}; \
		if dpkg-query -W -f='$${Status}' "$$p" 2>/dev/null | grep -q 'ok installed'; then continue; fi; \
		if [ "$$c" != "-" ] && command -v "$$c" >/dev/null 2>&1; then continue; fi; \
		missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
		sudo=""; [ "$$(id -u)" = 0 ] || sudo="sudo"; \
		echo "deps: installing$$missing"; \
		export DEBIAN_FRONTEND=noninteractive; \
		$$sudo apt-get update -qq >/dev/null && \
		$$sudo apt-get install -y -qq --no-install-recommends $$missing >/dev/null || \
		{ echo "deps: apt-get install$$missing failed" >&2; exit 1; }; \
	fi

build:
	@mkdir -p bin
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN) .

run: deps build
	@echo
	@echo "imgedge $(VERSION) serving $(RUN_ROOT) (signing off)"
	@echo "Open:  http://$(RUN_BIND)/insecure/rs:fit:300:200/plain/local:///photo.jpg"
	@echo "Also:  http://$(RUN_BIND)/insecure/rs:fill:150:150/g:sm/plain/local:///alpha.png@webp"
	@echo
	IMGPROXY_LOCAL_FILESYSTEM_ROOT=$(RUN_ROOT) IMGPROXY_BIND=$(RUN_BIND) IMGPROXY_KEY= IMGPROXY_SALT= \
		IMGPROXY_LOG_FORMAT=$${IMGPROXY_LOG_FORMAT:-pretty} ./$(BIN)

# The one test command (README, .ci/run). Go tests with the race detector and
# shuffled order, the cgo-free builds, then the fuzz targets briefly (FUZZ_SHORT_PKGS).
test: deps vet test-go test-deploy check-pure fuzz-short

test-go:
	$(GO) test -race -shuffle=on -timeout $(TEST_TIMEOUT) $(TEST_FLAGS) ./...

# The packaging checks (Dockerfile, systemd unit, Kubernetes manifests) are
# their own Go module in deploy/, so that their heavy test-only dependencies
# (buildkit's Dockerfile parser, the Kubernetes API types) stay out of the
# server's module. They build and run the real binary; without -race, which
# would mean a second, slow race-enabled build of imgedge for little gain.
test-deploy:
	cd deploy && $(GO) test -shuffle=on -timeout $(TEST_TIMEOUT) $(TEST_FLAGS) ./...

# check-pure is what make test runs instead of test-pure: no package the pure
# packages or their tests import, other than the standard library's, has cgo
# files, so they build with CGO_ENABLED=0 (architecture.md). It reads the
# import graph only; test-pure compiles everything again without cgo, which
# costs about 1.5 minutes with a cold build cache.
check-pure:
	@bad=$$($(GO) list -deps -test -f '{{if and .CgoFiles (not .Standard)}}{{.ImportPath}}{{end}}' \
		$$(for p in $(PURE_PKGS); do d=$${p%/...}; [ -d "$$d" ] && echo "$$p"; done) | sort -u); \
	if [ -n "$$bad" ]; then echo "check-pure: cgo packages reached from $(PURE_PKGS):" >&2; echo "$$bad" >&2; exit 1; fi; \
	echo "check-pure: no cgo below $(PURE_PKGS)"

test-pure:
	CGO_ENABLED=0 $(GO) test -timeout $(TEST_TIMEOUT) $$(for p in $(PURE_PKGS); do d=$${p%/...}; [ -d "$$d" ] && echo "$$p"; done)

# Runs each Fuzz* target of FUZZ_PKGS for FUZZTIME (go test -fuzz takes one
# target at a time). Crashers land in <pkg>/testdata/fuzz/ and must be kept.
fuzz:
	@set -e; for p in $(FUZZ_PKGS); do \
		[ -d "$$p" ] || continue; \
		for f in $$($(GO) test -list '^Fuzz' "$$p" | grep '^Fuzz' || true); do \
			echo "fuzz $$p $$f for $(FUZZTIME)"; \
			$(GO) test -run='^$$' -fuzz="^$$f\$$" -fuzztime=$(FUZZTIME) "$$p"; \
		done; \
	done

fuzz-short:
	@$(MAKE) --no-print-directory fuzz FUZZTIME=$(FUZZTIME_SHORT) FUZZ_PKGS="$(FUZZ_SHORT_PKGS)"

bench: deps build
	$(GO) run ./bench $(BENCH_ARGS)

fmt:
	gofmt -l -w .

vet:
	$(GO) vet ./...
	cd deploy && $(GO) vet ./...

lint: vet
	@if command -v golangci-lint >/dev/null 2>&1; then golangci-lint run ./...; \
	else echo "lint: golangci-lint not installed; ran go vet only"; fi

# docs/config.md is generated from the config table (config.go, config_*.go)
# (TestConfigDocsUpToDate fails when it drifts).
docs:
	$(GO) run . -gen-config-docs > docs/config.md

install: build
	install -D -m 0755 $(BIN) $(DESTDIR)$(BINDIR)/imgedge
	@if [ -f deploy/systemd/imgedge.service ]; then \
		mkdir -p $(DESTDIR)$(SYSTEMDUNITDIR); \
		sed 's|/usr/local/bin/imgedge|$(BINDIR)/imgedge|g; s|\([ =-]\)/etc/imgedge/|\1$(SYSCONFDIR)/imgedge/|g' \
			deploy/systemd/imgedge.service > $(DESTDIR)$(SYSTEMDUNITDIR)/imgedge.service; \
		chmod 0644 $(DESTDIR)$(SYSTEMDUNITDIR)/imgedge.service; \
		echo "installed $(DESTDIR)$(SYSTEMDUNITDIR)/imgedge.service"; \
	else echo "install: deploy/systemd/imgedge.service not present; skipped the unit"; fi
	@if [ -f deploy/systemd/imgedge.env.example ]; then \
		install -D -m 0644 deploy/systemd/imgedge.env.example $(DESTDIR)$(SYSCONFDIR)/imgedge/imgedge.env.example; \
		if [ ! -e $(DESTDIR)$(SYSCONFDIR)/imgedge/imgedge.env ]; then \
			install -m 0640 deploy/systemd/imgedge.env.example $(DESTDIR)$(SYSCONFDIR)/imgedge/imgedge.env; \
			echo "installed $(DESTDIR)$(SYSCONFDIR)/imgedge/imgedge.env"; \
		else echo "kept $(DESTDIR)$(SYSCONFDIR)/imgedge/imgedge.env; refreshed imgedge.env.example"; fi; \
	else echo "install: deploy/systemd/imgedge.env.example not present; skipped the environment file"; fi

clean:
	rm -rf bin
