#!/usr/bin/env bash
# Build (or reuse from cache) rcodesign, the apple-codesign crate's signer, which signs the macOS
# executables ad hoc on any OS (macOS on arm64 runs no unsigned code). Built from crates.io with its own
# Cargo.lock, without the notarization features (an AWS SDK we don't need). Prints the binary's path.
#
#   scripts/rcodesign.sh            # build if the cache is missing or stale
#
# Environment: KUBECTL_AUTOUPDATE_CACHE  cache root (default: $HOME/.cache/kubectl-autoupdate)
set -euo pipefail

VERSION=0.29.0
CACHE_ROOT=${KUBECTL_AUTOUPDATE_CACHE:-${HOME}/.cache/kubectl-autoupdate}
DIR=${CACHE_ROOT}/rcodesign
# rustup installs cargo there; a non-login shell may not have it on PATH.
command -v cargo >/dev/null || PATH="${PATH}:${CARGO_HOME:-${HOME}/.cargo}/bin"
command -v cargo >/dev/null || { echo "rcodesign: cargo not found (Rust is needed to build the macOS signer)" >&2; exit 1; }
RUSTC=$(rustc --version)
OUT=${DIR}/${VERSION}
BIN=${OUT}/bin/rcodesign
STAMP=${OUT}/stamp
want="apple-codesign=${VERSION} ${RUSTC} features=none recipe=1"

mkdir -p "${DIR}"
exec 9>"${DIR}/.build.lock"
flock 9
if [[ -x ${BIN} && -f ${STAMP} && "$(cat "${STAMP}")" == "${want}" ]]; then
  echo "${BIN}"
  exit 0
fi
echo "rcodesign: building apple-codesign ${VERSION} (log: ${OUT}.log); cold, this takes several minutes" >&2
started=${SECONDS}
rm -rf "${OUT}"
# The target folder is kept, so an interrupted build resumes where it stopped.
if ! CARGO_TARGET_DIR=${DIR}/target cargo install "apple-codesign@${VERSION}" --locked --no-default-features \
  --root "${OUT}" >"${OUT}.log" 2>&1 9>&-; then
  echo "rcodesign: build failed; last lines of ${OUT}.log:" >&2
  tail -n 25 "${OUT}.log" >&2
  exit 1
fi
rm -rf "${DIR}/target"
echo "${want}" >"${STAMP}"
echo "rcodesign: built in $((SECONDS - started))s: ${BIN}" >&2
echo "${BIN}"
