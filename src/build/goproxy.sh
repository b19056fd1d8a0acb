# Sourced by the builds from Go modules (src/test/controlplane/build.sh, src/test/promql/build.sh,
# src/test/kubeconform/build.sh): they fetch modules from the module proxy alone, the first entry of
# `go env GOPROXY`, never `direct` (which would fetch from the modules' own hosts) nor `off`.

# module_proxy NAME: prints that first entry, or says why there is none (as NAME) and fails.
module_proxy() {
  local all proxy
  all="$(go env GOPROXY)"
  proxy="${all%%[,|]*}"
  if [[ -z "${proxy}" || "${proxy}" == direct || "${proxy}" == off ]]; then
    echo "$1: the first entry of go env GOPROXY ('${all}') is '${proxy}', not a module proxy; set GOPROXY to one" >&2
    return 1
  fi
  echo "${proxy}"
}
