#!/usr/bin/env bash
# Stop a real node started by node-start.sh CP_DIR DIR, undo every change it made
# to the host, delete its Node object (if the control plane still answers) and
# remove DIR.
#
#   test/testbed/node-stop.sh DIR          # stop, clean up, remove DIR
#   test/testbed/node-stop.sh --keep DIR   # stop, clean up, keep DIR (logs)
#
# In order: the watchdog and the kubelet; every pod sandbox through the CRI (so
# the CNI plugins remove the pods' network); containerd; whatever still runs in
# the node's mount namespace or cgroups or names DIR (shims, containers): SIGTERM,
# then SIGKILL after TESTBED_STOP_GRACE seconds (default 5); then the namespace
# holder, which takes the namespace's mounts with it. Then the cgroups, the
# bridges, the kernel settings recorded at start, iptables chains that appeared.
# Safe to call twice and after a failed start. Exits 1, naming what is left, if
# anything of the node survives.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=node-lib.sh
. "${HERE}/node-lib.sh"

KEEP=0
if [[ ${1:-} == --keep ]]; then
  KEEP=1
  shift
fi
if [[ $# -ne 1 || -z $1 ]]; then
  echo "usage: $0 [--keep] DIR" >&2
  exit 2
fi
# The watchdog passes the kernel settings recorded at start: if DIR vanished under
# it (a test runner's temporary directory removed after a crash), the machine is
# still put back.
if [[ ! -d $1 ]]; then
  [[ -n ${TESTBED_NODE_HOST_SYSCTL:-} && $1 == /* ]] || exit 0
  DIR=$1
else
  DIR=$(cd "$1" && pwd)
  if [[ ! -f ${DIR}/.testbed-node ]]; then
    echo "testbed-node: ${DIR} has no .testbed-node marker; not touching it" >&2
    exit 1
  fi
fi
GRACE=${TESTBED_STOP_GRACE:-5}
T0=${SECONDS}
say() { echo "testbed-node: $*" >&2; }
problems=()
problem() {
  problems+=("$*")
  say "left: $*"
}

# Everything DIR says is read first, in case DIR goes while this runs.
readf() { cat "${DIR}/$1" 2>/dev/null || true; }
NS_ID=$(readf ns/id)
SYSCTL_RECORD=$(readf host/sysctl)
SYSCTL_RECORD=${SYSCTL_RECORD:-${TESTBED_NODE_HOST_SYSCTL:-}}
IPTABLES_RECORD=$(readf host/iptables)
HAS_IPTABLES_RECORD=0
[[ -f ${DIR}/host/iptables ]] && HAS_IPTABLES_RECORD=1
PATHS_RECORD=$(readf host/paths)
HAS_PATHS_RECORD=0
[[ -f ${DIR}/host/paths ]] && HAS_PATHS_RECORD=1
NODE_BIN_DIR=$(readf node-bin)
CP_DIR=$(readf control-plane)
NODE_NAME=$(readf name)
declare -A PIDS=()
for f in "${DIR}"/pids/*.pid; do
  [[ -f ${f} ]] || continue
  n=${f##*/}
  PIDS[${n%.pid}]=$(<"${f}")
done

# This script and its callers (node-start.sh undoing a failed start names DIR too).
# parent PID: sets PARENT to its parent's pid (read after the command name, which
# may hold spaces). Builtins only: it runs for every process.
parent() {
  local stat rest
  PARENT=""
  { read -r stat <"/proc/$1/stat"; } 2>/dev/null || return 1
  rest=${stat##*) }
  rest=${rest#* }
  PARENT=${rest%% *}
}
SPARED=" "
p=$$
while [[ ${p} =~ ^[0-9]+$ && ${p} -gt 1 ]]; do
  SPARED+="${p} "
  parent "${p}" || break
  p=${PARENT}
done
# names_dir PID: PID is not this script or its callers, and its command line names
# DIR (the components, the namespace holder, the watchdog, the shims). Builtins only.
names_dir() {
  local pid=$1 args=() a
  [[ ${pid} =~ ^[0-9]+$ && ${SPARED} != *" ${pid} "* && ${pid} -ne ${BASHPID} ]] || return 1
  { mapfile -d '' args <"/proc/${pid}/cmdline"; } 2>/dev/null || return 1
  for a in "${args[@]}"; do
    if [[ ${a} == "${DIR}" || ${a} == *"${DIR}/"* ]]; then
      ! own_subshell "${pid}"
      return
    fi
  done
  return 1
}
# own_subshell PID: a subshell of this script (two levels deep at most), which names DIR too.
own_subshell() {
  parent "$1" || return 1
  [[ ${PARENT} -eq $$ ]] && return 0
  parent "${PARENT}" || return 1
  [[ ${PARENT} -eq $$ ]]
}
# alive PID: the process exists and is not a zombie.
alive() {
  local stat
  { read -r stat <"/proc/$1/stat"; } 2>/dev/null || return 1
  stat=${stat##*) }
  [[ ${stat:0:1} != Z ]]
}
# pid_of NAME: the recorded pid of NAME if it still names DIR.
pid_of() {
  local pid=${PIDS[$1]:-}
  [[ -n ${pid} ]] && names_dir "${pid}" && echo "${pid}"
}
# stop_pids PID...: SIGTERM (to each process group, the components run under
# setsid), wait up to GRACE seconds, then SIGKILL.
stop_pids() {
  local p deadline left
  [[ $# -gt 0 ]] || return 0
  for p in "$@"; do kill -TERM -- "-${p}" 2>/dev/null || kill -TERM "${p}" 2>/dev/null || true; done
  deadline=$((SECONDS + GRACE))
  while :; do
    left=()
    for p in "$@"; do if alive "${p}"; then left+=("${p}"); fi; done
    [[ ${#left[@]} -gt 0 ]] || return 0
    ((SECONDS < deadline)) || break
    sleep 0.1
  done
  for p in "${left[@]}"; do
    say "still running ${GRACE}s after SIGTERM, sending SIGKILL: $({ tr '\0' ' ' <"/proc/${p}/cmdline"; } 2>/dev/null | cut -c1-120)"
    kill -KILL -- "-${p}" 2>/dev/null || kill -KILL "${p}" 2>/dev/null || true
  done
  deadline=$((SECONDS + 5))
  while ((SECONDS < deadline)); do
    left=()
    for p in "$@"; do if alive "${p}"; then left+=("${p}"); fi; done
    [[ ${#left[@]} -gt 0 ]] || return 0
    sleep 0.1
  done
}
# stop_component NAME: stop_pids on NAME's recorded pid.
stop_component() {
  local pid
  pid=$(pid_of "$1") || return 0
  stop_pids "${pid}"
}
# strays: every process that is still the node's: it names DIR, runs in the
# node's mount namespace, or is in the node's cgroups (containers).
strays() {
  local p d
  {
    for p in /proc/[0-9]*; do
      p=${p#/proc/}
      if names_dir "${p}"; then echo "${p}"; fi
    done
    if [[ -n ${NS_ID} ]]; then
      find /proc -mindepth 3 -maxdepth 3 -path '/proc/[0-9]*/ns/mnt' -lname "${NS_ID//[/\\[}" 2>/dev/null |
        cut -d/ -f3
    fi
    while read -r d; do
      [[ -f ${d}/cgroup.procs ]] && cat "${d}/cgroup.procs" 2>/dev/null
    done < <(node_cgroups)
  } | sort -un | while read -r p; do
    if [[ ${SPARED} != *" ${p} "* ]] && ! own_subshell "${p}" && alive "${p}"; then echo "${p}"; fi
  done
}

# ---------------------------------------------------------------- processes
stop_component watchdog
stop_component kubelet
if pid_of containerd >/dev/null && [[ -s ${DIR}/crictl.yaml && -n ${NODE_BIN_DIR} ]]; then
  crictl=${NODE_BIN_DIR}/crictl
  if [[ -x ${crictl} ]]; then
    # Stops and removes every pod sandbox: runs the CNI DEL of each.
    timeout 60 "${crictl}" --config "${DIR}/crictl.yaml" rmp --all --force >>"${DIR}/logs/stop.log" 2>&1 ||
      say "crictl rmp failed (see ${DIR}/logs/stop.log); killing the containers instead"
  fi
fi
stop_component containerd
# Shims and containers left: the shims (their command line names DIR's socket)
# take their containers with them; anything else in the node's cgroups goes too.
mapfile -t left < <(strays | grep -vx "$(pid_of namespace || echo none)" || true)
if [[ ${#left[@]} -gt 0 ]]; then stop_pids "${left[@]}"; fi
stop_component namespace
mapfile -t left < <(strays)
for p in "${left[@]}"; do
  problem "process ${p}: $({ tr '\0' ' ' <"/proc/${p}/cmdline"; } 2>/dev/null | cut -c1-120)"
done

# ------------------------------------------------------------------- mounts
# All of the node's mounts were in its namespace, gone with its last process.
# A mount on the host under DIR would be a bug: detach it, and say so.
while read -r m; do
  [[ -n ${m} ]] || continue
  umount -R -l "${m}" 2>/dev/null || true
  problem "mount ${m} on the host (detached)"
done < <(awk -v d="${DIR}" 'index($5, d) == 1 { print $5 }' /proc/self/mountinfo | sort -r)

# ------------------------------------------------------------------ cgroups
for attempt in 1 2 3 4 5 6 7 8 9 10; do
  mapfile -t cgs < <(node_cgroups)
  [[ ${#cgs[@]} -gt 0 ]] || break
  for d in "${cgs[@]}"; do rmdir "${d}" 2>/dev/null || true; done
  sleep 0.2
done
while read -r d; do [[ -n ${d} ]] && problem "cgroup ${d}"; done < <(node_cgroups)

# ------------------------------------------------------------------ network
for link in "${CNI_BRIDGE}" "${NODE_BRIDGE}"; do
  ip link show "${link}" >/dev/null 2>&1 || continue
  # Veths of pods whose sandbox could not be torn down.
  for veth in $(ip -o link show master "${link}" 2>/dev/null | awk -F': ' '{ print $2 }' | cut -d@ -f1); do
    ip link delete "${veth}" 2>/dev/null || true
  done
  if [[ ${link} == "${NODE_BRIDGE}" ]] && ! ip -o link show "${link}" | grep -qF -- "testbed-node ${DIR}"; then
    problem "${link} belongs to another node dir; not deleted"
    continue
  fi
  ip link delete "${link}" 2>/dev/null || problem "interface ${link} could not be deleted"
done

# ---------------------------------------------------------- kernel settings
while IFS='=' read -r key value; do
  [[ -n ${key} ]] || continue
  now=$(sysctl -n "${key}" 2>/dev/null || echo "${value}")
  if [[ ${now} != "${value}" ]]; then
    sysctl -qw "${key}=${value}" || problem "sysctl ${key} is ${now}, could not restore ${value}"
  fi
done <<<"${SYSCTL_RECORD}"

# ------------------------------------------------------------------ iptables
if [[ ${HAS_IPTABLES_RECORD} -eq 1 ]]; then
  while read -r cmd table chain; do
    [[ -n ${chain} ]] || continue
    # Rules that jump to the chain first, then the chain.
    "${cmd}" -w 5 -t "${table}" -S 2>/dev/null | awk -v c="${chain}" '$1 == "-A" && / -j / && $0 ~ ("-j " c "( |$)")' |
      while read -r rule; do
        read -ra words <<<"${rule#-A }"
        "${cmd}" -w 5 -t "${table}" -D "${words[@]}" 2>/dev/null || true
      done
    "${cmd}" -w 5 -t "${table}" -F "${chain}" 2>/dev/null || true
    "${cmd}" -w 5 -t "${table}" -X "${chain}" 2>/dev/null || true
    say "removed iptables chain ${cmd} -t ${table} ${chain}, which appeared while the node ran"
  done < <(comm -13 <(sort <<<"${IPTABLES_RECORD}") <(iptables_chains | sort))
  while read -r cmd table chain; do
    [[ -n ${chain} ]] && problem "iptables chain ${cmd} -t ${table} ${chain}"
  done < <(comm -13 <(sort <<<"${IPTABLES_RECORD}") <(iptables_chains | sort))
fi

# ------------------------------------------------------------ default paths
if [[ ${HAS_PATHS_RECORD} -eq 1 ]]; then
  for p in "${HOST_PATHS[@]}"; do
    if [[ -e ${p} || -L ${p} ]] && ! grep -qxF -- "${p}" <<<"${PATHS_RECORD}"; then
      problem "${p} appeared while the node ran (not removed: it may not be the node's)"
    fi
  done
fi

# -------------------------------------------------------------- Node object
if [[ -n ${CP_DIR} && -n ${NODE_NAME} && -s ${CP_DIR}/env ]]; then
  kubeconfig=$(awk -F= '$1 == "KUBECONFIG" { print $2 }' "${CP_DIR}/env")
  bin=$(awk -F= '$1 == "TESTBED_BIN" { print $2 }' "${CP_DIR}/env")
  if [[ -x ${bin}/kubectl ]]; then
    "${bin}/kubectl" --kubeconfig "${kubeconfig}" --cache-dir "${CP_DIR}/kube-cache" --request-timeout=10s \
      delete node "${NODE_NAME}" \
      --ignore-not-found --wait=false >/dev/null 2>&1 || true
  fi
fi

if [[ ${#problems[@]} -gt 0 ]]; then
  say "${#problems[@]} thing(s) of the node survived; ${DIR} kept"
  exit 1
fi
say "stopped and cleaned up in $((SECONDS - T0))s"
[[ ${KEEP} -eq 0 && -d ${DIR} ]] || exit 0
if ! find "${DIR}" -mindepth 1 -maxdepth 1 ! -name .testbed-node -exec rm -rf {} + ||
  ! rm -f "${DIR}/.testbed-node" || ! rmdir "${DIR}"; then
  say "could not remove ${DIR}"
  exit 1
fi
