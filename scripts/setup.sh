#!/usr/bin/env bash
# Sets up torch-unet on a Debian/Ubuntu machine: the system packages it needs (libtorch, Gloo's headers for
# distributed training, a fast BLAS, a C++ toolchain, python3-torch, python3-scipy and python3-matplotlib for the
# oracle tests, iproute2 for the network test and chromium for the web page's test), the npm packages from the
# lockfile, then the build.
set -euo pipefail
cd "$(dirname "$0")/.."

sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
packages=(libtorch-dev libgloo-dev libopenblas0-openmp cmake g++ make python3-torch python3-scipy python3-matplotlib clang-format iproute2 chromium)
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# libtorch runs on OpenMP: OpenBLAS's OpenMP build shares its threads, where the pthreads build (which scipy's
# packages may pull in, and which apt prefers) would start a second pool that competes with it.
openmp=/usr/lib/x86_64-linux-gnu/openblas-openmp
for library in libblas liblapack; do
  link="$library.so.3-x86_64-linux-gnu"
  if [ -e "$openmp/$library.so.3" ] && [ "$(readlink -f "/etc/alternatives/$link")" != "$openmp/$library.so.3" ]; then
    $sudo update-alternatives --quiet --set "$link" "$openmp/$library.so.3"
  fi
done

# The addon is built explicitly below, so the install script need not build it during npm ci; onnxruntime-node
# (a benchmark peer) must not fetch CUDA libraries.
ONNXRUNTIME_NODE_INSTALL_CUDA=skip TORCH_UNET_SKIP_BUILD=1 npm ci --no-audit --no-fund
npm run build
echo "setup: done ($(node dist/cli/index.js info --json))"
