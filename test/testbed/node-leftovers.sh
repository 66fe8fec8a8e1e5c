#!/usr/bin/env bash
# Proof that no real node (node-start.sh) left anything on this machine.
#
#   test/testbed/node-leftovers.sh record FILE   # before: kernel settings, iptables chains, default paths
#   test/testbed/node-leftovers.sh check FILE    # after: prints what is left, exits 1 if anything is
#
# check looks for: kubelet, containerd and shim processes of the test bed's builds;
# processes, cgroups in any hierarchy under the node cgroup root; the node's
# bridges and their veths; mounts of a node directory, a kubelet or containerd;
# iptables chains and kernel settings that differ from FILE; default kubelet,
# containerd and CNI paths that appeared since FILE.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=node-lib.sh
. "${HERE}/node-lib.sh"
CACHE=${KUBECTL_AUTOUPDATE_CACHE:-${HOME}/.cache/kubectl-autoupdate}/testbed/

cmd=${1:-}
file=${2:-}
[[ ${cmd} == record || ${cmd} == check ]] && [[ -n ${file} ]] || {
  echo "usage: $0 record|check FILE" >&2
  exit 2
}

snapshot() {
  local k
  for k in "${SYSCTLS[@]}"; do
    if v=$(sysctl -n "${k}" 2>/dev/null); then echo "sysctl ${k}=${v}"; fi
  done
  iptables_chains | sed 's/^/chain /'
  for k in "${HOST_PATHS[@]}"; do
    if [[ -e ${k} || -L ${k} ]]; then echo "path ${k}"; fi
  done
}

if [[ ${cmd} == record ]]; then
  snapshot >"${file}"
  exit 0
fi

left=()
# Processes: the test bed's kubelet, containerd and shims (by executable), and
# anything in the node's cgroups.
for p in /proc/[0-9]*; do
  exe=$(readlink "${p}/exe" 2>/dev/null || true)
  case "${exe##*/}" in
    kubelet | containerd | containerd-shim-runc-v2 | ctr | crictl)
      if [[ ${exe} == "${CACHE}"* ]]; then
        left+=("process ${p#/proc/} ${exe}")
      fi
      ;;
  esac
done
while read -r d; do
  [[ -n ${d} ]] || continue
  left+=("cgroup ${d}")
  for pid in $(cat "${d}/cgroup.procs" 2>/dev/null); do left+=("process ${pid} in ${d}"); done
done < <(node_cgroups)
for link in "${NODE_BRIDGE}" "${CNI_BRIDGE}"; do
  if ip link show "${link}" >/dev/null 2>&1; then left+=("interface ${link}"); fi
  for veth in $(ip -o link show master "${link}" 2>/dev/null | awk -F': ' '{ print $2 }'); do
    left+=("interface ${veth}")
  done
done
while read -r m; do
  [[ -n ${m} ]] && left+=("mount ${m}")
done < <(awk '$5 ~ /kau-real-node-|\/kubelet\/|\/var\/lib\/cni|\/k8s\.io\// { print $5 }' /proc/self/mountinfo)
while read -r change; do
  [[ -n ${change} ]] && left+=("changed: ${change}")
done < <(comm -13 <(sort "${file}") <(snapshot | sort))

if [[ ${#left[@]} -gt 0 ]]; then
  printf '  %s\n' "${left[@]}"
  exit 1
fi
