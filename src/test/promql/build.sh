#!/usr/bin/env bash
# Builds rules-check (main.go: what `promtool check rules` does, from the Prometheus Go module named in go.mod) once
# into $ICR_CONTROLPLANE_DIR/rules-check/<prometheus version>/ and prints its path. Called by `make controlplane`;
# the tests (RulesCheckTest) run it over the PrometheusRule's groups. Go modules come from the first entry of
# `go env GOPROXY` only, never `direct`.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="${ICR_CONTROLPLANE_DIR:-${HOME}/.cache/icr-injector/controlplane}"
version="$(awk '$1 == "github.com/prometheus/prometheus" {print $2}' "${here}/go.mod")"
out="${root}/rules-check/${version}/rules-check"
if [[ -x "${out}" ]]; then
  echo "${out}"
  exit 0
fi
source "${here}/../../build/goproxy.sh"
proxy="$(module_proxy rules-check)"
mkdir -p "$(dirname "${out}")"
start=${SECONDS}
(cd "${here}" && GOPROXY="${proxy}" GOFLAGS=-mod=readonly GOTOOLCHAIN=local go build -trimpath -o "${out}.tmp" .)
mv "${out}.tmp" "${out}"
echo "[rules-check] built ${out} in $((SECONDS - start))s (prometheus ${version})" >&2
echo "${out}"
