#!/usr/bin/env bash
# Starts or stops a private Docker engine (Debian's docker.io) for the tests, entirely inside DIR:
# no iptables, no bridge, vfs storage, its own socket. Prints DOCKER_HOST=… on start.
#   test/infra/dockerd.sh start DIR     test/infra/dockerd.sh stop DIR
set -euo pipefail
cmd=${1:?start|stop}
dir=${2:?state directory}

case "$cmd" in
start)
  command -v dockerd >/dev/null || { echo "dockerd.sh: dockerd not found (apt-get install docker.io)" >&2; exit 1; }
  mkdir -p "$dir"
  dockerd --iptables=false --ip6tables=false --bridge=none --storage-driver=vfs \
    --data-root "$dir/data" --exec-root "$dir/exec" --pidfile "$dir/docker.pid" \
    -H "unix://$dir/docker.sock" >"$dir/dockerd.log" 2>&1 &
  for _ in $(seq 1 100); do
    if DOCKER_HOST="unix://$dir/docker.sock" docker info >/dev/null 2>&1; then
      echo "DOCKER_HOST=unix://$dir/docker.sock"
      exit 0
    fi
    sleep 0.2
  done
  echo "dockerd.sh: the engine did not answer within 20 s; last lines of $dir/dockerd.log:" >&2
  tail -n 20 "$dir/dockerd.log" >&2 || true
  exit 1
  ;;
stop)
  if [ -f "$dir/docker.pid" ]; then
    pid=$(cat "$dir/docker.pid")
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    kill -9 "$pid" 2>/dev/null || true
  fi
  # containerd is dockerd's child and exits with it; vfs layers are plain folders.
  rm -rf "$dir"
  ;;
*) echo "usage: $0 start|stop DIR" >&2; exit 2 ;;
esac
