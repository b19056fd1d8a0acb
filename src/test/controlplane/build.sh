#!/usr/bin/env bash
# Builds the control plane used by icr-injector's end-to-end tests (etcd,
# kube-apiserver, kubectl) and the rest of the single-node cluster of
# `make cluster` (kubelet, kube-scheduler, kube-controller-manager, kube-proxy,
# a distribution registry standing in for us.icr.io, cert-manager's controller and
# cainjector with its CRDs, and helm for the chart of deploy/helm) from Go modules, once,
# into a cache directory outside the repository, laid out as fabric8
# kube-api-test expects in offline mode (it uses the first three):
#
#   <dir>/k8s/<version>-linux-amd64/{etcd,kube-apiserver,kubectl,kubelet,...,registry}
#
# All Kubernetes commands come from one `go build` of the kube/ wrapper module,
# so they share one compilation of the packages they have in common.
#
# <dir> defaults to $ICR_CONTROLPLANE_DIR, else ~/.cache/icr-injector/controlplane.
# Binaries that already exist are kept, so a warm run takes well under a second.
# Progress goes to stderr; stdout gets a single line: <dir>, the root holding k8s/.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
dir="${ICR_CONTROLPLANE_DIR:-${HOME}/.cache/icr-injector/controlplane}"

# Versions come from the wrapper modules, so go.mod is the one place to bump them.
kube_version="$(awk '$1 == "require" && $2 == "k8s.io/kubernetes" {print $3}' "${here}/kube/go.mod")"
etcd_version="$(awk '$1 == "require" && $2 == "go.etcd.io/etcd/server/v3" {print $3}' "${here}/etcd/go.mod")"
[[ "${kube_version}" =~ ^v([0-9]+)\.([0-9]+)\.[0-9]+$ ]] || {
  echo "build.sh: cannot read the k8s.io/kubernetes version from kube/go.mod" >&2
  exit 1
}
kube_major="${BASH_REMATCH[1]}"
kube_minor="${BASH_REMATCH[2]}"
[[ -n "${etcd_version}" ]] || {
  echo "build.sh: cannot read the etcd version from etcd/go.mod" >&2
  exit 1
}

goos="$(go env GOOS)"
goarch="$(go env GOARCH)"
# kube-api-test names version directories "<major.minor.patch>-<os>-<arch>" (no "v").
bin_dir="${dir}/k8s/${kube_version#v}-${goos}-${goarch}"

start=${SECONDS}
step() { printf '[controlplane %4ds] %s\n' "$((SECONDS - start))" "$*" >&2; }

# Static binaries like the upstream release builds; -trimpath and -s -w shrink them.
export CGO_ENABLED=0
# Builds depend on go.mod/go.sum only, whatever the caller's Go settings are.
export GOFLAGS=-mod=readonly GOWORK=off
# The module proxy alone (src/build/goproxy.sh).
source "${here}/../../build/goproxy.sh"
proxy="$(module_proxy build.sh)"
export GOPROXY="${proxy}" GONOSUMDB= GONOPROXY= GOPRIVATE=
common_flags=(-trimpath -buildvcs=false)

version_ldflags=""
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  version_ldflags+=" -X ${pkg}.gitVersion=${kube_version}"
  version_ldflags+=" -X ${pkg}.gitMajor=${kube_major}"
  version_ldflags+=" -X ${pkg}.gitMinor=${kube_minor}"
  version_ldflags+=" -X ${pkg}.gitTreeState=clean"
  version_ldflags+=" -X ${pkg}.buildDate=1970-01-01T00:00:00Z"
done

tmpdir=""
cleanup() { [[ -z "${tmpdir}" ]] || rm -rf "${tmpdir}"; }
trap cleanup EXIT

# build MODULE_DIR LDFLAGS HINT PACKAGE... : one `go build` of every package whose
# binary is missing (a binary is named after the last element of its package).
build() {
  local module_dir="$1" ldflags="$2" hint="$3"
  shift 3
  local missing=() names=() pkg name
  for pkg in "$@"; do
    name="${pkg##*/}"
    [[ "${name}" == v3 ]] && name=etcd # go.etcd.io/etcd/server/v3
    [[ "${pkg}" == github.com/cert-manager/* ]] && name="cert-manager-${name}"
    if [[ -x "${bin_dir}/${name}" ]]; then
      step "${name}: present, skipped"
    else
      missing+=("${pkg}")
      names+=("${name}")
    fi
  done
  ((${#missing[@]})) || return 0
  local t0=${SECONDS}
  step "${names[*]}: building${hint:+ (${hint})}"
  # Built into a hidden directory beside the binaries, then renamed, so an
  # interrupted build leaves no half binary.
  tmpdir="$(mktemp -d "${bin_dir}/.build.XXXXXX")"
  local log
  log="$(mktemp "${TMPDIR:-/tmp}/icr-controlplane-build.XXXXXX.log")"
  # go build -v names each package as it compiles it, and go names each module it
  # downloads: show counts, not the lists. Anything else (errors) is shown as is.
  if ! (cd "${module_dir}" && go build -v "${common_flags[@]}" -ldflags="-s -w${ldflags}" -o "${tmpdir}/" "${missing[@]}") 2>&1 \
    | tee "${log}" \
    | awk -v what="${names[*]}" -v t0="$(date +%s)" -v s0="$((SECONDS - start))" '
        /^go: downloading / { d++; if (d % 50 == 0) { printf "[controlplane %4ds] %s: %d modules downloaded\n", s0 + systime() - t0, what, d > "/dev/stderr"; fflush("/dev/stderr") } next }
        /^[^ \t]+$/ && !/:/ { n++; if (n % 250 == 0) { printf "[controlplane %4ds] %s: %d packages compiled\n", s0 + systime() - t0, what, n > "/dev/stderr"; fflush("/dev/stderr") } next }
        { print > "/dev/stderr" }'; then
    step "${names[*]}: FAILED; full log: ${log}"
    exit 1
  fi
  for pkg in "${missing[@]}"; do
    name="${pkg##*/}"
    local out="${name}"
    [[ "${name}" == v3 ]] && { name=etcd; out=server; } # go names a /vN package after the element before
    [[ "${pkg}" == github.com/cert-manager/* ]] && name="cert-manager-${name}"
    chmod 0755 "${tmpdir}/${out}"
    mv -f "${tmpdir}/${out}" "${bin_dir}/${name}"
    step "${name}: $(du -h "${bin_dir}/${name}" | cut -f1)"
  done
  rm -rf "${tmpdir}" "${log}"
  tmpdir=""
  step "${names[*]}: built in $((SECONDS - t0))s"
}

step "target ${bin_dir} (kubernetes ${kube_version}, etcd ${etcd_version}, module proxy ${GOPROXY})"
mkdir -p "${bin_dir}"
build "${here}/etcd" "" "cold: about 1-3 minutes" go.etcd.io/etcd/server/v3
build "${here}/kube" "${version_ldflags}" "cold: 11-15 minutes on 2 cores" \
  k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kubectl \
  k8s.io/kubernetes/cmd/kubelet k8s.io/kubernetes/cmd/kube-scheduler \
  k8s.io/kubernetes/cmd/kube-controller-manager k8s.io/kubernetes/cmd/kube-proxy
build "${here}/registry" "" "cold: about 2 minutes" github.com/distribution/distribution/v3/cmd/registry
cm_version="$(awk '$1 == "require" && $2 == "github.com/cert-manager/cert-manager" {print $3}' "${here}/certmanager/go.mod")"
build "${here}/certmanager" " -X github.com/cert-manager/cert-manager/pkg/util.AppVersion=${cm_version}" \
  "cert-manager ${cm_version}; cold: about 5-10 minutes" \
  github.com/cert-manager/cert-manager/cmd/controller github.com/cert-manager/cert-manager/cmd/cainjector
helm_version="$(awk '$1 == "require" && $2 == "helm.sh/helm/v3" {print $3}' "${here}/helm/go.mod")"
build "${here}/helm" " -X helm.sh/helm/v3/internal/version.version=${helm_version} -X helm.sh/helm/v3/internal/version.gitTreeState=clean" \
  "helm ${helm_version}; cold: about 3-6 minutes" helm.sh/helm/v3/cmd/helm
# cert-manager's CRDs as its module ships them (deploy/crds), without the Helm template labels they carry.
crds="${bin_dir}/cert-manager-crds"
if [[ ! -f "${crds}/.complete" ]]; then
  src="$(cd "${here}/certmanager" && go mod download -json "github.com/cert-manager/cert-manager@${cm_version}" \
    | awk -F'"' '$2 == "Dir" {print $4}')"
  [[ -d "${src}/deploy/crds" ]] || { step "cert-manager CRDs: no deploy/crds in ${src}"; exit 1; }
  rm -rf "${crds}" && mkdir -p "${crds}"
  for f in "${src}"/deploy/crds/crd-*.yaml; do
    grep -v '{{' "${f}" > "${crds}/$(basename "${f}")"
  done
  touch "${crds}/.complete"
  step "cert-manager CRDs: $(ls "${crds}" | wc -l) files from ${src}/deploy/crds"
fi
# The Prometheus Operator's CRDs (ServiceMonitor, PrometheusRule, ...) as its root module ships them
# (example/prometheus-operator-crd), for the server-side dry run of deploy/components/monitoring. v0.94.1: the
# module proxy refuses v0.95.x of the root module.
po_version=v0.94.1
po_crds="${bin_dir}/prometheus-operator-crds"
if [[ ! -f "${po_crds}/.complete" ]]; then
  src="$(cd "${here}/certmanager" && go mod download -json "github.com/prometheus-operator/prometheus-operator@${po_version}" \
    | awk -F'"' '$2 == "Dir" {print $4}')"
  [[ -d "${src}/example/prometheus-operator-crd" ]] || { step "Prometheus Operator CRDs: none in ${src}"; exit 1; }
  rm -rf "${po_crds}" && mkdir -p "${po_crds}"
  cp "${src}"/example/prometheus-operator-crd/monitoring.coreos.com_*.yaml "${po_crds}/"
  chmod u+w "${po_crds}"/*.yaml
  touch "${po_crds}/.complete"
  step "Prometheus Operator ${po_version} CRDs: $(ls "${po_crds}" | wc -l) files"
fi
step "done"

echo "${dir}"
