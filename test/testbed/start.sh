#!/usr/bin/env bash
# Start a real Kubernetes control plane (etcd, kube-apiserver,
# kube-controller-manager, kube-scheduler) on loopback, all state in DIR.
#
#   test/testbed/start.sh DIR
#
# DIR must be missing or empty (e.g. from mktemp -d). On success it holds:
#   DIR/admin.kubeconfig   admin (system:masters) kubeconfig, context "testbed"
#   DIR/env                KEY=value lines: KUBECONFIG, TESTBED_BIN,
#                          TESTBED_APISERVER, TESTBED_DIR, TESTBED_ETCD, TESTBED_CA
#   DIR/logs/*.log         component logs
#   DIR/pids/*.pid         component pids (used by stop.sh)
#   DIR/pki/               CA, serving and client certs, service-account keys
# The env lines are also printed on stdout; progress goes to stderr.
# Always call test/testbed/stop.sh DIR afterwards, also after a failed start.
#
# Environment:
#   TESTBED_BIN              use binaries from this dir instead of build.sh's cache
#   TESTBED_START_TIMEOUT    seconds to wait for readiness, per attempt (default 90)
#   TESTBED_KCM_CONTROLLERS  kube-controller-manager --controllers (default: the
#                            list in KCM_CONTROLLERS below; "*" for all defaults)
#   TESTBED_WATCH_PID        if set, stop the testbed when this process exits
#   TESTBED_VERBOSITY        component log level --v (default 1)
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TIMEOUT=${TESTBED_START_TIMEOUT:-90}
VERBOSITY=${TESTBED_VERBOSITY:-1}
COMPONENTS=(etcd kube-apiserver kube-controller-manager kube-scheduler)
# The controllers the tests rely on, by their v1.35 names (kube-controller-manager
# --help lists them), instead of all ~45 defaults: fewer watches and less CPU on
# small machines, and a new default controller can't change the tests' world.
KCM_CONTROLLERS=(
  # workloads and their pods
  deployment-controller replicaset-controller replicationcontroller-controller
  statefulset-controller daemonset-controller job-controller cronjob-controller
  # ownerRef cascades; pods bound to a Node that no longer exists
  garbage-collector-controller pod-garbage-collector-controller
  # PodDisruptionBudget status (disruptionsAllowed)
  disruption-controller
  # namespace deletion; each namespace's default ServiceAccount and kube-root-ca.crt
  namespace-controller serviceaccount-controller serviceaccount-token-controller
  root-ca-certificate-publisher-controller
  # rules of the aggregated ClusterRoles view/edit/admin
  clusterrole-aggregation-controller
  # lifts the not-ready taint of a new Node once it reports Ready
  node-lifecycle-controller
)
CONTROLLERS=${TESTBED_KCM_CONTROLLERS:-$(
  IFS=,
  echo "${KCM_CONTROLLERS[*]}"
)}

say() { echo "testbed: $*" >&2; }
die() {
  say "error: $*"
  exit 1
}

[[ $# -eq 1 && -n $1 ]] || die "usage: $0 DIR"
mkdir -p "$1"
DIR=$(cd "$1" && pwd)
if [[ -n "$(ls -A "${DIR}")" ]]; then
  die "${DIR} is not empty (stop.sh it first, or use a fresh mktemp -d)"
fi
: >"${DIR}/.testbed"
T0=${SECONDS}

# If anything below fails, kill what was started but keep DIR (logs) for
# inspection; the caller still runs stop.sh DIR to remove it.
STARTED=0
cleanup_on_failure() {
  local rc=$?
  if [[ ${rc} -ne 0 && ${STARTED} -eq 0 ]]; then
    say "start failed; stopping what was started (logs kept in ${DIR}/logs)"
    "${HERE}/stop.sh" --keep "${DIR}" || true
  fi
}
trap cleanup_on_failure EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---------------------------------------------------------------- binaries
if [[ -n ${TESTBED_BIN:-} ]]; then
  BIN=$(cd "${TESTBED_BIN}" && pwd)
else
  BIN=$("${HERE}/build.sh")
fi
for b in etcd kube-apiserver kube-controller-manager kube-scheduler kubectl; do
  [[ -x ${BIN}/${b} ]] || die "missing ${BIN}/${b} (run test/testbed/build.sh)"
done
command -v openssl >/dev/null || die "openssl not found"
command -v curl >/dev/null || die "curl not found"

mkdir -p "${DIR}/logs" "${DIR}/pids" "${DIR}/pki" "${DIR}/etcd"
chmod 700 "${DIR}/pki" "${DIR}/etcd"
PKI=${DIR}/pki

# --------------------------------------------------------------------- PKI
say "[pki] generating certificates"
pki_log=${DIR}/logs/pki.log
ossl() { openssl "$@" >>"${pki_log}" 2>&1 || die "openssl $1 failed; see ${pki_log}"; }
genkey() { ossl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1"; }

genkey "${PKI}/ca.key"
ossl req -x509 -new -key "${PKI}/ca.key" -sha256 -days 3650 -subj "/CN=testbed-ca" \
  -addext "basicConstraints=critical,CA:TRUE" \
  -addext "keyUsage=critical,digitalSignature,keyCertSign,cRLSign" \
  -out "${PKI}/ca.crt"

# Separate CA for the request-header (front-proxy) client; without it
# kube-controller-manager and kube-scheduler log errors about the missing
# requestheader CA forever.
genkey "${PKI}/front-proxy-ca.key"
ossl req -x509 -new -key "${PKI}/front-proxy-ca.key" -sha256 -days 3650 -subj "/CN=testbed-front-proxy-ca" \
  -addext "basicConstraints=critical,CA:TRUE" \
  -addext "keyUsage=critical,digitalSignature,keyCertSign,cRLSign" \
  -out "${PKI}/front-proxy-ca.crt"

# sign NAME SUBJECT EKU [SAN] [CA]: NAME.key + NAME.crt signed by CA (default ca).
sign() {
  local name=$1 subj=$2 eku=$3 san=${4:-} ca=${5:-ca}
  genkey "${PKI}/${name}.key"
  ossl req -new -key "${PKI}/${name}.key" -subj "${subj}" -out "${PKI}/${name}.csr"
  {
    echo "basicConstraints=critical,CA:FALSE"
    echo "keyUsage=critical,digitalSignature,keyEncipherment"
    echo "extendedKeyUsage=${eku}"
    if [[ -n ${san} ]]; then echo "subjectAltName=${san}"; fi
  } >"${PKI}/${name}.ext"
  ossl x509 -req -in "${PKI}/${name}.csr" -CA "${PKI}/${ca}.crt" -CAkey "${PKI}/${ca}.key" \
    -CAcreateserial -sha256 -days 3650 -extfile "${PKI}/${name}.ext" -out "${PKI}/${name}.crt"
  rm -f "${PKI}/${name}.csr" "${PKI}/${name}.ext"
}
sign apiserver "/CN=kube-apiserver" serverAuth \
  "IP:127.0.0.1,IP:10.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local"
sign admin "/O=system:masters/CN=testbed-admin" clientAuth
sign kube-controller-manager "/CN=system:kube-controller-manager" clientAuth
sign kube-scheduler "/CN=system:kube-scheduler" clientAuth
sign front-proxy-client "/CN=front-proxy-client" clientAuth "" front-proxy-ca
# The API server's identity towards kubelets (logs, exec of pods on a real node).
sign apiserver-kubelet-client "/O=system:masters/CN=kube-apiserver-kubelet-client" clientAuth
# Service-account token signing key pair.
ossl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "${PKI}/sa.key"
ossl pkey -in "${PKI}/sa.key" -pubout -out "${PKI}/sa.pub"

# ------------------------------------------------------------------- ports
# Five distinct free loopback ports, picked by the OS.
pick_ports() {
  if command -v python3 >/dev/null 2>&1; then
    python3 -c '
import socket
ss = [socket.socket() for _ in range(5)]
for s in ss:
    s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in ss))'
  elif command -v node >/dev/null 2>&1; then
    node -e '
const net = require("net"); const srv = [];
for (let i = 0; i < 5; i++) {
  const s = net.createServer();
  s.listen(0, "127.0.0.1", () => {
    srv.push(s);
    if (srv.length === 5) { console.log(srv.map((x) => x.address().port).join(" ")); srv.forEach((x) => x.close()); }
  });
}'
  else
    die "need python3 or node to pick free ports"
  fi
}

# ------------------------------------------------------------- kubeconfigs
b64() { base64 -w0 <"$1"; }
# kubeconfig FILE CERTNAME: kubeconfig using PKI/CERTNAME.{crt,key}.
kubeconfig() {
  local file=$1 cert=$2
  (
    umask 077
    cat >"${file}" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: testbed
  cluster:
    server: ${APISERVER}
    certificate-authority-data: $(b64 "${PKI}/ca.crt")
users:
- name: ${cert}
  user:
    client-certificate-data: $(b64 "${PKI}/${cert}.crt")
    client-key-data: $(b64 "${PKI}/${cert}.key")
contexts:
- name: testbed
  context:
    cluster: testbed
    user: ${cert}
    namespace: default
current-context: testbed
EOF
  ) || die "could not write ${file}"
}

# launch NAME ARGS...: start BIN/NAME in its own session, detached from our
# stdio, and record its pid.
launch() {
  local name=$1
  shift
  echo "+ ${BIN}/${name} $*" >>"${DIR}/logs/${name}.log"
  setsid "${BIN}/${name}" "$@" </dev/null >>"${DIR}/logs/${name}.log" 2>&1 &
  echo $! >"${DIR}/pids/${name}.pid"
}

# A component that exited early; prints its name, or nothing.
dead_component() {
  local c pid
  for c in "${COMPONENTS[@]}"; do
    [[ -f ${DIR}/pids/${c}.pid ]] || continue
    pid=$(<"${DIR}/pids/${c}.pid")
    if ! kill -0 "${pid}" 2>/dev/null; then
      echo "${c}"
      return
    fi
  done
}

fail_with_log() {
  local c=$1 why=$2
  say "error: ${why}"
  if [[ -s ${DIR}/logs/${c}.log ]]; then
    say "---- last lines of ${DIR}/logs/${c}.log ----"
    tail -n 30 "${DIR}/logs/${c}.log" >&2
  fi
  exit 1
}

CURL=(curl -sS --max-time 2 --cacert "${PKI}/ca.crt" --cert "${PKI}/admin.crt" --key "${PKI}/admin.key")
# Set by each start_all attempt: a retry with new ports gets the full TIMEOUT again.
DEADLINE=0

# wait_for WHAT COMPONENT CMD...: poll CMD until it succeeds, a component
# dies, or the deadline passes.
wait_for() {
  local what=$1 comp=$2
  shift 2
  say "[wait] ${what}"
  while ! "$@" >/dev/null 2>&1; do
    local dead
    dead=$(dead_component)
    if [[ -n ${dead} ]]; then
      if grep -q 'address already in use' "${DIR}/logs/${dead}.log" 2>/dev/null; then
        return 2
      fi
      fail_with_log "${dead}" "${dead} exited while waiting for ${what}"
    fi
    if ((SECONDS >= DEADLINE)); then
      fail_with_log "${comp}" "timed out after ${TIMEOUT}s waiting for ${what}"
    fi
    sleep 0.25
  done
}

etcd_healthy() { curl -sS --max-time 2 "${ETCD}/health" | grep -q '"health":"true"'; }
url_ok() { [[ "$("${CURL[@]}" "$1")" == ok ]]; }
insecure_ok() { [[ "$(curl -sSk --max-time 2 "$1")" == ok ]]; }
default_sa() { "${CURL[@]}" -f "${APISERVER}/api/v1/namespaces/default/serviceaccounts/default"; }

start_all() {
  DEADLINE=$((SECONDS + TIMEOUT))
  read -r ETCD_PORT ETCD_PEER_PORT API_PORT KCM_PORT SCHED_PORT < <(pick_ports)
  [[ -n ${SCHED_PORT:-} ]] || die "could not pick free ports"
  ETCD=http://127.0.0.1:${ETCD_PORT}
  APISERVER=https://127.0.0.1:${API_PORT}
  kubeconfig "${DIR}/admin.kubeconfig" admin
  kubeconfig "${DIR}/kube-controller-manager.kubeconfig" kube-controller-manager
  kubeconfig "${DIR}/kube-scheduler.kubeconfig" kube-scheduler

  say "[etcd] starting on ${ETCD}"
  launch etcd \
    --name=testbed \
    --data-dir="${DIR}/etcd" \
    --listen-client-urls="${ETCD}" \
    --advertise-client-urls="${ETCD}" \
    --listen-peer-urls="http://127.0.0.1:${ETCD_PEER_PORT}" \
    --initial-advertise-peer-urls="http://127.0.0.1:${ETCD_PEER_PORT}" \
    --initial-cluster="testbed=http://127.0.0.1:${ETCD_PEER_PORT}" \
    --unsafe-no-fsync=true \
    --log-level=warn
  wait_for "etcd healthy" etcd etcd_healthy || return

  say "[kube-apiserver] starting on ${APISERVER}"
  launch kube-apiserver \
    --v="${VERBOSITY}" \
    --etcd-servers="${ETCD}" \
    --bind-address=127.0.0.1 \
    --secure-port="${API_PORT}" \
    --advertise-address=127.0.0.1 \
    --tls-cert-file="${PKI}/apiserver.crt" \
    --tls-private-key-file="${PKI}/apiserver.key" \
    --client-ca-file="${PKI}/ca.crt" \
    --authorization-mode=Node,RBAC \
    --enable-admission-plugins=NodeRestriction \
    --allow-privileged=true \
    --service-cluster-ip-range=10.0.0.0/24 \
    --service-account-issuer=https://kubernetes.default.svc \
    --service-account-key-file="${PKI}/sa.pub" \
    --service-account-signing-key-file="${PKI}/sa.key" \
    --requestheader-client-ca-file="${PKI}/front-proxy-ca.crt" \
    --requestheader-allowed-names=front-proxy-client \
    --requestheader-username-headers=X-Remote-User \
    --requestheader-group-headers=X-Remote-Group \
    --requestheader-extra-headers-prefix=X-Remote-Extra- \
    --proxy-client-cert-file="${PKI}/front-proxy-client.crt" \
    --proxy-client-key-file="${PKI}/front-proxy-client.key" \
    --endpoint-reconciler-type=none \
    --kubelet-client-certificate="${PKI}/apiserver-kubelet-client.crt" \
    --kubelet-client-key="${PKI}/apiserver-kubelet-client.key" \
    --kubelet-preferred-address-types=InternalIP \
    --profiling=false
  wait_for "kube-apiserver /readyz" kube-apiserver url_ok "${APISERVER}/readyz" || return

  say "[kube-controller-manager] starting"
  launch kube-controller-manager \
    --v="${VERBOSITY}" \
    --kubeconfig="${DIR}/kube-controller-manager.kubeconfig" \
    --authentication-kubeconfig="${DIR}/kube-controller-manager.kubeconfig" \
    --authorization-kubeconfig="${DIR}/kube-controller-manager.kubeconfig" \
    --bind-address=127.0.0.1 \
    --secure-port="${KCM_PORT}" \
    --leader-elect=false \
    --controllers="${CONTROLLERS}" \
    --root-ca-file="${PKI}/ca.crt" \
    --service-account-private-key-file="${PKI}/sa.key" \
    --use-service-account-credentials=true \
    --cluster-signing-cert-file="${PKI}/ca.crt" \
    --cluster-signing-key-file="${PKI}/ca.key" \
    --profiling=false

  say "[kube-scheduler] starting"
  launch kube-scheduler \
    --v="${VERBOSITY}" \
    --kubeconfig="${DIR}/kube-scheduler.kubeconfig" \
    --authentication-kubeconfig="${DIR}/kube-scheduler.kubeconfig" \
    --authorization-kubeconfig="${DIR}/kube-scheduler.kubeconfig" \
    --bind-address=127.0.0.1 \
    --secure-port="${SCHED_PORT}" \
    --leader-elect=false \
    --profiling=false

  wait_for "kube-controller-manager /healthz" kube-controller-manager \
    insecure_ok "https://127.0.0.1:${KCM_PORT}/healthz" || return
  wait_for "default/default ServiceAccount (kube-controller-manager working)" \
    kube-controller-manager default_sa || return
  wait_for "kube-scheduler /healthz" kube-scheduler \
    insecure_ok "https://127.0.0.1:${SCHED_PORT}/healthz" || return
}

attempt=1
while :; do
  rc=0
  start_all || rc=$?
  [[ ${rc} -eq 0 ]] && break
  # rc 2: a port was taken between picking and binding; retry with new ports.
  if [[ ${rc} -ne 2 || ${attempt} -ge 3 ]]; then
    die "start failed (rc=${rc})"
  fi
  say "a port was taken meanwhile; retrying with new ports (attempt $((attempt + 1)))"
  "${HERE}/stop.sh" --keep "${DIR}" || true
  rm -rf "${DIR}/etcd" "${DIR}/pids"
  mkdir -p "${DIR}/etcd" "${DIR}/pids"
  chmod 700 "${DIR}/etcd"
  for c in "${COMPONENTS[@]}"; do
    if [[ -f ${DIR}/logs/${c}.log ]]; then
      mv "${DIR}/logs/${c}.log" "${DIR}/logs/${c}.attempt${attempt}.log"
    fi
  done
  attempt=$((attempt + 1))
done

{
  printf 'KUBECONFIG=%q\n' "${DIR}/admin.kubeconfig"
  printf 'TESTBED_BIN=%q\n' "${BIN}"
  printf 'TESTBED_APISERVER=%q\n' "${APISERVER}"
  printf 'TESTBED_DIR=%q\n' "${DIR}"
  printf 'TESTBED_ETCD=%q\n' "${ETCD}"
  printf 'TESTBED_CA=%q\n' "${PKI}/ca.crt"
} >"${DIR}/env"

if [[ -n ${TESTBED_WATCH_PID:-} ]]; then
  # Watchdog: tear everything down when the watched process goes away.
  # It execs stop.sh, which recognises its own pid and skips it.
  # shellcheck disable=SC2016 # expanded by the inner bash
  setsid bash -c 'while kill -0 "$1" 2>/dev/null && [[ -d $2/pids ]]; do sleep 1; done; exec "$3" "$2"' \
    testbed-watchdog "${TESTBED_WATCH_PID}" "${DIR}" "${HERE}/stop.sh" \
    </dev/null >>"${DIR}/logs/watchdog.log" 2>&1 &
  echo $! >"${DIR}/pids/watchdog.pid"
fi

STARTED=1
say "ready in $((SECONDS - T0))s: ${APISERVER} (KUBECONFIG=${DIR}/admin.kubeconfig)"
cat "${DIR}/env"
