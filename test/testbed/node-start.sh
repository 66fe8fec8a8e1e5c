#!/usr/bin/env bash
# Start a real Kubernetes node (containerd + kubelet, runc and the CNI bridge
# plugin from Debian) joined to a control plane that start.sh runs in CP_DIR.
# All its state is in DIR; node-stop.sh DIR undoes everything it changed.
#
#   test/testbed/node-start.sh CP_DIR DIR
#
# Needs root. One real node per machine at a time (fixed bridge names and
# cgroup root); a second start fails while one runs.
#
# What it sets up (node-stop.sh reverses each):
#   - bridge kau-node0 holding the node IP 198.51.100.1/32 (documentation range;
#     the kubelet refuses a loopback node IP and this kernel has no dummy links);
#     the CNI bridge kau-cni0 (pods in 203.0.113.0/24, no gateway, no masquerade,
#     no iptables: pods reach each other only) appears with the first pod;
#   - cgroup /kubectl-autoupdate-node in every hierarchy, the kubelet's cgroupRoot;
#   - the kernel settings that the kubelet sets when it starts (vm.overcommit_memory,
#     kernel.panic, kernel.panic_on_oops, ...): recorded first, restored by stop;
#   - a private mount namespace shared by containerd, its shims, the containers and
#     the kubelet, in which /run, /var/lib and /var/log are DIR/ns/* (containerd's
#     shim sockets, the CNI cache, /var/log/containers, the device-plugin socket
#     are paths they hard-code). All their mounts (the kubelet's root dir, pod
#     volumes, container root filesystems, network namespaces) live and die there.
#
# DIR must be missing or empty, and not inside /run, /var/lib or /var/log. On
# success it holds env (also printed on stdout: TESTBED_NODE_NAME, TESTBED_NODE_DIR,
# TESTBED_NODE_IP, TESTBED_NODE_BIN, TESTBED_NODE_CRICTL_CONFIG), logs/*.log,
# pids/*.pid, pki/, the components' configs and state.
#
# Environment:
#   TESTBED_NODE_NAME            node name (default testbed-node)
#   TESTBED_NODE_BIN             containerd, ctr, crictl, pause image (default: build-node.sh)
#   TESTBED_NODE_START_TIMEOUT   seconds to wait for the node to be Ready (default 120)
#   TESTBED_WATCH_PID            if set, stop the node when this process exits
#   TESTBED_VERBOSITY            kubelet --v (default 1)
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
NAME=${TESTBED_NODE_NAME:-testbed-node}
TIMEOUT=${TESTBED_NODE_START_TIMEOUT:-120}
VERBOSITY=${TESTBED_VERBOSITY:-1}
# shellcheck source=node-lib.sh
. "${HERE}/node-lib.sh"

say() { echo "testbed-node: $*" >&2; }
die() {
  say "error: $*"
  exit 1
}

[[ $# -eq 2 && -n $1 && -n $2 ]] || die "usage: $0 CP_DIR DIR"
[[ $(id -u) -eq 0 ]] || die "a real node needs root"
CP_DIR=$(cd "$1" && pwd) || die "no control plane dir $1"
[[ -f ${CP_DIR}/env && -f ${CP_DIR}/pki/ca.key ]] || die "${CP_DIR} is not a running test bed (start.sh)"
mkdir -p "$2"
DIR=$(cd "$2" && pwd)
[[ -z "$(ls -A "${DIR}")" ]] || die "${DIR} is not empty (node-stop.sh it first, or use a fresh mktemp -d)"
for hidden in /run /var/lib /var/log; do
  [[ ${DIR}/ != "${hidden}"/* ]] || die "DIR may not be inside ${hidden}: the node's mount namespace hides it"
done
[[ ${NAME} =~ ^[a-z0-9]([-a-z0-9]*[a-z0-9])?$ ]] || die "bad node name ${NAME}"
if ip link show "${NODE_BRIDGE}" >/dev/null 2>&1; then
  die "${NODE_BRIDGE} exists: a real node runs already (one per machine), or one was left: $(ip -o link show "${NODE_BRIDGE}" | grep -o 'alias .*' || true)"
fi
for h in "${CGROUP_HIERARCHIES[@]}"; do
  [[ ! -d ${h}${CGROUP_ROOT} ]] || die "cgroup ${h}${CGROUP_ROOT} exists: a real node runs already, or one was left"
done
: >"${DIR}/.testbed-node"
T0=${SECONDS}

STARTED=0
cleanup_on_failure() {
  local rc=$?
  if [[ ${rc} -ne 0 && ${STARTED} -eq 0 ]]; then
    say "start failed; undoing what was done (logs kept in ${DIR}/logs)"
    "${HERE}/node-stop.sh" --keep "${DIR}" || true
  fi
}
trap cleanup_on_failure EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---------------------------------------------------------------- binaries
set -a
# shellcheck source=/dev/null
. "${CP_DIR}/env"
set +a
KUBELET=${TESTBED_BIN}/kubelet
KUBECTL=${TESTBED_BIN}/kubectl
if [[ -n ${TESTBED_NODE_BIN:-} ]]; then
  NODE_BIN=$(cd "${TESTBED_NODE_BIN}" && pwd)
else
  NODE_BIN=$("${HERE}/build-node.sh")
fi
for f in "${KUBELET}" "${KUBECTL}" "${NODE_BIN}"/{containerd,containerd-shim-runc-v2,ctr,crictl,pause.oci.tar,pause-image}; do
  [[ -s ${f} ]] || die "missing ${f} (run test/testbed/build.sh)"
done
RUNC=$(command -v runc || true)
[[ -n ${RUNC} ]] || die "runc not found (apt-get install runc)"
for p in bridge host-local loopback; do
  [[ -x ${CNI_BIN}/${p} ]] || die "missing ${CNI_BIN}/${p} (apt-get install containernetworking-plugins)"
done
for t in ip unshare nsenter openssl node sysctl; do
  command -v "${t}" >/dev/null || die "${t} not found"
done
PAUSE_IMAGE=$(<"${NODE_BIN}/pause-image")

mkdir -p "${DIR}"/{logs,pids,pki,host,containerd/certs.d,cni,ns/run,ns/var-lib,ns/var-log,kubelet,pod-logs}
chmod 700 "${DIR}/pki"
echo "${CP_DIR}" >"${DIR}/control-plane"
echo "${NODE_BIN}" >"${DIR}/node-bin"
echo "${NAME}" >"${DIR}/name"

# --------------------------------------------------- host state, recorded first
# node-stop.sh puts these back, and checks that nothing else changed.
for k in "${SYSCTLS[@]}"; do echo "${k}=$(sysctl -n "${k}")"; done >"${DIR}/host/sysctl"
iptables_chains >"${DIR}/host/iptables"
for p in "${HOST_PATHS[@]}"; do [[ -e ${p} || -L ${p} ]] && echo "${p}"; done >"${DIR}/host/paths" || true

# ------------------------------------------------------------------ network
say "[network] ${NODE_BRIDGE} ${NODE_IP}"
ip link add "${NODE_BRIDGE}" type bridge
ip link set "${NODE_BRIDGE}" alias "testbed-node ${DIR}"
ip addr add "${NODE_IP}/32" dev "${NODE_BRIDGE}"
ip link set "${NODE_BRIDGE}" up

# ------------------------------------------------------------------ cgroups
for h in "${CGROUP_HIERARCHIES[@]}"; do
  mkdir "${h}${CGROUP_ROOT}"
  if [[ -f ${h}/cpuset.cpus ]]; then
    cat "${h}/cpuset.cpus" >"${h}${CGROUP_ROOT}/cpuset.cpus"
    cat "${h}/cpuset.mems" >"${h}${CGROUP_ROOT}/cpuset.mems"
  fi
done

# --------------------------------------------------------------------- PKI
say "[pki] node client certificate system:node:${NAME}"
pki_log=${DIR}/logs/pki.log
ossl() { openssl "$@" >>"${pki_log}" 2>&1 || die "openssl $1 failed; see ${pki_log}"; }
ossl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "${DIR}/pki/kubelet-client.key"
ossl req -new -key "${DIR}/pki/kubelet-client.key" -subj "/O=system:nodes/CN=system:node:${NAME}" \
  -out "${DIR}/pki/kubelet-client.csr"
printf '%s\n' "basicConstraints=critical,CA:FALSE" "keyUsage=critical,digitalSignature,keyEncipherment" \
  "extendedKeyUsage=clientAuth" >"${DIR}/pki/kubelet-client.ext"
ossl x509 -req -in "${DIR}/pki/kubelet-client.csr" -CA "${CP_DIR}/pki/ca.crt" -CAkey "${CP_DIR}/pki/ca.key" \
  -CAcreateserial -CAserial "${DIR}/pki/ca.srl" -sha256 -days 3650 -extfile "${DIR}/pki/kubelet-client.ext" \
  -out "${DIR}/pki/kubelet-client.crt"
(
  umask 077
  cat >"${DIR}/kubelet.kubeconfig" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: testbed
  cluster:
    server: ${TESTBED_APISERVER}
    certificate-authority: ${CP_DIR}/pki/ca.crt
users:
- name: node
  user:
    client-certificate: ${DIR}/pki/kubelet-client.crt
    client-key: ${DIR}/pki/kubelet-client.key
contexts:
- name: testbed
  context: {cluster: testbed, user: node}
current-context: testbed
EOF
)

# ------------------------------------------------------------------- ports
read -r KUBELET_PORT HEALTHZ_PORT < <(pick_ports "${NODE_IP}" 127.0.0.1)
[[ -n ${HEALTHZ_PORT:-} ]] || die "could not pick free ports"

# ------------------------------------------------------------------ configs
SOCK=${DIR}/containerd.sock
cat >"${DIR}/containerd/config.toml" <<EOF
version = 3
root = "${DIR}/containerd/root"
state = "${DIR}/containerd/state"
# Plugins that would write outside DIR or reach out, and that a test node doesn't need.
disabled_plugins = [
  "io.containerd.internal.v1.opt",
  "io.containerd.nri.v1.nri",
  "io.containerd.tracing.processor.v1.otlp",
  "io.containerd.internal.v1.tracing",
]

[grpc]
  address = "${SOCK}"

[ttrpc]
  address = "${SOCK}.ttrpc"

[debug]
  level = "info"

[plugins.'io.containerd.cri.v1.images']
  snapshotter = "overlayfs"
  [plugins.'io.containerd.cri.v1.images'.pinned_images]
    sandbox = "${PAUSE_IMAGE}"
  [plugins.'io.containerd.cri.v1.images'.registry]
    # Empty: with a config path, containerd talks plain http (after a TLS try) to
    # any loopback registry with a port, so any test registry works unconfigured.
    config_path = "${DIR}/containerd/certs.d"

[plugins.'io.containerd.cri.v1.runtime']
  # This machine lacks CAP_SYS_RESOURCE: runc may not lower a process's oom_score_adj.
  restrict_oom_score_adj = true
  netns_mounts_under_state_dir = true
  enable_cdi = false
  [plugins.'io.containerd.cri.v1.runtime'.cni]
    bin_dirs = ["${CNI_BIN}"]
    conf_dir = "${DIR}/cni"
    max_conf_num = 1
  [plugins.'io.containerd.cri.v1.runtime'.containerd]
    default_runtime_name = "runc"
    [plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      # Our shim, not one that PATH may offer (Debian's containerd package, a dependency of docker.io).
      runtime_path = "${NODE_BIN}/containerd-shim-runc-v2"
      [plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc.options]
        BinaryName = "${RUNC}"
        Root = "${DIR}/containerd/runc"
        SystemdCgroup = false

[plugins.'io.containerd.grpc.v1.cri']
  disable_tcp_service = true
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
EOF

cat >"${DIR}/cni/10-testbed.conflist" <<EOF
{
  "cniVersion": "1.0.0",
  "name": "testbed",
  "plugins": [
    {
      "type": "bridge",
      "bridge": "${CNI_BRIDGE}",
      "isGateway": false,
      "ipMasq": false,
      "ipam": {
        "type": "host-local",
        "ranges": [[{ "subnet": "${POD_SUBNET}" }]],
        "dataDir": "${DIR}/cni/ipam"
      }
    },
    { "type": "loopback" }
  ]
}
EOF

cat >"${DIR}/kubelet.yaml" <<EOF
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
# The API server reaches the kubelet (logs, exec) on the node IP, which only this machine has.
address: ${NODE_IP}
port: ${KUBELET_PORT}
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
healthzPort: ${HEALTHZ_PORT}
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: true}
  x509: {clientCAFile: ${CP_DIR}/pki/ca.crt}
authorization: {mode: Webhook}
containerRuntimeEndpoint: unix://${SOCK}
cgroupDriver: cgroupfs
cgroupRoot: ${CGROUP_ROOT}
# This machine mounts cgroup v1 (hybrid), may swap, and lacks CAP_SYS_RESOURCE.
failCgroupV1: false
failSwapOn: false
oomScoreAdj: 0
# No KUBE-IPTABLES-HINT, KUBE-KUBELET-CANARY, KUBE-FIREWALL chains.
makeIPTablesUtilChains: false
podLogsDir: ${DIR}/pod-logs
# No DNS servers in pods: nothing in a test pod resolves names, and none may leave the machine.
resolvConf: ""
# A small, busy test machine: evict only when nearly out, and never collect images
# (a test's cached old image is the point of some tests).
evictionHard:
  memory.available: 100Mi
  nodefs.available: 1%
  nodefs.inodesFree: 1%
  imagefs.available: 1%
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
serializeImagePulls: false
shutdownGracePeriod: 0s
EOF

cat >"${DIR}/crictl.yaml" <<EOF
runtime-endpoint: unix://${SOCK}
image-endpoint: unix://${SOCK}
timeout: 30
EOF

# ----------------------------------------------------- mount namespace holder
say "[namespace] private mount namespace"
# A process that only holds the namespace; the others join it with nsenter.
# shellcheck disable=SC2016 # expanded by the inner bash
setsid unshare --mount --propagation private -- bash -c '
  set -e
  mount --bind "$1/ns/run" /run
  mount --bind "$1/ns/var-lib" /var/lib
  mount --bind "$1/ns/var-log" /var/log
  : >"$1/ns/ready"
  trap "exit 0" TERM
  while :; do sleep 3600 & wait $!; done' testbed-node-ns "${DIR}" \
  </dev/null >>"${DIR}/logs/namespace.log" 2>&1 &
echo $! >"${DIR}/pids/namespace.pid"
NS_PID=$!
for _ in $(seq 1 100); do
  [[ -f ${DIR}/ns/ready ]] && break
  kill -0 "${NS_PID}" 2>/dev/null || die "the namespace holder exited: $(cat "${DIR}/logs/namespace.log")"
  sleep 0.05
done
[[ -f ${DIR}/ns/ready ]] || die "the namespace holder did not get ready"
readlink "/proc/${NS_PID}/ns/mnt" >"${DIR}/ns/id"

# launch NAME ARGS...: start ARGS in its own session inside the namespace.
launch() {
  local name=$1
  shift
  echo "+ $*" >>"${DIR}/logs/${name}.log"
  setsid nsenter --mount="/proc/${NS_PID}/ns/mnt" -- "$@" </dev/null >>"${DIR}/logs/${name}.log" 2>&1 &
  echo $! >"${DIR}/pids/${name}.pid"
}
alive() { kill -0 "$(<"${DIR}/pids/$1.pid")" 2>/dev/null; }
fail_with_log() {
  say "error: $2"
  say "---- last lines of ${DIR}/logs/$1.log ----"
  tail -n 30 "${DIR}/logs/$1.log" >&2 || true
  exit 1
}
DEADLINE=$((SECONDS + TIMEOUT))
# wait_for WHAT COMPONENT CMD...
wait_for() {
  local what=$1 comp=$2
  shift 2
  say "[wait] ${what}"
  until "$@" >/dev/null 2>&1; do
    alive "${comp}" || fail_with_log "${comp}" "${comp} exited while waiting for ${what}"
    ((SECONDS < DEADLINE)) || fail_with_log "${comp}" "timed out after ${TIMEOUT}s waiting for ${what}"
    sleep 0.2
  done
}

# --------------------------------------------------------------- containerd
say "[containerd] starting"
# TMPDIR inside the node dir: containerd writes stack dumps (containerd.PID.stacks.log) there.
launch containerd env PATH="${NODE_BIN}:${PATH}" TMPDIR="${DIR}" "${NODE_BIN}/containerd" --config "${DIR}/containerd/config.toml"
CTR=("${NODE_BIN}/ctr" --address "${SOCK}" --namespace k8s.io)
wait_for "containerd" containerd "${CTR[@]}" version
say "[containerd] importing ${PAUSE_IMAGE}"
"${CTR[@]}" images import --platform linux/amd64 "${NODE_BIN}/pause.oci.tar" >>"${DIR}/logs/containerd.log" 2>&1 ||
  fail_with_log containerd "could not import the pause image"
wait_for "CRI ready" containerd "${NODE_BIN}/crictl" --config "${DIR}/crictl.yaml" inspecti "${PAUSE_IMAGE}"

# ------------------------------------------------------------------ kubelet
say "[kubelet] starting ${NAME} on ${NODE_IP}:${KUBELET_PORT}"
launch kubelet "${KUBELET}" \
  --v="${VERBOSITY}" \
  --config="${DIR}/kubelet.yaml" \
  --kubeconfig="${DIR}/kubelet.kubeconfig" \
  --root-dir="${DIR}/kubelet" \
  --cert-dir="${DIR}/pki" \
  --hostname-override="${NAME}" \
  --node-ip="${NODE_IP}"
# Its discovery cache in the node's directory, not the home of whoever runs it.
K=("${KUBECTL}" --kubeconfig "${KUBECONFIG}" --cache-dir "${DIR}/kube-cache")
node_ready() {
  [[ $("${K[@]}" get node "${NAME}" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}') == True ]] &&
    # The node lifecycle controller lifts the not-ready taint of a new node that reports Ready.
    [[ -z $("${K[@]}" get node "${NAME}" -o jsonpath='{.spec.taints[*].key}') ]]
}
wait_for "node ${NAME} Ready and untainted" kubelet node_ready

{
  printf 'TESTBED_NODE_NAME=%q\n' "${NAME}"
  printf 'TESTBED_NODE_DIR=%q\n' "${DIR}"
  printf 'TESTBED_NODE_IP=%q\n' "${NODE_IP}"
  printf 'TESTBED_NODE_BIN=%q\n' "${NODE_BIN}"
  printf 'TESTBED_NODE_CRICTL_CONFIG=%q\n' "${DIR}/crictl.yaml"
} >"${DIR}/env"

if [[ -n ${TESTBED_WATCH_PID:-} ]]; then
  # Watchdog: tear the node down when the watched process goes away.
  # shellcheck disable=SC2016 # expanded by the inner bash
  # It hands node-stop.sh the kernel settings recorded at start, in case DIR is gone by then.
  setsid bash -c 'while kill -0 "$1" 2>/dev/null && [[ -d $2/pids ]]; do sleep 1; done
    TESTBED_NODE_HOST_SYSCTL=$4 exec "$3" "$2"' \
    testbed-node-watchdog "${TESTBED_WATCH_PID}" "${DIR}" "${HERE}/node-stop.sh" "$(<"${DIR}/host/sysctl")" \
    </dev/null >>"${DIR}/logs/watchdog.log" 2>&1 &
  echo $! >"${DIR}/pids/watchdog.pid"
fi

STARTED=1
say "node ${NAME} ready in $((SECONDS - T0))s"
cat "${DIR}/env"
