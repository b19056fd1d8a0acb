#!/usr/bin/env bash
# Makes a local CA and a serving certificate for icr-injector, for runs, tests and
# clusters without cert-manager.
#
#   certs/gen.sh            writes certs/out/ and refreshes the copies that
#                           deploy/overlays/local-certs reads (both git-ignored)
#   certs/gen.sh <outdir>   writes <outdir> only (tests use a temp dir)
#
# Files: ca.crt, ca.key (the local CA), tls.crt, tls.key (the server, signed by
# the CA). Keys are EC P-256 in PKCS#8 PEM ("BEGIN PRIVATE KEY"), which both the
# JVM (Quarkus/Vert.x) and the Kubernetes API server accept.
#
# Idempotent: existing certificates are kept unless FORCE=1, or unless they are
# incomplete, expire within a day, or were signed by another CA.
#
# Environment: FORCE=1 (regenerate), DAYS (validity, default 365),
# OVERLAY_DIR (where to copy for the overlay; default only without <outdir>).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/.." && pwd)"

if [[ $# -gt 1 ]]; then
  echo "usage: $0 [outdir]" >&2
  exit 2
fi

if [[ $# -eq 1 ]]; then
  out="$1"
  overlay="${OVERLAY_DIR:-}"
else
  out="$here/out"
  overlay="${OVERLAY_DIR:-$repo/deploy/overlays/local-certs/generated}"
fi
days="${DAYS:-365}"
force="${FORCE:-0}"

# Names the server answers to: local runs (localhost, loopback) and the Service,
# however a client spells it.
sans=(
  DNS:localhost
  IP:127.0.0.1
  IP:::1
  DNS:icr-injector
  DNS:icr-injector.icr-injector
  DNS:icr-injector.icr-injector.svc
  DNS:icr-injector.icr-injector.svc.cluster.local
)

command -v openssl >/dev/null || { echo "gen.sh: openssl not found" >&2; exit 1; }

# Why the existing set cannot be kept, or nothing when it can.
reason_to_regenerate() {
  local f
  [[ "$force" == 1 ]] && { echo "FORCE=1"; return; }
  for f in ca.crt ca.key tls.crt tls.key; do
    [[ -s "$out/$f" ]] || { echo "$out/$f is missing"; return; }
  done
  openssl x509 -in "$out/tls.crt" -noout -checkend 86400 >/dev/null 2>&1 ||
    { echo "tls.crt expires within a day"; return; }
  openssl verify -CAfile "$out/ca.crt" "$out/tls.crt" >/dev/null 2>&1 ||
    { echo "tls.crt is not signed by ca.crt"; return; }
  return 0
}

tmp=""
trap '[[ -z "$tmp" ]] || rm -rf "$tmp"' EXIT

generate() {
  tmp="$(mktemp -d)"
  (
    umask 077
    openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$tmp/ca.key" 2>/dev/null
    openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$tmp/tls.key" 2>/dev/null
  )

  openssl req -x509 -new -sha256 -days "$days" \
    -key "$tmp/ca.key" \
    -subj "/O=icr-injector/CN=icr-injector local CA" \
    -addext "basicConstraints=critical,CA:TRUE,pathlen:0" \
    -addext "keyUsage=critical,keyCertSign,cRLSign" \
    -addext "subjectKeyIdentifier=hash" \
    -out "$tmp/ca.crt"

  cat >"$tmp/server.ext" <<EOF
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
subjectAltName = $(IFS=,; echo "${sans[*]}")
EOF

  openssl req -new -sha256 -key "$tmp/tls.key" \
    -subj "/O=icr-injector/CN=icr-injector.icr-injector.svc" \
    -out "$tmp/tls.csr"
  openssl x509 -req -sha256 -days "$days" \
    -in "$tmp/tls.csr" -CA "$tmp/ca.crt" -CAkey "$tmp/ca.key" \
    -set_serial "0x$(openssl rand -hex 16)" \
    -extfile "$tmp/server.ext" \
    -out "$tmp/tls.crt" 2>/dev/null
  openssl verify -CAfile "$tmp/ca.crt" "$tmp/tls.crt" >/dev/null

  # Move the complete set into place only once all of it exists.
  mkdir -p "$out"
  chmod 644 "$tmp/ca.crt" "$tmp/tls.crt"
  chmod 600 "$tmp/ca.key" "$tmp/tls.key"
  local f
  for f in ca.key ca.crt tls.key tls.crt; do
    mv -f "$tmp/$f" "$out/$f"
  done
}

why="$(reason_to_regenerate)"
if [[ -n "$why" ]]; then
  echo "gen.sh: generating ($why)"
  generate
  echo "gen.sh: wrote $out/ca.crt, $out/ca.key, $out/tls.crt, $out/tls.key"
else
  echo "gen.sh: keeping existing certificates in $out (FORCE=1 to regenerate)"
fi

# deploy/overlays/local-certs can only read files inside its own directory
# (kustomize's load restrictor; `kubectl apply -k` has no flag to relax it), so it
# gets copies. The CA key stays here: the cluster never needs it.
if [[ -n "$overlay" ]]; then
  mkdir -p "$overlay"
  for f in ca.crt tls.crt tls.key; do
    if ! cmp -s "$out/$f" "$overlay/$f"; then
      (umask 077 && cp "$out/$f" "$overlay/$f")
      echo "gen.sh: wrote $overlay/$f"
    fi
  done
fi

openssl x509 -in "$out/tls.crt" -noout -subject -enddate -ext subjectAltName 2>/dev/null |
  sed 's/^/gen.sh:   /'
