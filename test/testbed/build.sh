#!/usr/bin/env bash
# Build (or reuse from cache) the pinned Kubernetes + etcd binaries for the
# test control plane. Prints the bin directory on stdout; progress on stderr.
#
#   test/testbed/build.sh            # build if the cache is missing/stale
#   test/testbed/build.sh --force    # rebuild even if the cache looks fresh
#   test/testbed/build.sh --regen    # regenerate kube/ and etcd/ wrapper modules
#                                    # (go.mod/go.sum) from the proxy, then build
#
# Environment:
#   KUBECTL_AUTOUPDATE_CACHE  cache root (default: $HOME/.cache/kubectl-autoupdate)
#   GO                        go binary (default: go on PATH, else /usr/local/go/bin/go)
#   TESTBED_HEARTBEAT         seconds between progress lines of a long step (default 30)
set -euo pipefail

K8S_VERSION=v1.35.4
ETCD_VERSION=v3.6.13
KUBE_CMDS=(kube-apiserver kube-controller-manager kube-scheduler kubectl)
# Same tags as kubernetes' hack/lib/golang.sh for a non-debug build.
KUBE_TAGS=selinux,notest,grpcnotrace

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CACHE_ROOT=${KUBECTL_AUTOUPDATE_CACHE:-${HOME}/.cache/kubectl-autoupdate}
TB_CACHE=${CACHE_ROOT}/testbed
OUT=${TB_CACHE}/k8s-${K8S_VERSION}-etcd-${ETCD_VERSION}
BIN=${OUT}/bin
STAMP=${OUT}/stamp
LOG=${OUT}/build.log

REGEN=0
FORCE=0
for arg in "$@"; do
  case "${arg}" in
    --regen) REGEN=1 ;;
    --force) FORCE=1 ;;
    -h | --help)
      sed -n '2,14p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
      exit 0
      ;;
    *)
      echo "testbed: unknown argument: ${arg}" >&2
      exit 2
      ;;
  esac
done

STEP="init"
START_TS=${SECONDS}
say() { echo "testbed: [${STEP}] $*" >&2; }
step() {
  STEP=$1
  say "... ($((SECONDS - START_TS))s)"
}
# The checks that precede every run are not announced: a cached run prints one line.
quiet_step() { STEP=$1; }
# The long step running in the background (see run_long), killed if we are.
CHILD=""
on_exit() {
  local rc=$?
  if [[ -n ${CHILD} ]] && kill -0 "${CHILD}" 2>/dev/null; then
    kill -TERM "${CHILD}" 2>/dev/null || true
  fi
  if [[ ${rc} -ne 0 ]]; then
    echo "testbed: build failed at step '${STEP}' — see ${LOG}" >&2
    if [[ -s ${LOG} ]]; then
      echo "testbed: ---- last lines of ${LOG} ----" >&2
      tail -n 25 "${LOG}" >&2 || true
    fi
  fi
}
trap on_exit EXIT
# Signals end the script through on_exit, which stops a running go command.
trap 'exit 130' INT
trap 'exit 143' TERM

# run CMD...: run a command with output appended to the build log. The build
# lock (fd 9) is not passed on, so a stray go process cannot keep it held.
run() {
  echo "+ $*" >>"${LOG}"
  "$@" >>"${LOG}" 2>&1 9>&-
}

HEARTBEAT=${TESTBED_HEARTBEAT:-30}
# run_long DIR PROGRESS CMD...: like run, in DIR, for steps that take minutes.
# Every HEARTBEAT seconds prints the step's elapsed time and the output of the
# PROGRESS function (one line) to stderr, so a cold build is not silent.
run_long() {
  local dir=$1 progress=$2 t0=${SECONDS} next rc=0
  shift 2
  echo "+ (in ${dir}) $*" >>"${LOG}"
  (cd "${dir}" && exec "$@") >>"${LOG}" 2>&1 9>&- &
  CHILD=$!
  next=$((SECONDS + HEARTBEAT))
  while kill -0 "${CHILD}" 2>/dev/null; do
    if ((SECONDS >= next)); then
      say "still running after $((SECONDS - t0))s: $("${progress}" 2>/dev/null || true)"
      next=$((SECONDS + HEARTBEAT))
    fi
    sleep 0.5
  done
  wait "${CHILD}" || rc=$?
  CHILD=""
  return "${rc}"
}

# Progress lines for run_long.
log_bytes_at_step=0
mark_log() { log_bytes_at_step=$(stat -c %s "${LOG}"); }
# The module cache's download size: grows while go mod download runs.
download_progress() {
  echo "module cache $(du -sm "${GOMODCACHE}/cache/download" 2>/dev/null | cut -f1) MB"
}
# go build -v prints each package as it is compiled (cached ones are not).
build_progress() {
  local n last
  n=$(tail -c "+$((log_bytes_at_step + 1))" "${LOG}" | grep -cE '^[^[:space:]]+$' || true)
  if [[ ${n} -eq 0 ]]; then
    echo "no package compiled yet (cached packages are not listed; linking takes ~20 s)"
  else
    last=$(tail -n 1 "${LOG}" | cut -c1-100)
    echo "${n} packages compiled, latest ${last}"
  fi
}

# ---------------------------------------------------------------- toolchain
quiet_step "check go"
if [[ -z ${GO:-} ]]; then
  if command -v go >/dev/null 2>&1; then
    GO=$(command -v go)
  elif [[ -x /usr/local/go/bin/go ]]; then
    GO=/usr/local/go/bin/go
  else
    echo "testbed: go not found (set GO=/path/to/go)" >&2
    exit 1
  fi
fi
GO_VERSION=$(GOTOOLCHAIN=local "${GO}" env GOVERSION)
case "${GO_VERSION}" in
  go1.2[5-9]* | go1.[3-9][0-9]*) ;;
  *)
    echo "testbed: need Go >= 1.25 for Kubernetes ${K8S_VERSION}, have ${GO_VERSION}" >&2
    exit 1
    ;;
esac

# Persistent caches under the cache root, so a warm rebuild is fast and
# nothing depends on the caller's GOPATH/GOFLAGS.
export GOCACHE=${TB_CACHE}/go/build
export GOMODCACHE=${TB_CACHE}/go/mod
export GOTOOLCHAIN=local
export GOWORK=off
export GOFLAGS="-buildvcs=false -modcacherw"
export CGO_ENABLED=0
unset GOOS GOARCH GOPATH GOBIN GOEXPERIMENT

mkdir -p "${OUT}"
# One build at a time per cache root.
exec 9>"${TB_CACHE}/.build.lock"
if ! flock -n 9; then
  say "another build holds ${TB_CACHE}/.build.lock; waiting"
  flock 9
fi

# ------------------------------------------------------------------- regen
if [[ ${REGEN} -eq 1 ]]; then
  : >"${LOG}"
  step "regen kube module"
  (
    cd "${HERE}/kube"
    rm -f go.mod go.sum
    kk_gomod=$("${GO}" mod download -json "k8s.io/kubernetes@${K8S_VERSION}" | jq -r .GoMod)
    [[ -s ${kk_gomod} ]]
    staging=v0.${K8S_VERSION#v1.}
    # Every staging module that k/k replaces with ./staging/... gets the
    # matching published v0.X.Y tag instead.
    mods=$(grep -oE '^[[:space:]]*k8s\.io/[a-z0-9-]+ => \./staging' "${kk_gomod}" | awk '{ print $1 }')
    [[ -n ${mods} ]]
    {
      echo "// Wrapper module that builds Kubernetes ${K8S_VERSION} binaries for the test"
      echo "// control plane. Generated by ../build.sh --regen; do not edit by hand."
      echo "module local/kubectl-autoupdate-testbed/kube"
      echo
      awk '$1 == "go" { print; exit }' "${kk_gomod}"
      echo
      # godebug settings only apply from the main module: copy k/k's.
      grep '^godebug' "${kk_gomod}" || true
      echo
      echo "replace ("
      for m in ${mods}; do echo "	${m} => ${m} ${staging}"; done
      echo ")"
    } >go.mod
    tools=()
    for c in "${KUBE_CMDS[@]}"; do tools+=("k8s.io/kubernetes/cmd/${c}@${K8S_VERSION}"); done
    run "${GO}" get -tool "${tools[@]}"
    run "${GO}" mod tidy
  )
  step "regen etcd module"
  (
    cd "${HERE}/etcd"
    rm -f go.mod go.sum
    etcd_gomod=$("${GO}" mod download -json "go.etcd.io/etcd/server/v3@${ETCD_VERSION}" | jq -r .GoMod)
    [[ -s ${etcd_gomod} ]]
    {
      echo "// Wrapper module that builds etcd ${ETCD_VERSION} for the test control plane."
      echo "// Generated by ../build.sh --regen; do not edit by hand."
      echo "module local/kubectl-autoupdate-testbed/etcd"
      echo
      awk '$1 == "go" { print; exit }' "${etcd_gomod}"
    } >go.mod
    run "${GO}" get "go.etcd.io/etcd/server/v3@${ETCD_VERSION}"
    run "${GO}" mod tidy
  )
  FORCE=1
fi

for f in kube/go.mod kube/go.sum etcd/go.mod etcd/go.sum etcd/main.go; do
  if [[ ! -s ${HERE}/${f} ]]; then
    echo "testbed: missing ${HERE}/${f} (run with --regen)" >&2
    exit 1
  fi
done

# -------------------------------------------------------------- cache check
quiet_step "check cache"
stamp_value=$(
  {
    echo "k8s=${K8S_VERSION} etcd=${ETCD_VERSION} go=${GO_VERSION} tags=${KUBE_TAGS} recipe=2"
    cd "${HERE}" && sha256sum kube/go.mod kube/go.sum etcd/go.mod etcd/go.sum etcd/main.go
  } | sha256sum | awk '{ print $1 }'
)
all_present=1
for b in etcd "${KUBE_CMDS[@]}"; do
  [[ -x ${BIN}/${b} ]] || all_present=0
done
if [[ ${FORCE} -eq 0 && ${all_present} -eq 1 && -f ${STAMP} && "$(cat "${STAMP}")" == "${stamp_value}" ]]; then
  say "up to date: ${BIN}"
  echo "${BIN}"
  exit 0
fi
if [[ ${REGEN} -eq 0 ]]; then : >"${LOG}"; fi
say "building into ${BIN} (log: ${LOG}); a cold build takes ~6 min on an idle 2-core machine, ~25 min on a busy one"

NEW=${OUT}/bin.new
rm -rf "${NEW}"
mkdir -p "${NEW}"

# ---------------------------------------------------------------- download
step "go mod download etcd"
run_long "${HERE}/etcd" download_progress "${GO}" mod download
step "go mod download kube"
run_long "${HERE}/kube" download_progress "${GO}" mod download

# ------------------------------------------------------------------- build
step "go build etcd"
mark_log
run_long "${HERE}/etcd" build_progress "${GO}" build -v -trimpath -ldflags "-s -w" -o "${NEW}/etcd" .

kube_pkgs=()
for c in "${KUBE_CMDS[@]}"; do kube_pkgs+=("k8s.io/kubernetes/cmd/${c}"); done
step "go build ${KUBE_CMDS[*]}"
# Version vars as set by kubernetes' hack/lib/version.sh, so that
# `kubectl version` and the apiserver report the real release.
info=$(cd "${HERE}/kube" && "${GO}" mod download -json "k8s.io/kubernetes@${K8S_VERSION}" 9>&- | jq -r .Info)
build_date=$(jq -r .Time "${info}")
minor=${K8S_VERSION#v1.}
minor=${minor%%.*}
ld=()
for p in k8s.io/client-go/pkg/version k8s.io/component-base/version; do
  ld+=("-X '${p}.gitVersion=${K8S_VERSION}'"
    "-X '${p}.gitMajor=1'"
    "-X '${p}.gitMinor=${minor}'"
    "-X '${p}.gitTreeState=clean'"
    "-X '${p}.buildDate=${build_date}'")
done
mark_log
run_long "${HERE}/kube" build_progress \
  "${GO}" build -v -trimpath -tags "${KUBE_TAGS}" -ldflags "all=${ld[*]} -s -w" -o "${NEW}/" "${kube_pkgs[@]}"

step "verify"
for b in etcd "${KUBE_CMDS[@]}"; do
  [[ -x ${NEW}/${b} ]] || {
    echo "missing ${NEW}/${b}" >>"${LOG}"
    false
  }
done
got=$("${NEW}/kubectl" version --client -o json | jq -r .clientVersion.gitVersion)
echo "kubectl version: ${got}" >>"${LOG}"
[[ ${got} == "${K8S_VERSION}" ]]
got=$("${NEW}/kube-apiserver" --version)
echo "kube-apiserver --version: ${got}" >>"${LOG}"
[[ ${got} == "Kubernetes ${K8S_VERSION}" ]]
got=$("${NEW}/etcd" --version | awk '/^etcd Version:/ { print "v" $3 }')
echo "etcd --version: ${got}" >>"${LOG}"
[[ ${got} == "${ETCD_VERSION}" ]]

step "install"
rm -rf "${BIN}"
mv "${NEW}" "${BIN}"
echo "${stamp_value}" >"${STAMP}"
say "done in $((SECONDS - START_TS))s: ${BIN}"
echo "${BIN}"
