#!/usr/bin/env bash
# The whole test suite, from a fresh Debian 12 machine (as root) to a verdict:
#   1. installs what the tests need (Debian's Docker engine and distribution registry, tools),
#   2. npm ci, 3. builds or reuses the Kubernetes test bed (test/testbed/build.sh, cached), and the
#      packaging tools (test/tools/build.sh: krew, its validator, actionlint; scripts/rcodesign.sh; cached)
#      and what the packaging tests build from (Node.js binaries, the image's root filesystem; cached),
#   4. smoke-tests the test bed (start, checks, stop: ~20 s; then with a real node: ~1 min),
#   5. starts a private Docker engine, 6. lint, typecheck, build, every test project, 7. checks that the tests
#   left no process, file, mount, cgroup, interface, iptables chain or kernel setting, 8. bench smoke,
#   9. stops what it started. A real part that cannot start fails the run; nothing is skipped.
# At the end (also after a failure) it prints how long each step took.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
die() { printf 'ci: %s\n' "$*" >&2; exit 1; }
started=$SECONDS

# step NAME HEADER: prints HEADER and starts NAME's clock (ending the previous step's).
times=()
current=""
step_started=$SECONDS
end_step() {
  if [ -n "$current" ]; then times+=("$current $((SECONDS - step_started))s"); fi
  current=""
}
step() {
  end_step
  current=$1
  step_started=$SECONDS
  printf '\n==> %s\n' "$2" >&2
}

# named TEXT...: "pid args" of every process whose command line contains one of TEXT. Reads
# /proc/PID/cmdline with builtins only, so no helper process of ours shows up.
named() {
  local p args want
  for p in /proc/[0-9]*; do
    args=()
    mapfile -d '' args <"$p/cmdline" 2>/dev/null || continue
    [ ${#args[@]} -gt 0 ] || continue
    for want in "$@"; do
      if [ -n "$want" ] && [[ " ${args[*]} " == *"$want"* ]]; then
        printf '  %s %s\n' "${p#/proc/}" "${args[*]:0:8}"
        break
      fi
    done
  done
  return 0
}
# /tmp/kau-* but the run directories of vitest runs (kau-run-*) and CI state (kau-ci-*): ours live in our
# TMPDIR, so any of those in /tmp belongs to another run on the same machine.
kau_dirs() { find /tmp -mindepth 1 -maxdepth 1 -name 'kau-*' ! -name 'kau-run-*' ! -name 'kau-ci-*' | sort; }
# kubectl's caches in the home of the user running CI: the tests' kubectl keep theirs in the test beds.
kube_cache() {
  [ -d "${HOME}/.kube/cache" ] || return 0
  find "${HOME}/.kube/cache" -mindepth 2 -maxdepth 2 | sort
}

state=""
policy_rc=""
reached_end=""
finish() {
  local rc=$? left joined
  [ -z "$policy_rc" ] || rm -f "$policy_rc"
  if [ -n "$state" ]; then
    step stop "stop the Docker engine, remove $state"
    test/infra/dockerd.sh stop "$state/dockerd" || rc=1
    rm -rf "$state" || rc=1
    left=$(named "$state/")
    if [ -n "$left" ]; then
      printf 'ci: processes left running in %s:\n%s\n' "$state" "$left" >&2
      rc=1
    fi
  fi
  end_step
  joined=$(printf '%s, ' "${times[@]}")
  printf '\nci: step times: %s; total %ss\n' "${joined%, }" "$((SECONDS - started))" >&2
  # A signal (Ctrl-C, SIGTERM) ends the script between steps with status 0: only a run that reached its
  # end is green. (Trapping the signals instead would hold finish until the running step ends.)
  if [ "$rc" = 0 ] && [ -z "$reached_end" ]; then
    printf 'ci: stopped before the end (interrupted?)\n' >&2
    rc=1
  fi
  if [ "$rc" = 0 ]; then printf 'ci: all green\n' >&2; fi
  exit "$rc"
}
trap finish EXIT
# set -e ends the run at a failing command without a word: say which.
trap 'printf "ci: stopped: \`%s\` failed (line %s)\n" "$BASH_COMMAND" "$LINENO" >&2' ERR

step apt "system packages"
# runc, containernetworking-plugins, iproute2, procps: the test bed's real node (test/testbed/node-start.sh);
# binutils-aarch64-linux-gnu, mmdebstrap, zip, shellcheck: the executables, the image, the archives, actionlint.
# tinyproxy: the registry resolver and the webhook behind HTTPS_PROXY/HTTP_PROXY.
# python3: a pseudo-terminal that hangs up under the CLI (test/integration/terminal-hangup.test.ts).
# gcc, libc6-dev, binutils: cargo's build of rcodesign compiles C, and the x64 executables are stripped.
packages=(docker.io docker-registry apache2-utils openssl jq curl ca-certificates tar gzip util-linux time
  runc containernetworking-plugins iproute2 procps binutils binutils-aarch64-linux-gnu gcc libc6-dev
  mmdebstrap zip shellcheck tinyproxy python3)
missing=()
for p in "${packages[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  [ "$(id -u)" = 0 ] || die "missing Debian packages (${missing[*]}) and not root to install them"
  # No package's service may start (dockerd, containerd, the registry, tinyproxy): the tests start their
  # own, a system containerd would be taken up by the tests' dockerd, and nothing may be left running.
  # (Where systemd runs, the packages still enable them for the next boot.)
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    policy_rc=/usr/sbin/policy-rc.d
    printf '#!/bin/sh\nexit 101\n' >"$policy_rc"
    chmod 755 "$policy_rc"
  fi
  # A fresh machine's apt-daily and unattended-upgrades may hold apt's locks for a while after boot:
  # install waits for dpkg's; update takes the lists' lock without waiting, so it is tried again.
  for attempt in $(seq 20); do
    if update_err=$(apt-get update -qq 2>&1 >/dev/null); then break; fi
    [[ "$update_err" == *"Could not get lock"* && "$attempt" -lt 20 ]] || die "apt-get update failed: $update_err"
    sleep 30
  done
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends \
    "${missing[@]}" >/dev/null
  if [ -n "$policy_rc" ]; then
    rm -f "$policy_rc"
    policy_rc=""
  fi
fi
# The docker resolver's tests read OCI manifests and docker contexts as docker 23 and later do; Debian 12's
# docker.io has a 20.10 CLI (its engine is fine). Said here, before the builds, not as failing tests.
docker_cli=$(docker --version | sed -n 's/^Docker version \([0-9]*\)\..*/\1/p')
[ "${docker_cli:-0}" -ge 23 ] ||
  die "$(command -v docker) is $(docker --version): the tests need a docker CLI 23 or newer first on PATH (Docker's static build in /usr/local/bin, beside Debian's docker.io, with which its docker-ce-cli package conflicts)"
command -v node >/dev/null || die "node not found: install Node.js 20.19 or newer"
# 20.19: what vite (vitest's) and knip declare; the bundle runs on 20.5 and newer (execa's floor), its
# launcher bin/kubectl-autoupdate on 20.10 and newer (an extensionless ES module).
node -e 'const [a, b] = process.versions.node.split(".").map(Number); process.exit(a > 20 || (a === 20 && b >= 19) ? 0 : 1)' ||
  die "Node.js $(node -v) is too old: 20.19 or newer is needed"
GO=$(command -v go || echo /usr/local/go/bin/go)
[ -x "$GO" ] || die "go not found: the Kubernetes test bed is built from the Go module proxy (Go 1.25+)"
# Checked here too (build-lib.sh's use_go checks it again) so an old Go stops the run before npm ci and the
# signer's build (~5 minutes cold), not after them.
go_version=$(GOTOOLCHAIN=local "$GO" env GOVERSION 2>/dev/null || echo "an unknown version")
case "$go_version" in
  go1.2[5-9]* | go1.[3-9][0-9]*) ;;
  *) die "$GO is $go_version: the Kubernetes test bed needs Go 1.25 or newer (go.dev/dl; Debian 12's is 1.19)" ;;
esac

step "npm ci" "npm ci"
npm ci --no-audit --no-fund

# First the one that needs Rust: a machine without cargo fails here, not after the Go builds.
step rcodesign "rcodesign, the macOS signer (built once, then cached)"
scripts/rcodesign.sh >/dev/null
step testbed "Kubernetes test bed (built once, then cached in ~/.cache/kubectl-autoupdate)"
GO="$GO" test/testbed/build.sh >/dev/null

step tools "krew, its manifest validator, actionlint (built once, then cached)"
tools=$(GO="$GO" test/tools/build.sh)
# The packaging tests build from these and fetch nothing themselves (they set KUBECTL_AUTOUPDATE_OFFLINE).
step release-inputs "Node.js binaries and the image's Debian root filesystem (fetched once, then cached)"
node --input-type=module -e '
  import { PLATFORMS } from "./scripts/platforms.mjs";
  import { nodeBinary } from "./scripts/node-binaries.mjs";
  for (const p of PLATFORMS) nodeBinary(p);'
scripts/image.sh --rootfs-only

state=$(mktemp -d /tmp/kau-ci-XXXXXX)
# Every temporary file of the tests and the bench goes under $state/tmp (test/support/tmpdir.setup.ts
# makes the run's directory in TMPDIR), so what is left there, or run from there, is a leftover of ours.
mkdir "$state/tmp"
export TMPDIR="$state/tmp"
# Every kubectl run without a cache directory (or a home) of its own caches here, not in ~/.kube/cache.
export KUBECACHEDIR="$state/kube-cache"

step smoke "Kubernetes test bed smoke tests (start, checks, stop): the control plane, then with a real node"
test/testbed/smoke.sh
test/testbed/node-smoke.sh

step dockerd "Docker engine"
# Its watchdog stops it if this script dies without running finish.
# Its own line: inside `export $(…)` its failure would be export's success, which set -e lets pass.
dockerd_env=$(DOCKERD_WATCH_PID=$$ test/infra/dockerd.sh start "$state/dockerd")
eval "export $dockerd_env"
docker version --format 'engine {{.Server.Version}}, client {{.Client.Version}}' >&2

step lint "lint"
npm run lint
"$tools/actionlint"
step typecheck "typecheck"
npm run typecheck
step build "build"
npm run build

step vitest "tests: unit, integration (real engine and registries), e2e (real control plane), cron, packaging"
kau_before=$(kau_dirs)
kube_cache_before=$(kube_cache)
# Kernel settings, iptables chains and default paths before the tests start real nodes.
test/testbed/node-leftovers.sh record "$state/host-before"
vitest_rc=0
npx vitest run --reporter=default --reporter=json --outputFile.json="$state/vitest.json" || vitest_rc=$?
# Per project, first test's start to last test's end (e2e's files run one at a time).
if [ -s "$state/vitest.json" ]; then
  jq -r --arg root "$PWD/test/" '[.testResults[] | {p: (.name | ltrimstr($root) | split("/")[0]), s: .startTime, e: .endTime}]
    | group_by(.p) | map("\(.[0].p) \(((map(.e) | max) - (map(.s) | min)) / 1000 | round)s")
    | "ci: vitest projects, first test to last: " + join(", ")' "$state/vitest.json" >&2 || true
fi

step leftovers "leftovers of the tests"
# Checked after failed tests too: a failure's cleanup is where leftovers hide. Nothing may still run from
# the run's TMPDIR (control planes, engines, registries), nothing may be left in it, and no /tmp/kau-* (the
# tests' prefix: a TMPDIR ignored) nor kubectl cache in ~/.kube/cache may have appeared outside it.
left=()
mapfile -t new_kau < <(comm -13 <(echo "$kau_before") <(kau_dirs))
mapfile -t new_kube_cache < <(comm -13 <(echo "$kube_cache_before") <(kube_cache))
left_procs=$(named "$TMPDIR/" "${new_kau[@]}")
left_files=$(
  find "$TMPDIR" -mindepth 1 -maxdepth 1 -printf '  %p\n'
  [ ${#new_kau[@]} -eq 0 ] || printf '  %s\n' "${new_kau[@]}"
  [ ${#new_kube_cache[@]} -eq 0 ] || printf '  %s\n' "${new_kube_cache[@]}"
)
if [ -n "$left_procs" ] || [ -n "$left_files" ]; then
  [ -z "$left_procs" ] || printf 'ci: processes the tests left running:\n%s\n' "$left_procs" >&2
  [ -z "$left_files" ] || printf 'ci: files and directories the tests left:\n%s\n' "$left_files" >&2
  left+=("the tests left processes or files behind (see above): every setup must stop what it starts")
fi
# A real node's kubelet, containerd, shims, containers, cgroups, bridges, mounts, iptables chains and kernel
# settings (test/testbed/node-stop.sh undoes them; this proves it).
if ! left_node=$(test/testbed/node-leftovers.sh check "$state/host-before"); then
  printf 'ci: what the real nodes left:\n%s\n' "$left_node" >&2
  left+=("a real node left something behind (see above)")
fi
if ip link show kau-local0 >/dev/null 2>&1; then
  left+=("the tests left the bridge kau-local0 behind (test/support/local-address.setup.ts removes it)")
fi
for problem in "${left[@]}"; do printf 'ci: %s\n' "$problem" >&2; done
[ "$vitest_rc" = 0 ] || die "tests failed (vitest exit $vitest_rc)"
[ ${#left[@]} -eq 0 ] || die "leftovers (see above)"
echo "ci: no process, file, mount, cgroup, interface, iptables chain or kernel setting left behind" >&2

step bench "benchmark smoke"
npm run bench -- --smoke
reached_end=1
