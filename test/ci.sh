#!/usr/bin/env bash
# The whole test suite, from a fresh Debian 12 machine (as root) to a verdict:
#   1. installs what the tests need (Debian's Docker engine and distribution registry, tools),
#   2. npm ci, 3. builds or reuses the Kubernetes test bed (test/testbed/build.sh, cached),
#   4. starts a private Docker engine, 5. lint, typecheck, build, every test project, bench smoke,
#   6. stops what it started. A real part that cannot start fails the run; nothing is skipped.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
step() { printf '\n==> %s\n' "$*" >&2; }
die() { printf 'ci: %s\n' "$*" >&2; exit 1; }
started=$SECONDS

step "system packages"
packages=(docker.io docker-registry apache2-utils openssl jq curl ca-certificates tar gzip util-linux time)
missing=()
for p in "${packages[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  [ "$(id -u)" = 0 ] || die "missing Debian packages (${missing[*]}) and not root to install them"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
command -v node >/dev/null || die "node not found: install Node.js 20 or newer"
node -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 20 ? 0 : 1)' ||
  die "Node.js $(node -v) is too old: 20 or newer is needed"
GO=$(command -v go || echo /usr/local/go/bin/go)
[ -x "$GO" ] || die "go not found: the Kubernetes test bed is built from the Go module proxy (Go 1.25+)"

step "npm ci"
npm ci --no-audit --no-fund

step "Kubernetes test bed (built once, then cached in ~/.cache/kubectl-autoupdate)"
GO="$GO" test/testbed/build.sh >/dev/null

step "Docker engine"
state=$(mktemp -d /tmp/kau-ci-XXXXXX)
cleanup() { test/infra/dockerd.sh stop "$state/dockerd" || true; rm -rf "$state"; }
trap cleanup EXIT
eval "export $(test/infra/dockerd.sh start "$state/dockerd")"
docker version --format 'engine {{.Server.Version}}, client {{.Client.Version}}' >&2

step "lint, typecheck, build"
npm run lint
npm run typecheck
npm run build

step "tests: unit, integration (real engine and registries), e2e (real control plane)"
npx vitest run --reporter=default

step "benchmark smoke"
npm run bench -- --smoke

printf '\nci: all green in %ss\n' "$((SECONDS - started))" >&2
