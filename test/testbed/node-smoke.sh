#!/usr/bin/env bash
# Smoke test of the real node: a control plane, a real node, a local registry
# (Debian's docker-registry on loopback) with a tiny image pushed by curl; a
# Deployment on the pod network and one on the host network run it; imageID and
# image as the runtime reports them; logs through the API server; a deleted pod
# is replaced; then everything stops and nothing is left on the machine.
#
#   test/testbed/node-smoke.sh        (root; ends with "N passed, N failed")
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
WORK=$(mktemp -d "${TMPDIR:-/tmp}/testbed-node-smoke.XXXXXX")
CP=${WORK}/cp
NODE=${WORK}/node
REG=${WORK}/registry
REG_PID=""
cleanup() {
  "${HERE}/node-stop.sh" "${NODE}" || true
  if [[ -n ${REG_PID} ]]; then kill "${REG_PID}" 2>/dev/null || true; fi
  "${HERE}/stop.sh" "${CP}" || true
  rm -rf "${WORK}"
}
trap cleanup EXIT

PASSED=0
FAILED=0
ok() {
  PASSED=$((PASSED + 1))
  echo "node-smoke: ok   - $*" >&2
}
not_ok() {
  FAILED=$((FAILED + 1))
  echo "node-smoke: FAIL - $*" >&2
}
retry() {
  local end=$((SECONDS + $1))
  shift
  until "$@" >/dev/null 2>&1; do
    ((SECONDS < end)) || return 1
    sleep 0.5
  done
}
check() {
  local desc=$1
  shift
  if "$@"; then ok "${desc}"; else not_ok "${desc}"; fi
}

"${HERE}/node-leftovers.sh" record "${WORK}/host-before"

t0=${SECONDS}
"${HERE}/start.sh" "${CP}" >/dev/null
echo "node-smoke: start.sh took $((SECONDS - t0))s" >&2
set -a
# shellcheck source=/dev/null
. "${CP}/env"
set +a
k() { "${TESTBED_BIN}/kubectl" "$@"; }

t0=${SECONDS}
TESTBED_NODE_NAME=smoke-node "${HERE}/node-start.sh" "${CP}" "${NODE}" >/dev/null
echo "node-smoke: node-start.sh took $((SECONDS - t0))s" >&2
set -a
# shellcheck source=/dev/null
. "${NODE}/env"
set +a

# ----------------------------------------------------------------- registry
mkdir -p "${REG}"
printf '%s\n' "version: 0.1" "log: {level: info}" "storage: {filesystem: {rootdirectory: ${REG}/data}}" \
  "http: {addr: 127.0.0.1:0}" >"${REG}/config.yml"
docker-registry serve "${REG}/config.yml" >"${REG}/log" 2>&1 &
REG_PID=$!
retry 15 grep -q 'listening on' "${REG}/log"
HOST=127.0.0.1:$(grep -oE 'listening on [0-9.]+:[0-9]+' "${REG}/log" | head -n1 | sed 's/.*://')

# push_blob FILE: uploads FILE to repository smoke; prints its digest.
push_blob() {
  local digest location
  digest=sha256:$(sha256sum "$1" | cut -d' ' -f1)
  location=$(curl -sSf -X POST -D - -o /dev/null "http://${HOST}/v2/smoke/blobs/uploads/" |
    tr -d '\r' | awk 'tolower($1) == "location:" { print $2 }')
  [[ ${location} == http* ]] || location=http://${HOST}${location}
  curl -sSf -X PUT -H 'Content-Type: application/octet-stream' --data-binary "@$1" \
    "${location}$([[ ${location} == *\?* ]] && echo '&' || echo '?')digest=${digest}" >/dev/null
  echo "${digest}"
}
mkdir -p "${WORK}/img"
printf 'v1' >"${WORK}/img/content"
tar --owner=0 --group=0 --numeric-owner --mtime=@0 -C "${WORK}/img" -cf "${WORK}/content.tar" content
sleeper_layer=$(push_blob "${TESTBED_NODE_BIN}/sleeper-layer.tar")
content_layer=$(push_blob "${WORK}/content.tar")
printf '{"architecture":"amd64","os":"linux","config":{"Entrypoint":["/sleeper"]},"rootfs":{"type":"layers","diff_ids":["%s","%s"]}}' \
  "${sleeper_layer}" "${content_layer}" >"${WORK}/config.json"
config=$(push_blob "${WORK}/config.json")
layer() { printf '{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"%s","size":%s}' "$1" "$(stat -c %s "$2")"; }
printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"%s","size":%s},"layers":[%s,%s]}' \
  "${config}" "$(stat -c %s "${WORK}/config.json")" \
  "$(layer "${sleeper_layer}" "${TESTBED_NODE_BIN}/sleeper-layer.tar")" "$(layer "${content_layer}" "${WORK}/content.tar")" \
  >"${WORK}/manifest.json"
MANIFEST=sha256:$(sha256sum "${WORK}/manifest.json" | cut -d' ' -f1)
curl -sSf -X PUT -H 'Content-Type: application/vnd.oci.image.manifest.v1+json' \
  --data-binary "@${WORK}/manifest.json" "http://${HOST}/v2/smoke/manifests/v1" >/dev/null
IMAGE=${HOST}/smoke:v1

# -------------------------------------------------------------------- checks
node_info() { k get node smoke-node -o jsonpath="{.status.nodeInfo.$1}"; }
check "node reports containerd 2.2.9" test "$(node_info containerRuntimeVersion)" = containerd://2.2.9
check "node reports kubelet v1.35.4" test "$(node_info kubeletVersion)" = v1.35.4
check "node's InternalIP is ${TESTBED_NODE_IP}" \
  test "$(k get node smoke-node -o jsonpath='{.status.addresses[?(@.type=="InternalIP")].address}')" = "${TESTBED_NODE_IP}"

deployment() {
  local name=$1 host_network=$2
  k apply -f - >/dev/null <<EOF
apiVersion: apps/v1
kind: Deployment
metadata: {name: ${name}}
spec:
  replicas: 2
  selector: {matchLabels: {app: ${name}}}
  template:
    metadata: {labels: {app: ${name}}}
    spec:
      hostNetwork: ${host_network}
      terminationGracePeriodSeconds: 5
      containers: [{name: app, image: "${IMAGE}", imagePullPolicy: Always}]
EOF
}
t0=${SECONDS}
deployment smoke-pods false
deployment smoke-host true
running() {
  local phases
  phases=$(k get pods -l "app=$1" -o jsonpath='{range .items[*]}{.status.phase}{"\n"}{end}')
  [[ $(grep -c '^Running$' <<<"${phases}") -eq 2 && $(wc -l <<<"${phases}") -eq 2 ]]
}
check "2 pods on the pod network run" retry 90 running smoke-pods
check "2 pods on the host network run" retry 60 running smoke-host
echo "node-smoke: 4 pods running $((SECONDS - t0))s after the Deployments" >&2
status_of() { k get pods -l "app=$1" -o jsonpath="{range .items[*]}{.status.containerStatuses[0].$2}{\"\\n\"}{end}" | sort -u; }
echo "node-smoke: imageID $(status_of smoke-pods imageID), image $(status_of smoke-pods image)" >&2
check "imageID is ${HOST}/smoke@<manifest digest>" test "$(status_of smoke-pods imageID)" = "${HOST}/smoke@${MANIFEST}"
check "image is ${IMAGE}" test "$(status_of smoke-pods image)" = "${IMAGE}"
check "host-network pods report the same" test "$(status_of smoke-host imageID)" = "${HOST}/smoke@${MANIFEST}"
pod_ip=$(k get pods -l app=smoke-pods -o jsonpath='{.items[0].status.podIP}')
host_ip=$(k get pods -l app=smoke-host -o jsonpath='{.items[0].status.podIP}')
check "a pod-network pod has an IP in 203.0.113.0/24 (${pod_ip})" test "${pod_ip%.*}" = 203.0.113
check "a host-network pod has the node IP (${host_ip})" test "${host_ip}" = "${TESTBED_NODE_IP}"
logs_ok() { [[ $(k logs "deploy/smoke-pods") == "content: v1" ]]; }
check "kubectl logs reaches the kubelet" retry 30 logs_ok

victim=$(k get pods -l app=smoke-pods -o jsonpath='{.items[0].metadata.name}')
t0=${SECONDS}
k delete pod "${victim}" --wait=true --timeout=60s >/dev/null
replaced() {
  running smoke-pods && ! k get pods -l app=smoke-pods -o name | grep -q "/${victim}$"
}
check "a deleted pod is replaced and the replacement runs" retry 60 replaced
echo "node-smoke: delete + replace took $((SECONDS - t0))s" >&2
check "crictl sees the sandboxes" test "$("${TESTBED_NODE_BIN}/crictl" --config "${TESTBED_NODE_CRICTL_CONFIG}" pods -q --state ready | wc -l)" -eq 4

k delete deployment smoke-pods smoke-host --wait=false >/dev/null
gone() { [[ -z $(k get pods -o name) ]]; }
check "pods of deleted Deployments go" retry 60 gone

t0=${SECONDS}
"${HERE}/node-stop.sh" "${NODE}"
echo "node-smoke: node-stop.sh took $((SECONDS - t0))s" >&2
check "node-stop.sh removes the node dir" test ! -e "${NODE}"
check "node-stop.sh deletes the Node" retry 10 test -z "$(k get nodes -o name)"
check "node-stop.sh is safe to call twice" "${HERE}/node-stop.sh" "${NODE}"
kill "${REG_PID}" 2>/dev/null || true
wait "${REG_PID}" 2>/dev/null || true
REG_PID=""
"${HERE}/stop.sh" "${CP}"
if left=$("${HERE}/node-leftovers.sh" check "${WORK}/host-before"); then
  ok "nothing of the node is left on the machine"
else
  not_ok "the node left: ${left}"
fi

echo "node-smoke: ${PASSED} passed, ${FAILED} failed"
[[ ${FAILED} -eq 0 ]]
