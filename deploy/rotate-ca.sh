#!/usr/bin/env bash
# Rotates icr-injector's CA to a NEW private key while the API server keeps trusting the certificate that every
# replica serves. docs/operating.md#ca-rotation explains the order; in short:
#
#   1. the webhooks' caBundle is handed from the serving certificate to a Secret holding the old CA (cainjector's
#      inject-ca-from-secret), so nothing cert-manager does next moves it;
#   2. the CA is renewed with a new key (rotationPolicy Always for that one renewal, then Never again);
#   3. the Secret holds the old AND the new CA; wait until both webhooks' caBundle has both;
#   4. the serving certificate is reissued by the new CA;
#   5. wait until every replica serves it (they reload the mounted Secret without a restart, within about 2 min),
#      checked through `kubectl port-forward` and openssl;
#   6. the caBundle goes back to the serving certificate's CA (the new one, alone); the Secret is deleted.
#
# Usage: deploy/rotate-ca.sh [NAMESPACE]     NAMESPACE: icr-injector (kustomize) or the Helm release's namespace
#
# For the cert-manager install (kubectl apply -k deploy/; the chart with certificates.mode=certManager and no
# certificates.certManager.issuerRef). Needs kubectl 1.24 or later and openssl, and rights to: get/patch the
# namespace's Certificates and their status, get/create/patch/delete its Secrets, list pods and port-forward to
# them, get/patch MutatingWebhookConfiguration icr-injector. Do not run `kubectl apply -k deploy/` or `helm upgrade`
# while it runs: both put the inject-ca-from annotation back in the middle of the window. If it stops (a timeout, a
# lost connection), run it again: each step checks whether it is done already, so a second run finishes the first.
# ICR_ROTATE_WAIT_SECONDS (300) bounds each wait.
set -euo pipefail

ns="${1:-icr-injector}"
wait_s="${ICR_ROTATE_WAIT_SECONDS:-300}"
mwc=icr-injector
ca=icr-injector-ca
tls=icr-injector-tls
bundle=icr-injector-ca-bundle
from_cert=cert-manager.io/inject-ca-from
from_secret=cert-manager.io/inject-ca-from-secret
work="$(mktemp -d)"
# Stopped (Ctrl-C, a lost session): no port-forward left behind. A run again goes on from there.
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "${work}"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

step() { printf '[rotate-ca] %s\n' "$*" >&2; }
fail() {
  printf '[rotate-ca] FAILED: %s\n' "$*" >&2
  printf '[rotate-ca] Fix the cause and run deploy/rotate-ca.sh %s again: it goes on from where it stopped.\n' "${ns}" >&2
  exit 1
}
k() { kubectl -n "${ns}" "$@"; }

# until_ok WHAT COMMAND...: runs COMMAND every 2 s until it succeeds; fails after ICR_ROTATE_WAIT_SECONDS.
until_ok() {
  local what="$1" deadline=$((SECONDS + wait_s))
  shift
  until "$@"; do
    ((SECONDS < deadline)) || fail "${what}: not within ${wait_s} s"
    sleep 2
  done
}

secret_file() { k get secret "$1" -o "jsonpath={.data.${2//./\\.}}" | base64 -d; }
first_cert() { awk '/-----BEGIN CERTIFICATE-----/ {n++} n == 1' "$1"; }
pubkey() { openssl x509 -noout -pubkey -in "$1"; }
describe() { openssl x509 -noout -subject -serial -fingerprint -sha256 -in "$1" | tr '\n' ' '; }
# chains CERT CA: CERT is signed by (the key of) CA.
chains() { openssl verify -CAfile "$2" "$1" >/dev/null 2>&1; }
annotation() {
  kubectl get mutatingwebhookconfiguration "${mwc}" -o "jsonpath={.metadata.annotations.${1//./\\.}}"
}

# bundle_is FILE: every webhook of the configuration has FILE, byte for byte, as its caBundle.
bundle_is() {
  local want got
  want="$(base64 -w0 <"$1")"
  got="$(kubectl get mutatingwebhookconfiguration "${mwc}" \
    -o jsonpath='{range .webhooks[*]}{.clientConfig.caBundle}{"\n"}{end}')"
  [ -n "${got}" ] && ! grep -qvxF -- "${want}" <<<"${got}"
}

# apply_bundle CERT...: the Secret cainjector injects from during the window, holding these certificates.
apply_bundle() {
  k apply -f - >/dev/null <<EOF
apiVersion: v1
kind: Secret
metadata:
  name: ${bundle}
  labels:
    app.kubernetes.io/name: icr-injector
  annotations:
    cert-manager.io/allow-direct-injection: "true"
data:
  ca.crt: $(cat "$@" | base64 -w0)
EOF
}

revision() { k get certificate "$1" -o jsonpath='{.status.revision}'; }
issued_after() {
  local r
  r="$(revision "$1")"
  [ "${r:-0}" -gt "$2" ] \
    && [ "$(k get certificate "$1" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}')" = True ]
}
# reissue CERTIFICATE: what `cmctl renew` does (an Issuing condition on its status), then waits for the next revision.
reissue() {
  local before
  before="$(revision "$1")"
  k patch certificate "$1" --subresource=status --type=json -p "[{\"op\": \"add\", \"path\": \"/status/conditions/-\",
    \"value\": {\"type\": \"Issuing\", \"status\": \"True\", \"reason\": \"ManuallyTriggered\",
    \"message\": \"deploy/rotate-ca.sh\", \"lastTransitionTime\": \"$(date -u +%Y-%m-%dT%H:%M:%SZ)\"}}]" >/dev/null
  until_ok "Certificate $1 reissued (revision after ${before})" issued_after "$1" "${before:-0}"
}

# served POD OUT: the certificate POD serves on 8443, read through kubectl port-forward.
served() {
  local pod="$1" out="$2" log="${work}/port-forward.log" pid port=""
  : >"${out}"
  k port-forward "pod/${pod}" :8443 >"${log}" 2>&1 &
  pid=$!
  for _ in $(seq 50); do
    port="$(sed -n 's/^Forwarding from 127\.0\.0\.1:\([0-9]*\) .*/\1/p' "${log}" | head -n 1)"
    [ -n "${port}" ] || ! kill -0 "${pid}" 2>/dev/null && break
    sleep 0.2
  done
  if [ -z "${port}" ]; then
    step "   kubectl port-forward pod/${pod}: $(head -n 1 "${log}")"
  else
    openssl s_client -connect "127.0.0.1:${port}" </dev/null 2>/dev/null | openssl x509 >"${out}" 2>/dev/null || true
  fi
  kill "${pid}" 2>/dev/null || true
  wait "${pid}" 2>/dev/null || true
}

# all_serve CA: every running webhook pod (not being deleted) serves a certificate signed by CA.
last_progress=""
all_serve() {
  local pods pod n=0 done=0
  pods="$(k get pods -l app.kubernetes.io/name=icr-injector,app.kubernetes.io/component=webhook -o \
    jsonpath='{range .items[?(@.status.phase=="Running")]}{.metadata.name} {.metadata.deletionTimestamp}{"\n"}{end}' \
    | awk 'NF == 1')"
  for pod in ${pods}; do
    n=$((n + 1))
    served "${pod}" "${work}/served.crt"
    if [ -s "${work}/served.crt" ] && chains "${work}/served.crt" "$1"; then
      done=$((done + 1))
    fi
  done
  if [ "${done}/${n}" != "${last_progress}" ]; then
    step "   ${done} of ${n} replicas serve a certificate of the new CA"
    last_progress="${done}/${n}"
  fi
  [ "${n}" -gt 0 ] && [ "${done}" -eq "${n}" ]
}

old="${work}/old-ca.crt"
new="${work}/new-ca.crt"
both="${work}/both.crt"

k get certificate "${ca}" "${tls}" >/dev/null \
  || fail "no Certificates ${ca} and ${tls} in namespace ${ns}: not a cert-manager install of icr-injector"
[ "$(k get certificate "${ca}" -o jsonpath='{.spec.isCA}')" = true ] || fail "Certificate ${ca} is not a CA"

# 1. The old CA, and the caBundle handed to a Secret that holds it (a second run finds both done).
if [ "$(annotation "${from_cert}")" = "${ns}/${tls}" ] && k get secret "${bundle}" >/dev/null 2>&1; then
  # A run that stopped after giving the caBundle back, before deleting the Secret: finish that one.
  k delete secret "${bundle}" >/dev/null
  step "done: the previous rotation had finished but for deleting Secret ${bundle}; run again for a new one"
  exit 0
elif [ "$(annotation "${from_secret}")" = "${ns}/${bundle}" ]; then
  first_cert <(secret_file "${bundle}" ca.crt) >"${old}"
  step "1/6 resuming: the caBundle comes from Secret ${bundle} already; old CA: $(describe "${old}")"
else
  [ "$(annotation "${from_cert}")" = "${ns}/${tls}" ] \
    || fail "MutatingWebhookConfiguration ${mwc} has no annotation ${from_cert}=${ns}/${tls}"
  secret_file "${tls}" ca.crt >"${old}"
  bundle_is "${old}" || fail "the webhooks' caBundle is not ${tls}'s ca.crt (is cainjector running?)"
  step "1/6 old CA: $(describe "${old}"); the caBundle now comes from Secret ${bundle} (the old CA)"
  apply_bundle "${old}"
  kubectl annotate mutatingwebhookconfiguration "${mwc}" "${from_cert}-" "${from_secret}=${ns}/${bundle}" >/dev/null
fi

# 2. A new key for the CA.
secret_file "${ca}" tls.crt >"${new}"
if [ "$(pubkey "${new}")" = "$(pubkey "${old}")" ]; then
  step "2/6 renewing Certificate ${ca} with a new private key"
  k patch certificate "${ca}" --type=merge -p '{"spec": {"privateKey": {"rotationPolicy": "Always"}}}' >/dev/null
  reissue "${ca}"
  secret_file "${ca}" tls.crt >"${new}"
  [ "$(pubkey "${new}")" != "$(pubkey "${old}")" ] || fail "Certificate ${ca} was reissued with the same key"
else
  step "2/6 Certificate ${ca} has a new key already"
fi
# Never again: the next renewal of the CA keeps this key (as deploy/ and the chart say).
k patch certificate "${ca}" --type=merge -p '{"spec": {"privateKey": {"rotationPolicy": "Never"}}}' >/dev/null
step "    new CA: $(describe "${new}")"

# 3. Both CAs in the caBundle, before any replica can serve a certificate of the new one.
cat "${old}" "${new}" >"${both}"
step "3/6 the caBundle holds the old and the new CA"
apply_bundle "${old}" "${new}"
until_ok "both webhooks' caBundle holding the old and the new CA" bundle_is "${both}"

# 4. A serving certificate of the new CA.
if chains <(secret_file "${tls}" tls.crt) "${new}"; then
  step "4/6 Certificate ${tls} is signed by the new CA already"
else
  step "4/6 reissuing Certificate ${tls} with the new CA"
  reissue "${tls}"
  chains <(secret_file "${tls}" tls.crt) "${new}" || fail "Certificate ${tls} was reissued but not by the new CA"
fi

# 5. Every replica serves it (the kubelet updates the mounted Secret within about a minute, the app re-reads it
#    every minute: quarkus.tls.webhook.reload-period).
step "5/6 waiting until every replica serves the new certificate (about 2 minutes)"
until_ok "every replica serving a certificate of the new CA" all_serve "${new}"

# 6. The caBundle back to cainjector's copy of the serving certificate's CA: the new CA alone.
step "6/6 the caBundle back to ${from_cert}=${ns}/${tls} (the new CA alone)"
secret_file "${tls}" ca.crt >"${work}/tls-ca.crt"
[ "$(pubkey "${work}/tls-ca.crt")" = "$(pubkey "${new}")" ] || fail "${tls}'s ca.crt is not the new CA"
kubectl annotate mutatingwebhookconfiguration "${mwc}" "${from_secret}-" "${from_cert}=${ns}/${tls}" >/dev/null
until_ok "both webhooks' caBundle holding the new CA alone" bundle_is "${work}/tls-ca.crt"
k delete secret "${bundle}" >/dev/null
step "done: the CA has a new key; every replica serves a certificate of it; the caBundle holds it alone"
