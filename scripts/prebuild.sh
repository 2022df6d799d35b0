#!/usr/bin/env bash
# Builds the prebuilt addon the npm package carries. prebuildify runs node-gyp (binding.gyp) in a scratch copy,
# so the cmake-js build in build/ is left alone, and leaves prebuilds/<platform>-<arch>/torch-unet.glibc.node;
# scripts/prebuild-record.js then writes beside it the libtorch it was built against, which the loader checks.
# The libtorch is the one scripts/find-libtorch.js finds (LIBTORCH=... for another one).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT

# node-gyp's default is to download Node's headers; those of the running Node are used instead, offline.
nodedir="$(node -p 'require("path").resolve(process.execPath, "..", "..")')"
if [ ! -f "$nodedir/include/node/node_api.h" ]; then
  echo "prebuild: Node's headers are not in $nodedir/include/node; install a Node that ships them" >&2
  exit 1
fi

(cd "$root" && git ls-files -z --cached --others --exclude-standard | xargs -0 cp --parents -t "$scratch")
ln -s "$root/node_modules" "$scratch/node_modules"
echo "prebuild: building with prebuildify (node-gyp) against $(node "$root/scripts/find-libtorch.js" --lib-dir)"
(cd "$scratch" && npm_config_nodedir="$nodedir" npm_config_jobs="${JOBS:-2}" npx --no-install prebuildify --napi --strip --tag-libc \
  --target "$(node -p process.versions.node)" >"$scratch/prebuild.log" 2>&1) || { tail -50 "$scratch/prebuild.log"; exit 1; }

for addon in "$scratch"/prebuilds/*/*.node; do
  (cd "$scratch" && node scripts/prebuild-record.js "$addon")
done
for folder in "$scratch"/prebuilds/*/; do
  target="$root/prebuilds/$(basename "$folder")"
  rm -rf "$target"
  mkdir -p "$root/prebuilds"
  cp -r "$folder" "$target"
  echo "prebuild: $(cd "$root" && ls prebuilds/"$(basename "$folder")"/* | tr '\n' ' ')"
done
