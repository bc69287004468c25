#!/usr/bin/env bash
# Installs the Debian 12 packages flowgrid needs to build, test and run,
# only where they are missing. Needs root (or sudo) when something is missing.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config ccache git
  protobuf-compiler protobuf-compiler-grpc libprotobuf-dev libgrpc++-dev
  libabsl-dev libseccomp-dev prometheus-cpp-dev libsqlite3-dev libyaml-cpp-dev
  nlohmann-json3-dev libgtest-dev libgmock-dev libbenchmark-dev
  python3 python3-jinja2 python3-yaml libpython3.11-dev nodejs
  python3-grpcio python3-protobuf  # the Python client (client/python)
  prometheus  # promtool and the server the observability tests start (not its service)
  chromium  # headless, for the console's browser tests (tests/console)
)

# npm installs the Node client's locked dependencies (client/node). Debian
# packages it apart from nodejs; a nodejs that bundles npm needs no more.
if ! command -v npm >/dev/null 2>&1; then
  packages+=(npm)
fi

# kubectl renders deploy/k8s in the deploy tests. Any kubectl on PATH will
# do; without one, Debian's kubernetes-client (1.20, kustomize v2.0.3, which
# the manifests are kept compatible with).
if ! command -v kubectl >/dev/null 2>&1; then
  packages+=(kubernetes-client)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "installing: ${missing[*]}" >&2
sudo_cmd=()
[ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
