#!/usr/bin/env node
// npm runs this at install time when it runs install scripts (npm 11 lists a dependency's scripts for approval
// and may skip them). The package does not need it when a prebuilt addon fits: the loader (dist/binding/loader.js) picks
// that at run time. It builds from source when asked (--build-from-source, TORCH_UNET_BUILD_FROM_SOURCE=1), or
// when no addon loads here and a C++ toolchain and libtorch are present. Nothing here touches the network.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

import { findLibtorch } from './find-libtorch.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const built = join(root, 'build', 'Release', 'torch_unet.node');
const loader = join(root, 'dist', 'binding', 'loader.js');
const requested =
  process.argv.includes('--build-from-source') ||
  process.env.npm_config_build_from_source === 'true' ||
  process.env.TORCH_UNET_BUILD_FROM_SOURCE === '1';

function has(command) {
  return spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;
}

// The loader itself, in a child process: it checks a prebuild's libtorch and probes the load, as at run time.
function loads() {
  if (!existsSync(loader)) return { ok: false, message: `${loader} is not built (npm run build:ts)` };
  const script = `try {
      const { native, nativeSource } = await import(${JSON.stringify(pathToFileURL(loader).href)});
      console.log(JSON.stringify({ path: nativeSource.path, torchVersion: native.backendInfo().torchVersion }));
    } catch (error) {
      console.error(error.message);
      process.exit(1);
    }`;
  const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
  if (child.status !== 0) return { ok: false, message: child.stderr.trim() || `the loader exited with ${child.status ?? child.signal}` };
  return { ok: true, ...JSON.parse(child.stdout.trim().split('\n').at(-1)) };
}

// Why a build from source cannot start here, if it cannot.
function cannotBuild() {
  if (!(has('c++') || has('g++')) || !(has('make') || has('cmake'))) return 'there is no g++ and make on the PATH';
  try {
    findLibtorch();
    return undefined;
  } catch (error) {
    return error.message.split('\n')[0];
  }
}

// node-gyp downloads Node's headers unless it is given local ones or has them cached; it must not download here.
function nodeHeaders() {
  const candidates = [process.env.npm_config_nodedir, resolve(process.execPath, '..', '..')].filter(Boolean);
  const nodedir = candidates.find((dir) => existsSync(join(dir, 'include', 'node', 'node_api.h')));
  if (nodedir) return [`--nodedir=${nodedir}`];
  if (existsSync(join(homedir(), '.cache', 'node-gyp', process.versions.node, 'include', 'node', 'node_api.h'))) return [];
  throw new Error(
    `torch-unet: node-gyp needs Node's headers, which are neither in ${resolve(process.execPath, '..', '..', 'include', 'node')} ` +
      'nor in its cache, and this script never downloads. Run `npx node-gyp install` once, then build again.',
  );
}

// cmake-js in a clone of the repository (a devDependency), else the node-gyp npm ships (on PATH in npm scripts).
function buildCommand() {
  if (existsSync(join(root, 'node_modules', 'cmake-js')) && has('cmake')) return ['npx', ['--no-install', 'cmake-js', 'compile']];
  const nodeGyp = process.env.npm_config_node_gyp;
  if (nodeGyp && existsSync(nodeGyp)) return [process.execPath, [nodeGyp, 'rebuild', ...nodeHeaders()]];
  if (has('node-gyp')) return ['node-gyp', ['rebuild', ...nodeHeaders()]];
  throw new Error('torch-unet: neither cmake-js nor node-gyp was found to build with; run this through npm (npm rebuild torch-unet)');
}

function build() {
  const [tool, args] = buildCommand();
  console.log(`torch-unet: building the native addon from source (${[tool, ...args].join(' ')})`);
  execFileSync(tool, args, { cwd: root, stdio: 'inherit' });
}

function main() {
  if (process.env.TORCH_UNET_SKIP_BUILD === '1') return 0;
  if (!requested) {
    if (existsSync(built)) return 0;
    const check = loads();
    if (check.ok) {
      console.log(`torch-unet: using ${check.path} (libtorch ${check.torchVersion}); nothing to build`);
      return 0;
    }
    const reason = cannotBuild();
    if (reason) {
      // The install goes on: the same message comes again, with the fixes, when torch-unet is imported.
      console.warn(check.message);
      console.warn(`torch-unet: no addon loads here, and it cannot be built from source: ${reason}.`);
      return 0;
    }
    console.log(`torch-unet: no addon loads here (${check.message.split('\n').slice(1, 2).join(' ')})`);
  } else {
    const reason = cannotBuild();
    if (reason) {
      console.error(`torch-unet: cannot build from source: ${reason}. The README's Install section says what it needs.`);
      return 1;
    }
  }
  try {
    build();
  } catch (error) {
    console.error(error.message);
    console.error('torch-unet: the native addon could not be built. See the messages above; the README says what it needs.');
    return 1;
  }
  return 0;
}

process.exit(main());
