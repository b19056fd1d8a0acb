# icr-injector. `make` alone lists the targets.
.DEFAULT_GOAL := help
SHELL := /bin/bash

MVN ?= mvn -B -ntp
JAR := target/quarkus-app/quarkus-run.jar
CERTS_DIR ?= certs/out
# Where `make controlplane` caches etcd, kube-apiserver and kubectl (outside the repository).
ICR_CONTROLPLANE_DIR ?= $(HOME)/.cache/icr-injector/controlplane
export ICR_CONTROLPLANE_DIR

##@ General

.PHONY: help
help: ## Show this help.
	@awk 'BEGIN {FS = ":.*##"; printf "Usage: make <target>\n"} \
	  /^[a-zA-Z_-]+:.*?##/ { printf "  \033[36m%-14s\033[0m %s\n", $$1, $$2 } \
	  /^##@/ { printf "\n%s\n", substr($$0, 5) }' $(MAKEFILE_LIST)

##@ Build and run

.PHONY: build
build: ## Build the application jar (target/quarkus-app).
	$(MVN) package -DskipTests

.PHONY: run
run: build ## Build and start locally: HTTP on :8080 (HTTPS on :8443 too when certs/out has a certificate).
	@if [ -f $(CERTS_DIR)/tls.crt ] && [ -f $(CERTS_DIR)/tls.key ]; then \
	  echo "serving HTTPS on :8443 with $(CERTS_DIR)/tls.crt (and HTTP on :8080)"; \
	  exec java -Dquarkus.tls.key-store.pem.0.cert=$(CERTS_DIR)/tls.crt \
	    -Dquarkus.tls.key-store.pem.0.key=$(CERTS_DIR)/tls.key -jar $(JAR); \
	else \
	  echo "no certificate in $(CERTS_DIR) (run 'make certs' for HTTPS): serving plain HTTP on :8080"; \
	  exec java -jar $(JAR); \
	fi

.PHONY: certs
certs: ## Make a local CA and server certificate with openssl into certs/out (kept out of git).
	certs/gen.sh $(CERTS_DIR)

##@ Test

.PHONY: test
test: ## Run every test (unit, component and HTTP tests).
	$(MVN) verify

.PHONY: clean
clean: ## Remove build output.
	$(MVN) -q clean

##@ Benchmark

# JVM options of the webhook and of the ceiling alike: the targets are for -Xmx128m; the rest is what README
# ("Performance") recommends for the Deployment (C1 only and a small young generation keep RSS under 150 MiB).
BENCH_JVM_OPTS ?= -Xmx128m -Xmn24m -XX:+UseSerialGC -XX:TieredStopAtLevel=1
BENCH_SECONDS ?= 10
BENCH_ARGS ?=

.PHONY: bench
bench: ## Benchmark POST /mutate against a bare Vert.x ceiling (req/s, p50/p99 at 1,000 req/s, RSS, start-up) and the engine with JMH.
	@echo "[bench] building the application jar and the benchmark (Maven profile bench)"
	$(MVN) -q -Pbench package -DskipTests
	java -Xmx512m -Djava.util.logging.manager=org.jboss.logmanager.LogManager -cp target/bench-classes:target/classes:$$(cat target/bench-classpath.txt) \
	  -Dbench.jvm-opts="$(BENCH_JVM_OPTS)" -Dbench.seconds=$(BENCH_SECONDS) $(BENCH_ARGS) io.icrinjector.bench.Bench
