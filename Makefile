# icr-injector. `make` alone lists the targets.
.DEFAULT_GOAL := help
SHELL := /bin/bash

MVN ?= mvn -B -ntp
JAR := target/quarkus-app/quarkus-run.jar
CERTS_DIR := certs/out
# Where `make controlplane` caches etcd, kube-apiserver and kubectl (outside the repository).
ICR_CONTROLPLANE_DIR ?= $(HOME)/.cache/icr-injector/controlplane
export ICR_CONTROLPLANE_DIR

# JDK 25 builds, tests, benchmarks and packages the project (src/build/jdk.sh: JAVA_HOME when it is a 25, else
# /usr/lib/jvm/temurin-25-jdk-<arch>, else the `java` on PATH when it is a 25). Maven and every `java` below run from
# it, and so does every JVM a test or the benchmark starts (they take java.home of the JVM that starts them).
# Every target that runs Java needs `jdk` first: it stops with what to install when there is no JDK 25.
JDK_HOME := $(shell bash src/build/jdk.sh 2>/dev/null)
ifneq ($(JDK_HOME),)
export JAVA_HOME := $(JDK_HOME)
export PATH := $(JDK_HOME)/bin:$(PATH)
endif

##@ General

.PHONY: help
help: ## Show this help.
	@awk 'BEGIN {FS = ":.*##"; printf "Usage: make <target>\n"} \
	  /^[a-zA-Z0-9_-]+:.*?##/ { printf "  \033[36m%-14s\033[0m %s\n", $$1, $$2 } \
	  /^##@/ { printf "\n%s\n", substr($$0, 5) }' $(MAKEFILE_LIST)

##@ Build and run

.PHONY: jdk
jdk: ## Show the JDK 25 every target uses (java -version, mvn -v); fails with what to install when there is none.
	@bash src/build/jdk.sh --version >/dev/null
	@$(MVN) -v | sed -n '1p;3p' # sed reads all of it: head would close the pipe early

.PHONY: build
build: jdk ## Build the application jar (target/quarkus-app).
	$(MVN) package -DskipTests

.PHONY: run
run: build ## Build and start locally: HTTP on :8080 (HTTPS on :8443 too when certs/out has a certificate).
	@if [ -f $(CERTS_DIR)/tls.crt ] && [ -f $(CERTS_DIR)/tls.key ]; then \
	  echo "serving HTTPS on :8443 with $(CERTS_DIR)/tls.crt (and HTTP on :8080)"; \
	  exec java -Dquarkus.http.tls-configuration-name=webhook \
	    -Dquarkus.tls.webhook.key-store.pem.0.cert=$(CERTS_DIR)/tls.crt \
	    -Dquarkus.tls.webhook.key-store.pem.0.key=$(CERTS_DIR)/tls.key -jar $(JAR); \
	else \
	  echo "no certificate in $(CERTS_DIR) (run 'make certs' for HTTPS): serving plain HTTP on :8080"; \
	  exec java -jar $(JAR); \
	fi

DEMO = $(MVN) -q package -DskipTests exec:java -Dexec.classpathScope=test -Dexec.mainClass=io.icrinjector.e2e.Demo

.PHONY: demo
demo: jdk controlplane ## The main job on a machine without a cluster: local control plane, webhook, a pod before and after.
	$(DEMO)

.PHONY: latency
LATENCY_CREATES ?= 200

latency: jdk controlplane ## Time pod creates through the API server: no mutation, a MutatingAdmissionPolicy, the webhook (LATENCY_CREATES per row).
	$(DEMO) -Dexec.args="measure $(LATENCY_CREATES)"

.PHONY: certs
certs: ## Make a local CA and server certificate with openssl into certs/out (kept out of git).
	certs/gen.sh

IMAGE ?= docker.io/library/icr-injector:0.1.0
IMAGE_ARCHIVE ?= target/image/icr-injector.oci.tar

.PHONY: image
image: build ## Build the container image as an OCI archive, without a daemon (root: its AOT cache training run runs in a chroot).
	bash src/main/image/build.sh image $(IMAGE_ARCHIVE) $(IMAGE)

##@ Install

.PHONY: deploy
deploy: ## Install into the current kubectl context (needs cert-manager).
	kubectl apply -k deploy/

.PHONY: deploy-local
deploy-local: certs ## Install without cert-manager, with the certificates of certs/out.
	kubectl apply -k deploy/overlays/local-certs

.PHONY: render
render: ## Print the manifests `make deploy` would apply.
	kubectl kustomize deploy/

##@ Node (a single-node Kubernetes on this machine, in the network namespace icr-node; needs root)

NODE = bash src/test/node/cluster.sh

.PHONY: cluster
cluster: ## Start a single-node cluster (kubelet, containerd, a local us.icr.io); prints the kubeconfig path.
	$(NODE) up

.PHONY: cluster-down
cluster-down: ## Stop the single-node cluster and remove its state.
	$(NODE) down

.PHONY: node-import
node-import: ## Import the image archive of `make image` into the node's containerd (IMAGE_ARCHIVE=...).
	$(NODE) import $(IMAGE_ARCHIVE)

NODE_PUSH ?= us.icr.io/acme/hello:local
.PHONY: node-push
node-push: ## Push the node's test image (busybox) to its local us.icr.io as NODE_PUSH (default us.icr.io/acme/hello:local).
	$(NODE) push $(NODE_PUSH)

.PHONY: node-kubectl
node-kubectl: ## kubectl against the node: make node-kubectl ARGS="get pods -A".
	$(NODE) kubectl $(ARGS)

.PHONY: node-helm
node-helm: ## helm against the node: make node-helm ARGS="list -A".
	$(NODE) helm $(ARGS)

.PHONY: demo-cluster
demo-cluster: jdk controlplane ## The main job on the real node: its own image installed from deploy/, a pull through the copied secret.
	$(MVN) -q package -DskipTests exec:java -Dexec.classpathScope=test -Dexec.mainClass=io.icrinjector.node.NodeDemo

##@ Test

.PHONY: controlplane
controlplane: ## Build etcd, kube-apiserver, kubectl (and the node's binaries, helm, rules-check) from Go modules once (cached in $ICR_CONTROLPLANE_DIR).
	@bash src/test/controlplane/build.sh
	@bash src/test/promql/build.sh >/dev/null
	@bash src/test/kubeconform/build.sh >/dev/null

.PHONY: test
test: jdk controlplane ## Run every test: unit and component, the end-to-end suite on a real API server, then the node suite.
	$(MVN) verify

.PHONY: test-fast
test-fast: jdk ## Unit and component tests only (no control plane).
	$(MVN) test

.PHONY: format
format: jdk ## Rewrite every Java file in the project's format (google-java-format through spotless); the build checks it.
	$(MVN) -q spotless:apply

.PHONY: e2e
e2e: jdk controlplane ## Only the end-to-end suite (builds the jar first).
	$(MVN) verify -Dtest=NONE -Dsurefire.failIfNoSpecifiedTests=false

.PHONY: clean
clean: ## Remove build output.
	$(MVN) -q clean

##@ Benchmark

# JVM options of the webhook and of the ceiling alike: the heap is half the memory the JVM sees, as in the Deployment
# (-XX:MaxRAM=256m stands for its 256 Mi limit: 128 MiB, what the targets are for); the rest is what README
# ("Performance") recommends for the Deployment (C1 only and a small young generation keep RSS under 150 MiB).
BENCH_JVM_OPTS ?= -XX:MaxRAM=256m -XX:MaxRAMPercentage=50 -Xmn24m -XX:+UseSerialGC -XX:TieredStopAtLevel=1
BENCH_SECONDS ?= 10
BENCH_ARGS ?=
# The side-by-side column of the table: JDK 17 (Debian's or Temurin's), running a copy of the jar compiled for 17.
# BENCH_COMPARE_JDK= (empty) leaves it out.
BENCH_COMPARE_JDK ?= $(firstword $(wildcard /usr/lib/jvm/java-17-openjdk-amd64 /usr/lib/jvm/java-17-openjdk-arm64 \
  /usr/lib/jvm/temurin-17-jdk-amd64 /usr/lib/jvm/temurin-17-jdk-arm64))

.PHONY: bench
bench: jdk ## Benchmark POST /mutate against a bare Vert.x ceiling (req/s, p50/p99 at 1,000 req/s, RSS, start-up), the unhappy paths (API unreachable, namespace without the secret) and the engine with JMH; JDK 17 beside 25.
	@echo "[bench] building the application jar and the benchmark (Maven profile bench)"
	$(MVN) -q -Pbench package -DskipTests
	@if [ -n "$(BENCH_COMPARE_JDK)" ]; then \
	  echo "[bench] building them for Java 17 too, into target/jdk17 (the JDK 17 column: $(BENCH_COMPARE_JDK))"; \
	  $(MVN) -q -Pbench,jdk17-copy package -DskipTests -Dmaven.compiler.release=17; \
	fi
	java -Xmx512m -Djava.util.logging.manager=org.jboss.logmanager.LogManager -cp target/bench-classes:target/classes:target/test-classes:$$(cat target/bench-classpath.txt) \
	  -Dbench.jvm-opts="$(BENCH_JVM_OPTS)" -Dbench.seconds=$(BENCH_SECONDS) \
	  $(if $(BENCH_COMPARE_JDK),-Dbench.compare-jdk=$(BENCH_COMPARE_JDK) -Dbench.compare-jar=target/jdk17/quarkus-app/quarkus-run.jar \
	    -Dbench.compare-classpath=target/jdk17/bench-classes:target/jdk17/classes:target/jdk17/test-classes:$$(cat target/jdk17/bench-classpath.txt 2>/dev/null)) \
	  $(BENCH_ARGS) io.icrinjector.bench.Bench

# make scale: issue 20's sizes on a real API server (one fresh control plane per size); the bounded version,
# ScaleIT (500 and 2,000 namespaces), runs in make test.
SCALE_SIZES ?= 1000,5000,10000,20000
SCALE_PODS ?= 10
SCALE_CONCURRENCY ?= 16

.PHONY: scale
scale: jdk controlplane ## Scale suite: SCALE_SIZES opted-in namespaces (SCALE_PODS pods each) on a real API server; one table of heap, RSS, copy, rotation and restart.
	$(MVN) -q -Pbench package -DskipTests
	java -Xmx2g -Djava.util.logging.manager=org.jboss.logmanager.LogManager \
	  -Dkubernetes.auth.tryKubeConfig=false -Dkubernetes.auth.tryServiceAccount=false \
	  -cp target/test-classes:target/classes:$$(cat target/bench-classpath.txt) \
	  -Dscale.sizes=$(SCALE_SIZES) -Dscale.pods=$(SCALE_PODS) -Dscale.concurrency=$(SCALE_CONCURRENCY) io.icrinjector.scale.ScaleSuite
