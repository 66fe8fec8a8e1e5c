#!/usr/bin/env bash
# Smoke test of the test control plane: start, exercise the API server and the
# controllers, stop, and check that nothing is left behind.
#
#   test/testbed/smoke.sh
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
DIR=$(mktemp -d "${TMPDIR:-/tmp}/testbed-smoke.XXXXXX")
trap '"${HERE}/stop.sh" "${DIR}"' EXIT

PASSED=0
FAILED=0
ok() {
  PASSED=$((PASSED + 1))
  echo "smoke: ok   - $*" >&2
}
not_ok() {
  FAILED=$((FAILED + 1))
  echo "smoke: FAIL - $*" >&2
}
# retry SECONDS CMD...: until CMD succeeds (quietly) or SECONDS pass.
retry() {
  local end=$((SECONDS + $1))
  shift
  until "$@" >/dev/null 2>&1; do
    ((SECONDS < end)) || return 1
    sleep 0.5
  done
}
# check DESC CMD...
check() {
  local desc=$1
  shift
  if "$@"; then ok "${desc}"; else not_ok "${desc}"; fi
}

t0=${SECONDS}
"${HERE}/start.sh" "${DIR}" >/dev/null
echo "smoke: start.sh took $((SECONDS - t0))s" >&2
set -a
# shellcheck source=/dev/null
. "${DIR}/env"
set +a
k() { "${TESTBED_BIN}/kubectl" "$@"; }

versions_ok() {
  local v
  v=$(k version -o json)
  [[ $(jq -r .clientVersion.gitVersion <<<"${v}") == v1.35.4 &&
    $(jq -r .serverVersion.gitVersion <<<"${v}") == v1.35.4 ]]
}
check "kubectl and server report v1.35.4" versions_ok

namespaces_ok() {
  local ns
  ns=$(k get ns -o jsonpath='{.items[*].metadata.name}')
  for want in default kube-system kube-public kube-node-lease; do
    [[ " ${ns} " == *" ${want} "* ]] || return 1
  done
}
check "kubectl get ns lists the built-in namespaces" namespaces_ok
check "current context is testbed, namespace default" \
  test "$(k config view --minify -o jsonpath='{.contexts[0].name}/{.contexts[0].context.namespace}')" = testbed/default

k create deployment smoke --image=registry.example/smoke:1.0 --replicas=3 >/dev/null
rs_ok() { [[ $(k get rs -l app=smoke -o jsonpath='{.items[0].metadata.ownerReferences[0].kind}') == Deployment ]]; }
check "Deployment creates a ReplicaSet" retry 30 rs_ok
pods_pending() {
  local phases
  phases=$(k get pods -l app=smoke -o jsonpath='{range .items[*]}{.status.phase}{"\n"}{end}')
  [[ $(grep -c '^Pending$' <<<"${phases}") -eq 3 && $(wc -l <<<"${phases}") -eq 3 ]]
}
check "ReplicaSet creates 3 Pending pods" retry 30 pods_pending
unschedulable() {
  [[ $(k get pods -l app=smoke -o jsonpath='{range .items[*]}{.status.conditions[?(@.type=="PodScheduled")].reason}{"\n"}{end}' |
    grep -c '^Unschedulable$') -eq 3 ]]
}
check "kube-scheduler marks them Unschedulable (no nodes)" retry 30 unschedulable
sa_token_mounted() {
  [[ $(k get pods -l app=smoke -o jsonpath='{.items[0].spec.volumes[0].projected.sources[0].serviceAccountToken.path}') == token ]]
}
check "ServiceAccount admission adds the token volume" sa_token_mounted

k create serviceaccount smoke-sa >/dev/null
check "impersonated service account cannot list pods yet" \
  test "$(k auth can-i list pods --as=system:serviceaccount:default:smoke-sa || true)" = no
k create rolebinding smoke-view --clusterrole=view --serviceaccount=default:smoke-sa >/dev/null
check "impersonated service account can list pods after a RoleBinding" \
  test "$(k auth can-i list pods --as=system:serviceaccount:default:smoke-sa || true)" = yes
check "TokenRequest works" test -n "$(k create token smoke-sa)"

k delete deployment smoke --wait=false >/dev/null
gc_done() { [[ -z $(k get rs,pods -l app=smoke -o name) ]]; }
check "garbage collector deletes the ReplicaSet and pods" retry 60 gc_done

k create namespace smoke-ns >/dev/null
check "namespace gets its default ServiceAccount" retry 30 k -n smoke-ns get sa default
k delete namespace smoke-ns --wait=false >/dev/null
ns_gone() { ! k get namespace smoke-ns; }
check "namespace controller finalizes a deleted namespace" retry 60 ns_gone

pids=$(cat "${DIR}"/pids/*.pid)
t0=${SECONDS}
"${HERE}/stop.sh" "${DIR}"
echo "smoke: stop.sh took $((SECONDS - t0))s" >&2
trap - EXIT
left=0
for p in ${pids}; do
  # A zombie (state Z) waiting for init to reap it counts as gone.
  state=$(sed 's/.*) //' "/proc/${p}/stat" 2>/dev/null | cut -d' ' -f1 || true)
  if [[ -n ${state} && ${state} != Z ]]; then left=1; fi
done
check "stop.sh leaves no process behind" test "${left}" -eq 0
check "stop.sh removes DIR" test ! -e "${DIR}"
check "stop.sh is safe to call twice" "${HERE}/stop.sh" "${DIR}"

echo "smoke: ${PASSED} passed, ${FAILED} failed"
[[ ${FAILED} -eq 0 ]]
