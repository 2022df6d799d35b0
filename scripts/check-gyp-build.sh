#!/usr/bin/env bash
# Compiles the same native/ sources through binding.gyp (node-gyp, the route prebuilds take) in a scratch
# copy, so the cmake-js build in build/ is left alone, then loads the result and runs one forward pass.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT

(cd "$root" && git ls-files -z --cached --others --exclude-standard | xargs -0 cp --parents -t "$scratch")
ln -s "$root/node_modules" "$scratch/node_modules"
(cd "$scratch" && npx --no-install node-gyp rebuild -j 2 >"$scratch/gyp.log" 2>&1) || { tail -50 "$scratch/gyp.log"; exit 1; }

node --input-type=module -e "
import { createRequire } from 'node:module';
const native = createRequire(import.meta.url)('$scratch/build/Release/torch_unet.node');
const model = await native.createModel({ depth: 2, baseFilters: 4 }, 'cpu', 0);
const logits = await model.forward({ data: new Float32Array(64), shape: [1, 1, 8, 8] });
if (logits.shape.join() !== '1,1,8,8') throw new Error('unexpected logits shape ' + logits.shape);
console.log('node-gyp build: loads and runs a forward pass (libtorch ' + native.backendInfo().torchVersion + ')');
"
