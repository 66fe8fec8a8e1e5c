#!/usr/bin/env bash
# Stop a control plane started by start.sh DIR and remove DIR.
#
#   test/testbed/stop.sh DIR          # kill everything, remove DIR
#   test/testbed/stop.sh --keep DIR   # kill everything, keep DIR (logs)
#
# Kills only processes recorded in DIR/pids whose command line still mentions
# DIR (so a recycled pid is never hit): SIGTERM to the process group, then
# SIGKILL after TESTBED_STOP_GRACE seconds (default 5). Safe to call twice and
# after a failed start. Exits 1, naming what is left, if a process survives
# SIGKILL or DIR cannot be removed.
set -euo pipefail

KEEP=0
if [[ ${1:-} == --keep ]]; then
  KEEP=1
  shift
fi
if [[ $# -ne 1 || -z $1 ]]; then
  echo "usage: $0 [--keep] DIR" >&2
  exit 2
fi
if [[ ! -d $1 ]]; then
  exit 0
fi
DIR=$(cd "$1" && pwd)
GRACE=${TESTBED_STOP_GRACE:-5}

# ours PID: PID is alive and was started for this DIR.
ours() {
  local pid=$1
  [[ ${pid} =~ ^[0-9]+$ && ${pid} -ne $$ ]] || return 1
  [[ -r /proc/${pid}/cmdline ]] || return 1
  { tr '\0' '\n' <"/proc/${pid}/cmdline"; } 2>/dev/null | grep -qF -- "${DIR}"
}

# Names and pids of the recorded processes that are still ours.
names=()
pids=()
if [[ -d ${DIR}/pids ]]; then
  for f in "${DIR}"/pids/*.pid; do
    [[ -f ${f} ]] || continue
    pid=$(<"${f}")
    if ours "${pid}"; then
      name=${f##*/}
      names+=("${name%.pid}")
      pids+=("${pid}")
    fi
  done
fi

# stop_group SIG NAME...: signal the named components (each runs in its own
# session/process group via setsid, so the group also holds any children).
signal_group() {
  local sig=$1 i want
  shift
  for i in "${!pids[@]}"; do
    for want in "$@"; do
      [[ ${names[i]} == "${want}" ]] || continue
      ours "${pids[i]}" || continue
      kill "-${sig}" -- "-${pids[i]}" 2>/dev/null || kill "-${sig}" "${pids[i]}" 2>/dev/null || true
    done
  done
}

# alive NAME...: those of the named components that still run.
alive() {
  local i want
  for i in "${!pids[@]}"; do
    for want in "$@"; do
      if [[ ${names[i]} == "${want}" ]] && ours "${pids[i]}"; then echo "${names[i]}"; fi
    done
  done
}

# stop_group NAME...: SIGTERM, wait up to GRACE seconds, then SIGKILL.
stop_group() {
  local deadline left
  signal_group TERM "$@"
  deadline=$((SECONDS + GRACE))
  while [[ -n $(alive "$@") ]] && ((SECONDS < deadline)); do sleep 0.1; done
  left=$(alive "$@" | tr '\n' ' ')
  if [[ -n ${left} ]]; then
    echo "testbed: still running ${GRACE}s after SIGTERM, sending SIGKILL: ${left}" >&2
    signal_group KILL "$@"
    deadline=$((SECONDS + 5))
    while [[ -n $(alive "$@") ]] && ((SECONDS < deadline)); do sleep 0.1; done
  fi
}

survivors=()
if [[ ${#pids[@]} -gt 0 ]]; then
  # The API server's shutdown talks to etcd, so etcd goes last.
  stop_group watchdog kube-scheduler kube-controller-manager kube-apiserver
  stop_group etcd
  for i in "${!pids[@]}"; do
    if ours "${pids[i]}"; then survivors+=("${names[i]} (pid ${pids[i]})"); fi
  done
fi
if [[ ${#survivors[@]} -gt 0 ]]; then
  echo "testbed: still running after SIGKILL: ${survivors[*]}; ${DIR} kept" >&2
  exit 1
fi

if [[ ${KEEP} -eq 1 ]]; then
  exit 0
fi
if [[ -f ${DIR}/.testbed ]]; then
  # The marker goes last, so that after a partial failure a second stop.sh still
  # recognises DIR.
  if ! find "${DIR}" -mindepth 1 -maxdepth 1 ! -name .testbed -exec rm -rf {} + ||
    ! rm -f "${DIR}/.testbed" || ! rmdir "${DIR}"; then
    echo "testbed: could not remove ${DIR}" >&2
    exit 1
  fi
else
  echo "testbed: ${DIR} has no .testbed marker; not removing it" >&2
fi
