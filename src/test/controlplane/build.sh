#!/usr/bin/env bash
# Builds the control plane used by icr-injector's end-to-end tests (etcd,
# kube-apiserver, kubectl) from Go modules, once, into a cache directory outside
# the repository, laid out as fabric8 kube-api-test expects in offline mode:
#
#   <dir>/k8s/<version>-linux-amd64/{etcd,kube-apiserver,kubectl}
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
common_flags=(-trimpath -buildvcs=false)

version_ldflags=""
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  version_ldflags+=" -X ${pkg}.gitVersion=${kube_version}"
  version_ldflags+=" -X ${pkg}.gitMajor=${kube_major}"
  version_ldflags+=" -X ${pkg}.gitMinor=${kube_minor}"
  version_ldflags+=" -X ${pkg}.gitTreeState=clean"
  version_ldflags+=" -X ${pkg}.buildDate=1970-01-01T00:00:00Z"
done

tmp=""
cleanup() { [[ -z "${tmp}" ]] || rm -f "${tmp}"; }
trap cleanup EXIT

# build NAME MODULE_DIR PACKAGE LDFLAGS
build() {
  local name="$1" module_dir="$2" pkg="$3" ldflags="$4"
  local dest="${bin_dir}/${name}"
  if [[ -x "${dest}" ]]; then
    step "${name}: present, skipped (${dest})"
    return
  fi
  local t0=${SECONDS}
  step "${name}: building ${pkg}$([[ "${name}" != kube-apiserver ]] || echo ' (cold: 5-11 minutes on 2 cores)')"
  tmp="$(mktemp "${bin_dir}/.${name}.XXXXXX")"
  local log
  log="$(mktemp "${TMPDIR:-/tmp}/icr-controlplane-${name}.XXXXXX.log")"
  # go build -v names each package as it compiles it, and go names each module it
  # downloads: show counts, not the lists. Anything else (errors) is shown as is.
  if ! (cd "${module_dir}" && go build -v "${common_flags[@]}" -ldflags="-s -w${ldflags}" -o "${tmp}" "${pkg}") 2>&1 \
    | tee "${log}" \
    | awk -v name="${name}" -v t0="$(date +%s)" -v s0="$((SECONDS - start))" '
        /^go: downloading / { d++; if (d % 50 == 0) { printf "[controlplane %4ds] %s: %d modules downloaded\n", s0 + systime() - t0, name, d > "/dev/stderr"; fflush("/dev/stderr") } next }
        /^[^ \t]+$/ && !/:/ { n++; if (n % 250 == 0) { printf "[controlplane %4ds] %s: %d packages compiled\n", s0 + systime() - t0, name, n > "/dev/stderr"; fflush("/dev/stderr") } next }
        { print > "/dev/stderr" }'; then
    step "${name}: FAILED; full log: ${log}"
    exit 1
  fi
  chmod 0755 "${tmp}"
  mv -f "${tmp}" "${dest}"
  tmp=""
  rm -f "${log}"
  step "${name}: built in $((SECONDS - t0))s ($(du -h "${dest}" | cut -f1))"
}

step "target ${bin_dir} (kubernetes ${kube_version}, etcd ${etcd_version})"
mkdir -p "${bin_dir}"
build etcd "${here}/etcd" go.etcd.io/etcd/server/v3 ""
build kube-apiserver "${here}/kube" k8s.io/kubernetes/cmd/kube-apiserver "${version_ldflags}"
build kubectl "${here}/kube" k8s.io/kubernetes/cmd/kubectl "${version_ldflags}"
step "done"

echo "${dir}"
