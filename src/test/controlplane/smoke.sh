#!/usr/bin/env bash
# Smoke test of the control plane that build.sh makes: starts etcd and
# kube-apiserver on loopback (free ports, a temp dir, openssl-made certs),
# runs kubectl against it (namespaces, RBAC, a pod), then stops both.
#
#   src/test/controlplane/smoke.sh [<dir>]   # <dir> as printed by build.sh
#
# The flag sets here are the ones README.md documents.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="${1:-$("${here}/build.sh")}"
bin="$(ls -d "${root}"/k8s/*-linux-amd64 | sort -V | tail -1)"

work="$(mktemp -d "${TMPDIR:-/tmp}/icr-controlplane-smoke.XXXXXX")"
etcd_pid=""
api_pid=""
# Stop PID with SIGTERM, and SIGKILL it if it is still there after 30 s.
stop() {
  local pid="$1"
  kill "${pid}" 2>/dev/null || return 0
  for _ in $(seq 1 150); do
    kill -0 "${pid}" 2>/dev/null || break
    sleep 0.2
  done
  kill -9 "${pid}" 2>/dev/null || true
  wait "${pid}" 2>/dev/null || true
}
cleanup() {
  local rc=$?
  # The apiserver first: it talks to etcd while it shuts down.
  [[ -z "${api_pid}" ]] || stop "${api_pid}"
  [[ -z "${etcd_pid}" ]] || stop "${etcd_pid}"
  if [[ ${rc} -ne 0 ]]; then
    echo "--- smoke FAILED (rc=${rc}); last log lines:" >&2
    tail -n 30 "${work}/etcd.log" "${work}/apiserver.log" >&2 2>/dev/null || true
  fi
  rm -rf "${work}"
}
trap cleanup EXIT

t0=${SECONDS}
say() { printf '[smoke %3ds] %s\n' "$((SECONDS - t0))" "$*" >&2; }

# A free loopback port: random, and nothing answers on it.
free_port() {
  local p
  for _ in $(seq 1 100); do
    p=$((20000 + RANDOM % 40000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/${p}") 2>/dev/null; then
      echo "${p}"
      return
    fi
  done
  echo "no free port found" >&2
  return 1
}

# --- certificates -----------------------------------------------------------
pki="${work}/pki"
mkdir -p "${pki}"
(
  cd "${pki}"
  openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -keyout ca.key -out ca.crt \
    -subj "/CN=icr-injector-test-ca" 2>/dev/null
  # Serving certificate of the apiserver: loopback and the in-cluster names.
  openssl req -newkey rsa:2048 -nodes -keyout apiserver.key -out apiserver.csr \
    -subj "/CN=kube-apiserver" 2>/dev/null
  printf 'subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local,IP:10.0.0.1\nextendedKeyUsage=serverAuth\n' > apiserver.ext
  openssl x509 -req -in apiserver.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 3650 \
    -extfile apiserver.ext -out apiserver.crt 2>/dev/null
  # Admin client certificate: group system:masters bypasses RBAC.
  openssl req -newkey rsa:2048 -nodes -keyout admin.key -out admin.csr \
    -subj "/O=system:masters/CN=admin" 2>/dev/null
  printf 'extendedKeyUsage=clientAuth\n' > client.ext
  openssl x509 -req -in admin.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 3650 \
    -extfile client.ext -out admin.crt 2>/dev/null
  # Service-account token signing key pair.
  openssl genrsa -out sa.key 2048 2>/dev/null
  openssl rsa -in sa.key -pubout -out sa.pub 2>/dev/null
)
say "certificates made in ${pki}"

# --- etcd -------------------------------------------------------------------
etcd_port="$(free_port)"
peer_port="$(free_port)"
"${bin}/etcd" \
  --name=default \
  --data-dir="${work}/etcd" \
  --listen-client-urls="http://127.0.0.1:${etcd_port}" \
  --advertise-client-urls="http://127.0.0.1:${etcd_port}" \
  --listen-peer-urls="http://127.0.0.1:${peer_port}" \
  --initial-advertise-peer-urls="http://127.0.0.1:${peer_port}" \
  --initial-cluster="default=http://127.0.0.1:${peer_port}" \
  --unsafe-no-fsync \
  >"${work}/etcd.log" 2>&1 &
etcd_pid=$!
for _ in $(seq 1 100); do
  curl -fsS "http://127.0.0.1:${etcd_port}/health" >/dev/null 2>&1 && break
  kill -0 "${etcd_pid}" 2>/dev/null || { echo "etcd exited" >&2; exit 1; }
  sleep 0.2
done
curl -fsS "http://127.0.0.1:${etcd_port}/health" >/dev/null
say "etcd healthy on 127.0.0.1:${etcd_port}"

# --- kube-apiserver ---------------------------------------------------------
api_port="$(free_port)"
"${bin}/kube-apiserver" \
  --etcd-servers="http://127.0.0.1:${etcd_port}" \
  --bind-address=127.0.0.1 \
  --advertise-address=127.0.0.1 \
  --endpoint-reconciler-type=none \
  --secure-port="${api_port}" \
  --cert-dir="${work}/apiserver-certs" \
  --tls-cert-file="${pki}/apiserver.crt" \
  --tls-private-key-file="${pki}/apiserver.key" \
  --client-ca-file="${pki}/ca.crt" \
  --authorization-mode=Node,RBAC \
  --service-account-issuer=https://kubernetes.default.svc.cluster.local \
  --service-account-key-file="${pki}/sa.pub" \
  --service-account-signing-key-file="${pki}/sa.key" \
  --service-cluster-ip-range=10.0.0.0/24 \
  --allow-privileged=true \
  >"${work}/apiserver.log" 2>&1 &
api_pid=$!

export KUBECONFIG="${work}/kubeconfig"
k="${bin}/kubectl"
"${k}" config set-cluster test --server="https://127.0.0.1:${api_port}" \
  --certificate-authority="${pki}/ca.crt" >/dev/null
"${k}" config set-credentials admin --client-certificate="${pki}/admin.crt" \
  --client-key="${pki}/admin.key" >/dev/null
"${k}" config set-context test --cluster=test --user=admin >/dev/null
"${k}" config use-context test >/dev/null

for _ in $(seq 1 300); do
  "${k}" get --raw /readyz >/dev/null 2>&1 && break
  kill -0 "${api_pid}" 2>/dev/null || { echo "kube-apiserver exited" >&2; exit 1; }
  sleep 0.2
done
"${k}" get --raw /readyz >/dev/null
say "kube-apiserver ready on https://127.0.0.1:${api_port}"

# --- checks -----------------------------------------------------------------
"${k}" version >&2
"${k}" get ns >&2
"${k}" get --raw /apis/admissionregistration.k8s.io/v1 >/dev/null
say "admissionregistration.k8s.io/v1 served"

# RBAC is enforced for ordinary users (impersonated here by the admin).
if "${k}" get pods -n default --as=nobody >/dev/null 2>&1; then
  echo "RBAC not enforced: user 'nobody' may list pods" >&2
  exit 1
fi
say "RBAC denies an unbound user"

# With the ServiceAccount admission plugin on (the default), a pod needs its
# service account to exist; no controller-manager runs to create "default".
pod='{"apiVersion":"v1","kind":"Pod","metadata":{"name":"smoke"},"spec":{"containers":[{"name":"app","image":"registry.example/app:1"}]}}'
"${k}" create namespace smoke >&2
if out="$(echo "${pod}" | "${k}" create -n smoke -f - 2>&1)"; then
  echo "expected the pod to be rejected before its service account exists" >&2
  exit 1
fi
say "without a ServiceAccount: ${out}"
"${k}" create serviceaccount default -n smoke >&2
echo "${pod}" | "${k}" create -n smoke -f - >&2
"${k}" get pod smoke -n smoke -o jsonpath='{.spec.serviceAccountName} {.spec.volumes[*].name}{"\n"}' >&2
"${k}" get pods -A >&2
say "pod created"

say "OK"
stop "${api_pid}"
api_pid=""
say "kube-apiserver stopped"
stop "${etcd_pid}"
etcd_pid=""
say "etcd stopped"
