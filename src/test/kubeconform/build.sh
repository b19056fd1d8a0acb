#!/usr/bin/env bash
# kubeconform (Go module github.com/yannh/kubeconform, the version of go.mod) and strict JSON schemas for it, made
# offline: the built-in kinds from the OpenAPI document of the k8s.io/kubernetes module the control plane is built
# from, the custom kinds (cert-manager, Prometheus Operator) from the CRDs `make controlplane` fetched (schemas.py).
# Called by `make controlplane` after src/test/controlplane/build.sh; prints the directory holding `kubeconform`
# and `schemas/`. HelmChart runs it over every render of the tests. Go modules come from the first entry of
# `go env GOPROXY` only, never `direct`.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "${here}/../../.." && pwd)"
root="${ICR_CONTROLPLANE_DIR:-${HOME}/.cache/icr-injector/controlplane}"
version="$(awk '{for (i = 1; i < NF; i++) if ($i == "github.com/yannh/kubeconform" && $(i + 1) ~ /^v/) {print $(i + 1); exit}}' \
  "${here}/go.mod")"
kube="$(awk '{for (i = 1; i < NF; i++) if ($i == "k8s.io/kubernetes" && $(i + 1) ~ /^v/) {print $(i + 1); exit}}' \
  "${repo}/src/test/controlplane/kube/go.mod")"
# The schemas depend on schemas.py too: a change to it makes a new directory.
out="${root}/kubeconform/${version}-k8s${kube}-$(sha256sum "${here}/schemas.py" | cut -c1-8)"
if [[ -f "${out}/.complete" ]]; then
  echo "${out}"
  exit 0
fi
source "${repo}/src/build/goproxy.sh"
proxy="$(module_proxy kubeconform)"
bin_dir="$(ls -d "${root}"/k8s/*/ 2>/dev/null | head -1)"
for crds in cert-manager-crds prometheus-operator-crds; do
  [[ -f "${bin_dir}${crds}/.complete" ]] || { echo "kubeconform: no ${crds} under ${root}/k8s: run src/test/controlplane/build.sh first" >&2; exit 1; }
done
start=${SECONDS}
rm -rf "${out}" && mkdir -p "${out}"
(cd "${here}" && GOPROXY="${proxy}" GOFLAGS=-mod=readonly GOTOOLCHAIN=local \
  go build -trimpath -o "${out}/kubeconform" github.com/yannh/kubeconform/cmd/kubeconform)
# Outside any module, so no go.mod or go.sum is touched (the module is in the cache once the control plane is built).
empty="$(mktemp -d)"
src="$(cd "${empty}" && GOPROXY="${proxy}" GOFLAGS= GOTOOLCHAIN=local go mod download -json "k8s.io/kubernetes@${kube}" \
  | awk -F'"' '$2 == "Dir" {print $4}')"
rmdir "${empty}"
python3 "${here}/schemas.py" "${out}/schemas" "${src}/api/openapi-spec/swagger.json" \
  "${bin_dir}cert-manager-crds" "${bin_dir}prometheus-operator-crds"
touch "${out}/.complete"
echo "[kubeconform] ${version} and schemas for Kubernetes ${kube} in ${out} ($((SECONDS - start))s)" >&2
echo "${out}"
