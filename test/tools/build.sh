#!/usr/bin/env bash
# Build (or reuse from cache) the Go tools of the packaging tests and the CI lint: krew (installed as
# kubectl-krew, so kubectl finds it), krew's manifest validator and actionlint, pinned in this folder's
# go.mod/go.sum and fetched from the Go module proxy. Prints the bin directory on stdout; progress on stderr.
#
#   test/tools/build.sh            # build if the cache is missing or stale
#   test/tools/build.sh --force    # rebuild even if the cache looks fresh
#
# Environment:
#   KUBECTL_AUTOUPDATE_CACHE  cache root (default: $HOME/.cache/kubectl-autoupdate)
#   GO                        go binary (default: go on PATH, else /usr/local/go/bin/go)
#
# krew is built without a version stamp on purpose: an unstamped krew counts as a development build and
# never asks GitHub for a newer release, so nothing it runs in the tests leaves the machine.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CACHE_ROOT=${KUBECTL_AUTOUPDATE_CACHE:-${HOME}/.cache/kubectl-autoupdate}
TOOLS_CACHE=${CACHE_ROOT}/tools
# The packages to build, and the name each binary gets.
TOOLS=(
  "sigs.k8s.io/krew/cmd/krew kubectl-krew"
  "sigs.k8s.io/krew/cmd/validate-krew-manifest validate-krew-manifest"
  "github.com/rhysd/actionlint/cmd/actionlint actionlint"
)

FORCE=0
for arg in "$@"; do
  case "${arg}" in
    --force) FORCE=1 ;;
    -h | --help)
      sed -n '2,14p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
      exit 0
      ;;
    *)
      echo "tools: unknown argument: ${arg}" >&2
      exit 2
      ;;
  esac
done

if [[ -z ${GO:-} ]]; then
  if command -v go >/dev/null 2>&1; then
    GO=$(command -v go)
  elif [[ -x /usr/local/go/bin/go ]]; then
    GO=/usr/local/go/bin/go
  else
    echo "tools: go not found (set GO=/path/to/go)" >&2
    exit 1
  fi
fi
GO_VERSION=$(GOTOOLCHAIN=local "${GO}" env GOVERSION)

export GOCACHE=${TOOLS_CACHE}/go/build
export GOMODCACHE=${TOOLS_CACHE}/go/mod
export GOTOOLCHAIN=local
export GOWORK=off
export GOFLAGS="-buildvcs=false -modcacherw -mod=readonly"
export CGO_ENABLED=0
unset GOOS GOARCH GOPATH GOBIN GOEXPERIMENT

stamp_value=$(
  {
    echo "go=${GO_VERSION} tools=${TOOLS[*]} recipe=1"
    cd "${HERE}" && sha256sum go.mod go.sum
  } | sha256sum | awk '{ print $1 }'
)
OUT=${TOOLS_CACHE}/${stamp_value:0:16}
BIN=${OUT}/bin
mkdir -p "${TOOLS_CACHE}"
# One build at a time per cache root.
exec 9>"${TOOLS_CACHE}/.build.lock"
flock 9

all_present=1
for t in "${TOOLS[@]}"; do
  [[ -x ${BIN}/${t#* } ]] || all_present=0
done
if [[ ${FORCE} -eq 0 && ${all_present} -eq 1 ]]; then
  echo "tools: up to date: ${BIN}" >&2
  echo "${BIN}"
  exit 0
fi

started=${SECONDS}
LOG=${OUT}/build.log
mkdir -p "${OUT}"
echo "tools: building krew, validate-krew-manifest and actionlint into ${BIN} (log: ${LOG})" >&2
NEW=${OUT}/bin.new
rm -rf "${NEW}"
mkdir -p "${NEW}"
if ! (
  cd "${HERE}"
  "${GO}" mod download
  for t in "${TOOLS[@]}"; do
    "${GO}" build -trimpath -ldflags "-s -w" -o "${NEW}/${t#* }" "${t%% *}"
  done
) >"${LOG}" 2>&1 9>&-; then
  echo "tools: build failed; last lines of ${LOG}:" >&2
  tail -n 25 "${LOG}" >&2
  exit 1
fi
rm -rf "${BIN}"
mv "${NEW}" "${BIN}"
echo "tools: built in $((SECONDS - started))s: ${BIN}" >&2
echo "${BIN}"
