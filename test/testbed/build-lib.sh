# Shared by build.sh and build-node.sh (sourced, not run): logging, long steps with a
# heartbeat, and the Go toolchain and caches. The caller sets LOG (the build log),
# TB_CACHE (the test bed's cache root) and PREFIX (its name in progress lines).
# shellcheck shell=bash

STEP="init"
START_TS=${SECONDS}
say() { echo "${PREFIX}: [${STEP}] $*" >&2; }
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
    echo "${PREFIX}: build failed at step '${STEP}' — see ${LOG}" >&2
    if [[ -s ${LOG} ]]; then
      echo "${PREFIX}: ---- last lines of ${LOG} ----" >&2
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

# use_go: sets GO and GO_VERSION (Go >= 1.25 required), and a build environment
# that depends on nothing of the caller's: persistent caches under the cache root,
# so a warm rebuild is fast.
use_go() {
  if [[ -z ${GO:-} ]]; then
    if command -v go >/dev/null 2>&1; then
      GO=$(command -v go)
    elif [[ -x /usr/local/go/bin/go ]]; then
      GO=/usr/local/go/bin/go
    else
      echo "${PREFIX}: go not found (set GO=/path/to/go)" >&2
      exit 1
    fi
  fi
  GO_VERSION=$(GOTOOLCHAIN=local "${GO}" env GOVERSION)
  case "${GO_VERSION}" in
    go1.2[5-9]* | go1.[3-9][0-9]*) ;;
    *)
      echo "${PREFIX}: need Go >= 1.25, have ${GO_VERSION}" >&2
      exit 1
      ;;
  esac
  export GOCACHE=${TB_CACHE}/go/build
  export GOMODCACHE=${TB_CACHE}/go/mod
  export GOTOOLCHAIN=local
  export GOWORK=off
  export GOFLAGS="-buildvcs=false -modcacherw"
  export CGO_ENABLED=0
  unset GOOS GOARCH GOPATH GOBIN GOEXPERIMENT
}

# lock FILE: one build at a time per cache root (fd 9, not passed to children by run).
lock() {
  exec 9>"$1"
  if ! flock -n 9; then
    say "another build holds $1; waiting"
    flock 9
  fi
}
