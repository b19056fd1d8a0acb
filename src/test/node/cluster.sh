#!/usr/bin/env bash
# A single-node Kubernetes cluster on this machine, for icr-injector's node suite and `make demo-cluster`.
#
#   src/test/node/cluster.sh up           build what is missing, start the node, print the kubeconfig path
#   src/test/node/cluster.sh down         stop everything and remove the node's state
#   src/test/node/cluster.sh push IMAGE   push the test image (busybox) as IMAGE to the local us.icr.io
#   src/test/node/cluster.sh import TAR   import an OCI archive into the node's containerd (namespace k8s.io)
#   src/test/node/cluster.sh kubectl ...  kubectl against the node (runs inside its network namespace)
#   src/test/node/cluster.sh helm ...     helm against the node (the helm of src/test/controlplane/build.sh)
#
# After up, ${ICR_NODE_DIR:-~/.cache/icr-injector/node}/bin holds kubectl and helm wrappers to put first on PATH.
#
# cert-manager (controller and cainjector, v1.11 from Go modules, with its CRDs) runs as processes beside the
# control plane, so `kubectl apply -k deploy/` works as in a cluster that has it.
#
# Everything of the node runs inside the network namespace icr-node, which holds loopback and addresses of its own
# only and has NO default route: etcd, kube-apiserver, kube-controller-manager, kube-scheduler, kubelet,
# kube-proxy, containerd and its pods, and the registry that stands in for us.icr.io. Nothing it starts can reach a
# host outside this machine; a registry host configuration that containerd failed to parse would end in "network
# unreachable", not at the real registry. The API server is at https://10.213.0.1:6443 inside the namespace, so the
# kubeconfig works from inside it only: use `cluster.sh kubectl` (or `nsenter --net=/run/netns/icr-node kubectl`).
#
# Kubernetes binaries: src/test/controlplane/build.sh (Go module proxy only). containerd, runc and the CNI plugins:
# Debian's packages, installed when missing (this needs root, as the whole node does).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "${here}/../../.." && pwd)"
dir="${ICR_NODE_DIR:-${HOME}/.cache/icr-injector/node}"
netns=icr-node
node=icr-node
node_ip=10.213.0.1
service_cidr=10.213.16.0/20
service_ip=10.213.16.1
pod_cidr=10.213.32.0/24
apiserver="https://${node_ip}:6443"
registry=127.0.0.1:5443
registry_user=iamapikey
start=${SECONDS}
step() { printf '[cluster %4ds] %s\n' "$((SECONDS - start))" "$*" >&2; }
fail() { printf '[cluster %4ds] FAILED: %s\n' "$((SECONDS - start))" "$*" >&2; exit 1; }
in_ns() { nsenter --net="/run/netns/${netns}" -- "$@"; }

bins() {
  local root
  root="$(bash "${repo}/src/test/controlplane/build.sh")"
  echo "${root}/k8s/$(ls "${root}/k8s" | head -1)"
}

# Debian's containerd, runc, CNI plugins, iptables and conntrack (kube-proxy), busybox (the test image) and
# htpasswd (the registry's bcrypt password file), when missing.
packages() {
  local want=() p
  for p in containerd runc containernetworking-plugins iptables conntrack busybox-static apache2-utils curl; do
    dpkg-query -W -f='${Status}' "${p}" 2>/dev/null | grep -q "install ok installed" || want+=("${p}")
  done
  ((${#want[@]})) || return 0
  [[ $(id -u) -eq 0 ]] || fail "the node needs root (to install ${want[*]} and to run containerd)"
  step "installing Debian packages: ${want[*]}"
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${want[@]}" >/dev/null
}

# cert NAME CN ORG SANS: a certificate signed by the node's CA (SANS as openssl subjectAltName, may be empty).
cert() {
  local name="$1" cn="$2" org="$3" sans="$4" pki="${dir}/pki"
  openssl ecparam -name prime256v1 -genkey -noout 2>/dev/null | openssl pkcs8 -topk8 -nocrypt -out "${pki}/${name}.key"
  local subj="/CN=${cn}"
  [[ -n "${org}" ]] && subj="/O=${org}${subj}"
  openssl req -new -key "${pki}/${name}.key" -subj "${subj}" -out "${pki}/${name}.csr" 2>/dev/null
  {
    echo "basicConstraints=critical,CA:FALSE"
    echo "keyUsage=critical,digitalSignature,keyEncipherment"
    echo "extendedKeyUsage=serverAuth,clientAuth"
    [[ -n "${sans}" ]] && echo "subjectAltName=${sans}"
  } > "${pki}/${name}.ext"
  openssl x509 -req -in "${pki}/${name}.csr" -CA "${pki}/ca.crt" -CAkey "${pki}/ca.key" -CAcreateserial \
    -days 30 -sha256 -extfile "${pki}/${name}.ext" -out "${pki}/${name}.crt" 2>/dev/null
  rm -f "${pki}/${name}.csr" "${pki}/${name}.ext"
}

# kubeconfig NAME: a kubeconfig for the client certificate NAME.
kubeconfig() {
  local name="$1"
  cat > "${dir}/${name}.kubeconfig" <<EOF
apiVersion: v1
kind: Config
clusters:
  - name: icr-node
    cluster:
      server: ${apiserver}
      certificate-authority: ${dir}/pki/ca.crt
users:
  - name: ${name}
    user:
      client-certificate: ${dir}/pki/${name}.crt
      client-key: ${dir}/pki/${name}.key
contexts:
  - name: icr-node
    context: {cluster: icr-node, user: ${name}}
current-context: icr-node
EOF
}

pki() {
  local pki="${dir}/pki"
  mkdir -p "${pki}"
  openssl ecparam -name prime256v1 -genkey -noout 2>/dev/null | openssl pkcs8 -topk8 -nocrypt -out "${pki}/ca.key"
  openssl req -x509 -new -key "${pki}/ca.key" -subj "/CN=icr-node-ca" -days 30 -sha256 \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
    -out "${pki}/ca.crt" 2>/dev/null
  cert apiserver kube-apiserver "" \
    "IP:${node_ip},IP:${service_ip},IP:127.0.0.1,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local,DNS:localhost"
  cert apiserver-kubelet-client kube-apiserver-kubelet-client system:masters ""
  cert admin icr-node-admin system:masters ""
  cert controller-manager system:kube-controller-manager "" ""
  cert scheduler system:kube-scheduler "" ""
  cert proxy system:kube-proxy "" ""
  # cert-manager runs as a process with full rights, as its Helm chart's RBAC would give it on this node.
  cert cert-manager cert-manager system:masters ""
  cert kubelet "system:node:${node}" system:nodes ""
  cert kubelet-serving "${node}" "" "IP:${node_ip},DNS:${node}"
  cert registry us.icr.io "" "IP:127.0.0.1,DNS:us.icr.io"
  openssl genrsa -out "${pki}/sa.key" 2048 2>/dev/null
  openssl rsa -in "${pki}/sa.key" -pubout -out "${pki}/sa.pub" 2>/dev/null
  for n in admin controller-manager scheduler proxy kubelet cert-manager; do kubeconfig "${n}"; done
}

# launch NAME CMD...: start CMD inside the namespace, in the background, logging to logs/NAME.log.
launch() {
  local name="$1"
  shift
  nsenter --net="/run/netns/${netns}" -- setsid "$@" > "${dir}/logs/${name}.log" 2>&1 < /dev/null &
  echo $! > "${dir}/run/${name}.pid"
}

# wait_for WHAT SECONDS CMD...: poll CMD every half second until it succeeds.
wait_for() {
  local what="$1" limit="$2"
  shift 2
  local deadline=$((SECONDS + limit))
  until "$@" > /dev/null 2>&1; do
    if ((SECONDS >= deadline)); then
      fail "${what} not up after ${limit}s; logs in ${dir}/logs"
    fi
    sleep 0.5
  done
  step "${what}: up"
}

# image_archive OUT NAME ENTRYPOINT_JSON LAYER_DIR: an OCI archive with one layer, by the image recipe's writer.
image_archive() {
  local cfg
  cfg="$(mktemp)"
  printf '{"Entrypoint": %s}' "$3" > "${cfg}"
  python3 "${repo}/src/main/image/oci.py" --out "$1" --name "$2" --config "${cfg}" --layer "$4" >/dev/null 2>&1 \
    || fail "cannot write the image $2"
  rm -f "${cfg}"
}

ctr_() { in_ns ctr --address "${dir}/run/containerd.sock" "$@"; }

up() {
  [[ $(id -u) -eq 0 ]] || fail "the node needs root"
  if [[ -e "/run/netns/${netns}" ]]; then
    step "a node is up already: taking it down first"
    down
  fi
  packages
  local b
  b="$(bins)"
  step "binaries: ${b}"
  rm -rf "${dir}"
  mkdir -p "${dir}"/{logs,run,cni,cni-ipam,certs.d/us.icr.io,registry/data,kubelet,etcd,images}

  step "network namespace ${netns}: loopback, node address ${node_ip}, no default route"
  ip netns add "${netns}"
  ip -n "${netns}" link set lo up
  # A bridge with no ports gives the node an address of its own (this kernel has no dummy links).
  ip -n "${netns}" link add icr-host type bridge
  ip -n "${netns}" addr add "${node_ip}/32" dev icr-host
  ip -n "${netns}" link set icr-host up
  # The API server calls the webhook's Service by its cluster IP: that range needs a route before kube-proxy's
  # DNAT can apply. It stays inside the namespace.
  ip -n "${netns}" route add "${service_cidr}" dev icr-host
  if in_ns ip route show default | grep -q .; then
    fail "the namespace has a default route"
  fi
  in_ns sysctl -qw net.ipv4.ip_forward=1

  step "certificates (openssl)"
  pki

  step "images: pause (static C) and the test image (busybox)"
  local pause_root="${dir}/images/pause-root" hello_root="${dir}/images/hello-root"
  mkdir -p "${pause_root}" "${hello_root}/bin"
  gcc -static -O2 -o "${pause_root}/pause" "${here}/pause.c"
  strip "${pause_root}/pause" 2>/dev/null || true
  image_archive "${dir}/images/pause.tar" localhost/icr-node/pause:1 '["/pause"]' "${pause_root}"
  cp /bin/busybox "${hello_root}/bin/busybox"
  for a in sh sleep echo cat ls wget; do ln -sf busybox "${hello_root}/bin/${a}"; done
  image_archive "${dir}/images/hello.tar" us.icr.io/acme/hello:source \
    '["/bin/sh", "-c", "echo hello from the local us.icr.io; exec sleep 3600"]' "${hello_root}"

  step "registry (distribution) on ${registry}: TLS, htpasswd; containerd reaches it as us.icr.io"
  local password
  password="$(openssl rand -hex 16)"
  echo "${password}" > "${dir}/registry/password"
  htpasswd -nbB "${registry_user}" "${password}" | head -1 > "${dir}/registry/htpasswd"
  cat > "${dir}/registry/config.yml" <<EOF
version: 0.1
log: {level: warn}
storage:
  filesystem: {rootdirectory: ${dir}/registry/data}
  delete: {enabled: true}
http:
  addr: ${registry}
  tls: {certificate: ${dir}/pki/registry.crt, key: ${dir}/pki/registry.key}
auth:
  htpasswd: {realm: us.icr.io, path: ${dir}/registry/htpasswd}
EOF
  OTEL_TRACES_EXPORTER=none launch registry "${b}/registry" serve "${dir}/registry/config.yml"
  # containerd's host configuration: us.icr.io is served by the local registry. A [host."..."] table is required
  # (a bare `server =` is ignored).
  cat > "${dir}/certs.d/us.icr.io/hosts.toml" <<EOF
server = "https://us.icr.io"

[host."https://${registry}"]
  capabilities = ["pull", "resolve", "push"]
  ca = "${dir}/pki/ca.crt"
EOF

  step "etcd"
  launch etcd "${b}/etcd" --data-dir "${dir}/etcd" --listen-client-urls http://127.0.0.1:2379 \
    --advertise-client-urls http://127.0.0.1:2379 --listen-peer-urls http://127.0.0.1:2380 \
    --unsafe-no-fsync --log-level warn
  wait_for etcd 30 in_ns curl -sf http://127.0.0.1:2379/health

  step "kube-apiserver"
  launch kube-apiserver "${b}/kube-apiserver" --etcd-servers=http://127.0.0.1:2379 \
    --advertise-address="${node_ip}" --bind-address=0.0.0.0 --secure-port=6443 \
    --service-cluster-ip-range="${service_cidr}" --allow-privileged=true \
    --authorization-mode=Node,RBAC --enable-admission-plugins=NodeRestriction \
    --client-ca-file="${dir}/pki/ca.crt" \
    --tls-cert-file="${dir}/pki/apiserver.crt" --tls-private-key-file="${dir}/pki/apiserver.key" \
    --kubelet-client-certificate="${dir}/pki/apiserver-kubelet-client.crt" \
    --kubelet-client-key="${dir}/pki/apiserver-kubelet-client.key" \
    --service-account-issuer=https://kubernetes.default.svc \
    --service-account-key-file="${dir}/pki/sa.pub" --service-account-signing-key-file="${dir}/pki/sa.key" \
    --kubelet-preferred-address-types=InternalIP --profiling=false --v=1
  wait_for kube-apiserver 120 in_ns curl -sf --cacert "${dir}/pki/ca.crt" "${apiserver}/readyz"

  step "kube-controller-manager, kube-scheduler"
  launch kube-controller-manager "${b}/kube-controller-manager" --kubeconfig="${dir}/controller-manager.kubeconfig" \
    --authentication-kubeconfig="${dir}/controller-manager.kubeconfig" \
    --authorization-kubeconfig="${dir}/controller-manager.kubeconfig" \
    --service-account-private-key-file="${dir}/pki/sa.key" --root-ca-file="${dir}/pki/ca.crt" \
    --use-service-account-credentials=true --leader-elect=false --bind-address=127.0.0.1 \
    --cluster-signing-cert-file="${dir}/pki/ca.crt" --cluster-signing-key-file="${dir}/pki/ca.key" --v=1
  launch kube-scheduler "${b}/kube-scheduler" --kubeconfig="${dir}/scheduler.kubeconfig" \
    --authentication-kubeconfig="${dir}/scheduler.kubeconfig" --authorization-kubeconfig="${dir}/scheduler.kubeconfig" \
    --leader-elect=false --bind-address=127.0.0.1 --v=1

  step "containerd (Debian $(containerd --version | awk '{print $3}'))"
  cat > "${dir}/cni/10-icr-node.conflist" <<EOF
{
  "cniVersion": "1.0.0",
  "name": "icr-node",
  "plugins": [
    {
      "type": "bridge", "bridge": "icr-pods", "isGateway": true, "ipMasq": false, "hairpinMode": true,
      "ipam": {"type": "host-local", "ranges": [[{"subnet": "${pod_cidr}"}]], "routes": [{"dst": "0.0.0.0/0"}],
               "dataDir": "${dir}/cni-ipam"}
    }
  ]
}
EOF
  cat > "${dir}/containerd.toml" <<EOF
version = 2
root = "${dir}/containerd/root"
state = "${dir}/containerd/state"
[grpc]
  address = "${dir}/run/containerd.sock"
[ttrpc]
  address = "${dir}/run/containerd.sock.ttrpc"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "localhost/icr-node/pause:1"
  # This VM lacks CAP_SYS_RESOURCE: without this every sandbox fails ("can't get final child's PID from pipe").
  restrict_oom_score_adj = true
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        # cgroup v1 here, and no systemd: the cgroupfs driver, as the kubelet's.
        SystemdCgroup = false
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "${dir}/cni"
  [plugins."io.containerd.grpc.v1.cri".registry]
    config_path = "${dir}/certs.d"
EOF
  launch containerd containerd --config "${dir}/containerd.toml"
  wait_for containerd 30 ctr_ version
  ctr_ -n k8s.io images import "${dir}/images/pause.tar" >/dev/null

  step "kubelet"
  : > "${dir}/resolv.conf" # pods get no name server: nothing to resolve outside the node
  cat > "${dir}/kubelet.yaml" <<EOF
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
# Hybrid cgroups here (cpu, memory, pids on v1) and no systemd.
cgroupDriver: cgroupfs
failCgroupV1: false
containerRuntimeEndpoint: unix://${dir}/run/containerd.sock
address: ${node_ip}
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
healthzPort: 10248
tlsCertFile: ${dir}/pki/kubelet-serving.crt
tlsPrivateKeyFile: ${dir}/pki/kubelet-serving.key
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: false}
  x509: {clientCAFile: ${dir}/pki/ca.crt}
authorization: {mode: AlwaysAllow}
failSwapOn: false
resolvConf: ${dir}/resolv.conf
clusterDomain: cluster.local
serializeImagePulls: false
# A test node on a shared disk: evict only when really out of space.
evictionHard: {memory.available: 100Mi, nodefs.available: 1%, imagefs.available: 1%, nodefs.inodesFree: 1%}
imageGCHighThresholdPercent: 99
imageGCLowThresholdPercent: 98
EOF
  launch kubelet "${b}/kubelet" --config="${dir}/kubelet.yaml" --kubeconfig="${dir}/kubelet.kubeconfig" \
    --hostname-override="${node}" --node-ip="${node_ip}" --root-dir="${dir}/kubelet" --v=1

  step "kube-proxy (iptables)"
  cat > "${dir}/kube-proxy.yaml" <<EOF
apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
mode: iptables
clientConnection: {kubeconfig: ${dir}/proxy.kubeconfig}
hostnameOverride: ${node}
clusterCIDR: ${pod_cidr}
bindAddress: ${node_ip}
healthzBindAddress: 127.0.0.1:10256
metricsBindAddress: 127.0.0.1:10249
conntrack: {maxPerCore: 0}
EOF
  launch kube-proxy "${b}/kube-proxy" --config="${dir}/kube-proxy.yaml" --v=1

  # kubectl for people and tests: runs inside the namespace with the admin kubeconfig.
  mkdir -p "${dir}/bin"
  cat > "${dir}/bin/kubectl" <<EOF
#!/bin/sh
exec nsenter --net=/run/netns/${netns} -- "${b}/kubectl" --kubeconfig "${dir}/admin.kubeconfig" "\$@"
EOF
  # helm the same way (the one src/test/controlplane/build.sh builds), so both work from a PATH as on a cluster.
  cat > "${dir}/bin/helm" <<EOF
#!/bin/sh
exec nsenter --net=/run/netns/${netns} -- "${b}/helm" --kubeconfig "${dir}/admin.kubeconfig" "\$@"
EOF
  chmod +x "${dir}/bin/kubectl" "${dir}/bin/helm"
  local k="${dir}/bin/kubectl"
  wait_for "node ${node} Ready" 120 "${k}" wait --for=condition=Ready "node/${node}" --timeout=1s
  wait_for "ServiceAccount default/default" 60 "${k}" get serviceaccount default -n default

  step "pull secret default/all-icr-io (as IBM Cloud Kubernetes Service creates it) for the local us.icr.io"
  local auth
  auth="$(printf '%s:%s' "${registry_user}" "${password}" | base64 -w0)"
  "${k}" create secret generic all-icr-io -n default --type=kubernetes.io/dockerconfigjson \
    --from-literal=.dockerconfigjson="{\"auths\":{\"us.icr.io\":{\"username\":\"${registry_user}\",\"password\":\"${password}\",\"auth\":\"${auth}\"}}}" \
    >/dev/null
  wait_for "registry" 30 in_ns curl -s -o /dev/null --cacert "${dir}/pki/ca.crt" "https://${registry}/v2/"

  local cm_version
  cm_version="$(awk '$1 == "require" && $2 == "github.com/cert-manager/cert-manager" {print $3}' \
    "${repo}/src/test/controlplane/certmanager/go.mod")"
  step "cert-manager ${cm_version}: CRDs from its module, the controller and the cainjector (processes)"
  "${k}" apply --server-side -f "${b}/cert-manager-crds" >/dev/null
  # The Prometheus Operator's CRDs too (no operator): the monitoring component and the chart's ServiceMonitor and
  # PrometheusRule install as on a cluster that runs one.
  "${k}" apply --server-side -f "${b}/prometheus-operator-crds" >/dev/null
  "${k}" wait --for=condition=Established crd --all --timeout=60s >/dev/null
  "${k}" create namespace cert-manager >/dev/null
  launch cert-manager-controller "${b}/cert-manager-controller" --kubeconfig="${dir}/cert-manager.kubeconfig" \
    --cluster-resource-namespace=cert-manager --leader-elect=false \
    --metrics-listen-address=127.0.0.1:9402 --v=1
  launch cert-manager-cainjector "${b}/cert-manager-cainjector" --kubeconfig="${dir}/cert-manager.kubeconfig" \
    --leader-elect=false --v=1
  wait_for "cert-manager controller" 60 in_ns curl -sf http://127.0.0.1:9402/metrics

  step "up: kubeconfig ${dir}/admin.kubeconfig (server ${apiserver}, inside network namespace ${netns})"
  step "kubectl: ${dir}/bin/kubectl get nodes   (or: src/test/node/cluster.sh kubectl get nodes)"
  echo "${dir}/admin.kubeconfig"
}

# push IMAGE: the test image pushed to the local us.icr.io under IMAGE (us.icr.io/...:tag), with the registry's
# credentials, from a containerd namespace of its own that is removed afterwards, so the node has not got it.
push() {
  local image="$1"
  [[ "${image}" == us.icr.io/* ]] || fail "push: ${image} is not on us.icr.io"
  ctr_ -n icr-push images import --no-unpack "${dir}/images/hello.tar" >/dev/null
  ctr_ -n icr-push images tag --force us.icr.io/acme/hello:source "${image}" >/dev/null
  ctr_ -n icr-push images push --hosts-dir "${dir}/certs.d" \
    --user "${registry_user}:$(cat "${dir}/registry/password")" "${image}" >/dev/null
  ctr_ -n icr-push images rm us.icr.io/acme/hello:source "${image}" >/dev/null
  step "pushed ${image}"
}

import() {
  ctr_ -n k8s.io images import "$1" >&2
  step "imported $1"
}

down() {
  local t0=${SECONDS}
  # Pods first: every process in the kubelet's cgroups, then the node's own processes.
  local cg
  for cg in /sys/fs/cgroup/*/kubepods; do
    [[ -d "${cg}" ]] || continue
    find "${cg}" -name cgroup.procs -exec cat {} + 2>/dev/null | xargs -r kill -9 2>/dev/null || true
  done
  local name
  for name in cert-manager-cainjector cert-manager-controller kube-proxy kubelet kube-scheduler \
    kube-controller-manager kube-apiserver etcd registry containerd; do
    local pidfile="${dir}/run/${name}.pid"
    [[ -f "${pidfile}" ]] || continue
    kill "$(cat "${pidfile}")" 2>/dev/null || true
  done
  sleep 1
  if [[ -e "/run/netns/${netns}" ]]; then
    ip netns pids "${netns}" 2>/dev/null | xargs -r kill -9 2>/dev/null || true
  fi
  pkill -9 -f "containerd-shim-runc-v2 .*-address ${dir}/run/containerd.sock" 2>/dev/null || true
  # Mounts the kubelet and containerd made (volumes, overlay snapshots, sandbox shm), deepest first.
  if [[ -d "${dir}" ]]; then
    awk -v d="${dir}" 'index($2, d) == 1 {print $2}' /proc/mounts | sort -r | xargs -r -n1 umount -l 2>/dev/null || true
  fi
  awk '$2 ~ /^\/run\/containerd\/io.containerd/ {print $2}' /proc/mounts | sort -r | xargs -r -n1 umount -l 2>/dev/null || true
  # The pods' network namespaces (CNI's cni-*), then the node's.
  local ns
  for ns in $(ip netns list 2>/dev/null | awk '$1 ~ /^cni-/ {print $1}'); do ip netns delete "${ns}" 2>/dev/null || true; done
  [[ -e "/run/netns/${netns}" ]] && ip netns delete "${netns}"
  for cg in /sys/fs/cgroup/*/kubepods; do
    [[ -d "${cg}" ]] && find "${cg}" -depth -type d -exec rmdir {} \; 2>/dev/null || true
  done
  rm -rf /run/containerd/runc/k8s.io /run/containerd/runc/icr-push "${dir}"
  step "down in $((SECONDS - t0))s"
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  push) push "$2" ;;
  import) import "$2" ;;
  kubectl) shift; exec "${dir}/bin/kubectl" "$@" ;;
  helm) shift; h="$(bins)/helm"; [[ -x "${h}" ]] || fail "no helm at ${h}: run make controlplane"
    exec nsenter --net="/run/netns/${netns}" -- "${h}" --kubeconfig "${dir}/admin.kubeconfig" "$@" ;;
  *) echo "usage: cluster.sh up | down | push IMAGE | import ARCHIVE | kubectl ARGS... | helm ARGS..." >&2; exit 2 ;;
esac
