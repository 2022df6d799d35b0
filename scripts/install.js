#!/usr/bin/env node
// npm runs this at install time. An addon that is already built is used as it is; otherwise the addon is
// built from source with cmake-js (or node-gyp when cmake is missing). Nothing here touches the network.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const addon = join(root, 'build', 'Release', 'torch_unet.node');

function has(command) {
  return spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;
}

if (process.env.TORCH_UNET_SKIP_BUILD === '1' || existsSync(addon)) process.exit(0);

const [tool, args] = has('cmake') ? ['cmake-js', ['compile']] : ['node-gyp', ['rebuild']];
console.log(`torch-unet: building the native addon from source with ${tool}`);
try {
  execFileSync('npx', ['--no-install', tool, ...args], { cwd: root, stdio: 'inherit' });
} catch {
  console.error('torch-unet: the native addon could not be built. See the messages above; scripts/setup.sh installs');
  console.error('what a Debian/Ubuntu machine needs (libtorch-dev, cmake, g++).');
  process.exit(1);
}
