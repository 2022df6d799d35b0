#!/usr/bin/env bash
# The node-gyp route (binding.gyp), which prebuilds take: builds the prebuild with scripts/prebuild.sh (in a scratch
# copy, so the cmake-js build in build/ is left alone), then loads it through the loader as an installed package
# would (PREBUILDS_ONLY makes node-gyp-build pass over build/) and runs one forward pass. Needs dist/ (build:ts).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
bash "$root/scripts/prebuild.sh"

cd "$root"
PREBUILDS_ONLY=1 node --input-type=module -e "
import { native, nativeSource } from './dist/binding/loader.js';
if (!nativeSource.path.includes('/prebuilds/')) throw new Error('loaded ' + nativeSource.path + ', not the prebuild');
const model = await native.createModel({ depth: 2, baseFilters: 4 }, 'cpu', 0);
const logits = await model.forward({ data: new Float32Array(64), shape: [1, 1, 8, 8] });
if (logits.shape.join() !== '1,1,8,8') throw new Error('unexpected logits shape ' + logits.shape);
console.log('node-gyp prebuild: ' + nativeSource.path + ' loads and runs a forward pass (libtorch ' + native.backendInfo().torchVersion + ')');
"
