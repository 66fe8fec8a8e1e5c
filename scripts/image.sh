#!/usr/bin/env bash
# The CronJob's image, from parts this machine can get: the self-contained linux executable
# (scripts/sea.mjs), kubectl, and a root filesystem made from Debian's packages with mmdebstrap — glibc,
# libstdc++, libgcc, libatomic (what the executable links), the CA certificates, a user 65532 and a
# world-writable /tmp; no shell, no package manager. No registry image is pulled: the Dockerfile starts
# FROM scratch.
#
#   scripts/image.sh                       build both targets for this machine's architecture
#   scripts/image.sh --context-only --arch amd64 --arch arm64
#                                          only prepare dist/image/linux-<arch>/ (the release's buildx)
#   scripts/image.sh --rootfs-only         only make the root filesystem, into the cache (CI, before tests)
#
# Options: --arch ARCH (amd64|arm64, repeatable; default: this machine's), --tag REPO:TAG (default
# ghcr.io/kubectl-autoupdate/kubectl-autoupdate:<package version>; the docker target gets -docker),
# --context-only, --rootfs-only. kubectl: KUBECTL_<ARCH> (e.g. KUBECTL_ARM64=/path/kubectl), else for this
# machine's architecture the one test/testbed/build.sh builds (a static Go binary, built once and cached).
# Environment: KUBECTL_AUTOUPDATE_CACHE (cache root), DEBIAN_MIRROR (default http://deb.debian.org/debian),
# KUBECTL_AUTOUPDATE_OFFLINE=1 (use the cached root filesystem, whatever its day; fail without one: tests).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

SUITE=bookworm
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
SECURITY_MIRROR=${DEBIAN_SECURITY_MIRROR:-${MIRROR%/debian}/debian-security}
# What the executable links (ldd): libc6 (libc, libm, libdl, libpthread), libstdc++6, libgcc-s1, libatomic1.
LIBRARIES=libc6,libgcc-s1,libstdc++6,libatomic1
# Debian's signing keys: every package is checked against them (also on Ubuntu, which has the package).
KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg
CACHE_ROOT=${KUBECTL_AUTOUPDATE_CACHE:-${HOME}/.cache/kubectl-autoupdate}
# 1980-01-01T00:00:00Z, as the krew archives.
EPOCH=315532800
RECIPE=3

die() { echo "image: $*" >&2; exit 1; }

archs=()
tag=""
context_only=0
rootfs_only=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    --arch) archs+=("${2:?--arch needs amd64 or arm64}"); shift 2 ;;
    --tag) tag=${2:?--tag needs REPO:TAG}; shift 2 ;;
    --context-only) context_only=1; shift ;;
    --rootfs-only) rootfs_only=1; shift ;;
    -h | --help) sed -n '2,18p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2; exit 0 ;;
    *) die "unknown argument: $1" ;;
  esac
done
host_arch=$(dpkg --print-architecture 2>/dev/null || uname -m | sed 's/x86_64/amd64/; s/aarch64/arm64/')
[[ ${#archs[@]} -gt 0 ]] || archs=("${host_arch}")
version=$(node -p 'require("./package.json").version')
tag=${tag:-ghcr.io/kubectl-autoupdate/kubectl-autoupdate:${version}}

# rootfs ARCH OUT: the base filesystem as a tar, and Debian's docker CLI beside it. Kept in the cache for
# the day (Debian's security updates arrive between days, so a day-old base is rebuilt).
rootfs() {
  local arch=$1 out=$2 key dir work cached
  key="${arch}-$(date -u +%Y%m%d)-r${RECIPE}"
  dir=${CACHE_ROOT}/image-rootfs/${key}
  if [[ -n ${KUBECTL_AUTOUPDATE_OFFLINE:-} ]]; then
    cached=$(compgen -G "${CACHE_ROOT}/image-rootfs/${arch}-*-r${RECIPE}" | tail -n 1 || true)
    [[ -n ${cached} ]] || die "KUBECTL_AUTOUPDATE_OFFLINE: no cached ${arch} root filesystem (scripts/image.sh --rootfs-only)"
    dir=${cached}
  fi
  if [[ ! -f ${dir}/rootfs.tar || ! -x ${dir}/docker || ! -f ${dir}/docker.copyright || ! -f ${dir}/Apache-2.0 ]]; then
    [[ -z ${KUBECTL_AUTOUPDATE_OFFLINE:-} ]] || die "KUBECTL_AUTOUPDATE_OFFLINE: ${dir} is incomplete (scripts/image.sh --rootfs-only)"
    command -v mmdebstrap >/dev/null || die "mmdebstrap not found (apt-get install mmdebstrap)"
    [[ -f ${KEYRING} ]] || die "${KEYRING} not found (apt-get install debian-archive-keyring)"
    echo "image: making the ${arch} root filesystem from Debian ${SUITE} (${MIRROR})" >&2
    rm -rf "${CACHE_ROOT}/image-rootfs/${arch}-"*
    work=$(mktemp -d "${CACHE_ROOT}/image-rootfs/.work-XXXXXX")
    mkdir -p "${work}/debs"
    # extract: the packages are unpacked, not installed (no maintainer scripts), so any architecture
    # works without emulation. The hook fetches three more packages we take single files from (base-files:
    # the Apache-2.0 text, kubectl's licence; installing it would bring mawk).
    if ! mmdebstrap --variant=extract --architectures="${arch}" --include="${LIBRARIES}" \
      --extract-hook="cd '${work}/debs' && APT_CONFIG=\"\$MMDEBSTRAP_APT_CONFIG\" apt-get download -q base-files ca-certificates docker.io" \
      "${SUITE}" "${work}/root" \
      "deb [signed-by=${KEYRING}] ${MIRROR} ${SUITE} main" \
      "deb [signed-by=${KEYRING}] ${MIRROR} ${SUITE}-updates main" \
      "deb [signed-by=${KEYRING}] ${SECURITY_MIRROR} ${SUITE}-security main" >"${work}/mmdebstrap.log" 2>&1; then
      tail -n 20 "${work}/mmdebstrap.log" >&2
      rm -rf "${work}"
      die "mmdebstrap failed"
    fi
    local root=${work}/root
    # Of the docs, only each package's copyright file stays: its licence, which must travel with it.
    find "${root}/usr/share/doc" -mindepth 1 \( -type f -o -type l \) ! -name copyright -delete
    find "${root}/usr/share/doc" -mindepth 1 -type d -empty -delete
    rm -rf "${root:?}/usr/share/man" "${root:?}/usr/share/info" \
      "${root:?}/usr/share/lintian" "${root:?}/usr/share/locale" "${root:?}/var/cache/apt" \
      "${root:?}/var/lib/apt" "${root:?}/var/log" "${root:?}/dev"
    # The building machine's own, which mmdebstrap copies in: a runtime mounts the pod's over them.
    rm -f "${root}/etc/resolv.conf" "${root}/etc/hostname"
    # The CA bundle, as update-ca-certificates would write it (it is ca-certificates' maintainer script).
    dpkg-deb -x "${work}/debs"/ca-certificates_*.deb "${work}/ca"
    mkdir -p "${root}/etc/ssl/certs"
    find "${work}/ca/usr/share/ca-certificates" -name '*.crt' | LC_ALL=C sort | xargs cat \
      >"${root}/etc/ssl/certs/ca-certificates.crt"
    dpkg-deb --fsys-tarfile "${work}/debs"/docker.io_*.deb |
      tar -x -C "${work}" ./usr/bin/docker ./usr/share/doc/docker.io/copyright
    printf 'root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/tmp:/sbin/nologin\n' \
      >"${root}/etc/passwd"
    printf 'root:x:0:\nnonroot:x:65532:\n' >"${root}/etc/group"
    printf 'hosts: files dns\n' >"${root}/etc/nsswitch.conf"
    mkdir -p "${root}/tmp" "${root}/usr/local/bin"
    chmod 1777 "${root}/tmp"
    tar --create --file="${work}/rootfs.tar" --directory="${root}" --sort=name --mtime=@${EPOCH} \
      --owner=0 --group=0 --numeric-owner .
    mkdir -p "${dir}"
    mv "${work}/rootfs.tar" "${dir}/rootfs.tar"
    mv "${work}/usr/bin/docker" "${dir}/docker"
    mv "${work}/usr/share/doc/docker.io/copyright" "${dir}/docker.copyright"
    dpkg-deb --fsys-tarfile "${work}/debs"/base-files_*.deb |
      tar -x -O ./usr/share/common-licenses/Apache-2.0 >"${dir}/Apache-2.0"
    rm -rf "${work}"
  fi
  [[ -n ${out} ]] || return 0
  cp "${dir}/rootfs.tar" "${out}/rootfs.tar"
  cp "${dir}/docker" "${out}/docker"
  cp "${dir}/docker.copyright" "${out}/docker.copyright"
  mkdir -p "${out}/licenses/kubectl"
  cp "${dir}/Apache-2.0" "${out}/licenses/kubectl/LICENSE"
}

# licenses OUT: the plugin's, Node.js's (inside the executable) and the bundled npm packages', for
# /usr/share/licenses/ beside kubectl's (rootfs put it there).
licenses() {
  local out=$1/licenses/kubectl-autoupdate
  mkdir -p "${out}"
  cp LICENSE dist/THIRD_PARTY_LICENSES "${out}/"
  cp "$(node --input-type=module -e 'import { nodeLicense } from "./scripts/node-binaries.mjs"; console.log(nodeLicense())')" \
    "${out}/LICENSE-node"
}

if [[ ${rootfs_only} -eq 1 ]]; then
  mkdir -p "${CACHE_ROOT}/image-rootfs"
  for arch in "${archs[@]}"; do rootfs "${arch}" ""; done
  exit 0
fi

for arch in "${archs[@]}"; do
  case "${arch}" in amd64 | arm64) ;; *) die "unsupported architecture ${arch}" ;; esac
  out=dist/image/linux-${arch}
  rm -rf "${out}"
  mkdir -p "${out}" "${CACHE_ROOT}/image-rootfs"
  var=KUBECTL_${arch^^}
  kubectl=${!var:-}
  if [[ -z ${kubectl} ]]; then
    [[ ${arch} == "${host_arch}" ]] || die "no kubectl for ${arch}: set ${var}=/path/to/kubectl"
    kubectl=$(test/testbed/build.sh)/kubectl
  fi
  # The executable, unless it is newer than the bundle (npm run pack made it already).
  exe=dist/sea/linux-${arch}/kubectl-autoupdate
  [[ -x ${exe} && ${exe} -nt dist/kubectl-autoupdate.single.cjs ]] || node scripts/sea.mjs "linux/${arch}"
  rootfs "${arch}" "${out}"
  cp "${kubectl}" "${out}/kubectl"
  cp "${exe}" "${out}/kubectl-autoupdate"
  licenses "${out}"
  chmod 0755 "${out}/kubectl" "${out}/kubectl-autoupdate" "${out}/docker"
done
[[ ${context_only} -eq 0 ]] || exit 0

# The classic builder (Debian's docker.io) builds for this machine only; buildx builds the others from
# the same context (.github/workflows/release.yml).
[[ ${#archs[@]} -eq 1 && ${archs[0]} == "${host_arch}" ]] || die "an image is built for ${host_arch} only; use --context-only and buildx for others"
docker build --quiet --build-arg "TARGETARCH=${host_arch}" --target plugin -t "${tag}" . >&2
docker build --quiet --build-arg "TARGETARCH=${host_arch}" --target with-docker -t "${tag}-docker" . >&2
echo "${tag}"
echo "${tag}-docker"
