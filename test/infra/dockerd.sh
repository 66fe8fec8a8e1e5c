#!/usr/bin/env bash
# Starts or stops a private Docker engine (Debian's docker.io) for the tests, entirely inside DIR:
# no iptables, no bridge, vfs storage, its own socket. Prints DOCKER_HOST=… on start.
#   test/infra/dockerd.sh start DIR     test/infra/dockerd.sh stop DIR
# DOCKERD_WATCH_PID (start): a watchdog runs `stop DIR` when that process exits, as test/testbed/start.sh's
# does, so a test runner that dies leaves no engine behind.
# stop kills dockerd (SIGTERM, SIGKILL after 10 s), then anything else whose command line names DIR
# (containerd, shims), unmounts what dockerd mounted under DIR and removes DIR. It exits 1, naming what
# is left, when a process survives or DIR cannot be removed.
set -euo pipefail
cmd=${1:?start|stop}
dir=${2:?state directory}

# ours PID: PID is alive, is not this script, and its command line names DIR (read without forking,
# so no helper process of ours can match).
ours() {
  local pid=$1 args=() a
  [[ $pid =~ ^[0-9]+$ && $pid -ne $$ && $pid -ne $BASHPID ]] || return 1
  mapfile -d '' args <"/proc/$pid/cmdline" 2>/dev/null || return 1
  for a in "${args[@]}"; do
    if [[ $a == "$dir" || $a == *"$dir/"* ]]; then return 0; fi
  done
  return 1
}
# Pids of the processes that name DIR.
named() {
  local p
  for p in /proc/[0-9]*; do
    if ours "${p#/proc/}"; then echo "${p#/proc/}"; fi
  done
}

case "$cmd" in
start)
  command -v dockerd >/dev/null || { echo "dockerd.sh: dockerd not found (apt-get install docker.io)" >&2; exit 1; }
  mkdir -p "$dir"
  dir=$(cd "$dir" && pwd)
  # Its own session: stop signals dockerd alone, and a Ctrl-C meant for the test runner doesn't reach it.
  # TMPDIR inside DIR: its containerd writes stack dumps (containerd.PID.stacks.log) there, removed with DIR.
  TMPDIR="$dir" setsid dockerd --iptables=false --ip6tables=false --bridge=none --storage-driver=vfs \
    --data-root "$dir/data" --exec-root "$dir/exec" --pidfile "$dir/docker.pid" \
    -H "unix://$dir/docker.sock" </dev/null >"$dir/dockerd.log" 2>&1 &
  if [[ -n ${DOCKERD_WATCH_PID:-} ]]; then
    # Watchdog: stop the engine when the watched process goes away (or stop ran and removed DIR).
    # shellcheck disable=SC2016 # expanded by the inner bash
    setsid bash -c 'while kill -0 "$1" 2>/dev/null && [[ -d $2 ]]; do sleep 1; done; [[ ! -d $2 ]] || exec "$3" stop "$2"' \
      dockerd-watchdog "$DOCKERD_WATCH_PID" "$dir" "${BASH_SOURCE[0]}" </dev/null >/dev/null 2>&1 &
    echo $! >"$dir/watchdog.pid"
  fi
  for _ in $(seq 1 100); do
    if DOCKER_HOST="unix://$dir/docker.sock" docker info >/dev/null 2>&1; then
      echo "DOCKER_HOST=unix://$dir/docker.sock"
      exit 0
    fi
    sleep 0.2
  done
  echo "dockerd.sh: the engine did not answer within 20 s; last lines of $dir/dockerd.log:" >&2
  tail -n 20 "$dir/dockerd.log" >&2 || true
  "${BASH_SOURCE[0]}" stop "$dir" || true
  exit 1
  ;;
stop)
  [[ -d $dir ]] || exit 0
  dir=$(cd "$dir" && pwd)
  if [[ -f $dir/watchdog.pid ]]; then
    pid=$(cat "$dir/watchdog.pid")
    if ours "$pid"; then kill "$pid" 2>/dev/null || true; fi
  fi
  if [[ -f $dir/docker.pid ]]; then
    pid=$(cat "$dir/docker.pid")
    # A graceful stop stops the containers and unmounts; containerd is dockerd's child and exits with it.
    if ours "$pid"; then kill "$pid" 2>/dev/null || true; fi
    for _ in $(seq 1 50); do ours "$pid" || break; sleep 0.2; done
  fi
  # Whatever still names DIR (dockerd after 10 s, containerd, shims of a killed engine): SIGKILL.
  left=$(named)
  if [[ -n $left ]]; then
    echo "dockerd.sh: killing what still runs in $dir: $(echo "$left" | tr '\n' ' ')" >&2
    # shellcheck disable=SC2086 # one pid per word
    kill -9 $left 2>/dev/null || true
    for _ in $(seq 1 25); do [[ -n $(named) ]] || break; sleep 0.2; done
    left=$(named)
    if [[ -n $left ]]; then
      echo "dockerd.sh: still running after SIGKILL: $(echo "$left" | tr '\n' ' ')" >&2
      exit 1
    fi
  fi
  # A killed dockerd leaves its data-root bind mount (and container mounts): deepest first.
  awk -v d="$dir/" 'index($2 "/", d) == 1 { print $2 }' /proc/self/mounts | sort -r |
    while read -r m; do umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true; done
  # vfs layers are plain folders.
  if ! rm -rf "$dir" || [[ -e $dir ]]; then
    echo "dockerd.sh: could not remove $dir" >&2
    exit 1
  fi
  ;;
*) echo "usage: $0 start|stop DIR" >&2; exit 2 ;;
esac
