#!/usr/bin/env node
// Finds libtorch for both build routes (CMakeLists.txt and binding.gyp), in this order:
//   1. LIBTORCH   a libtorch folder (the unzipped C++ distribution)
//   2. Torch_DIR  the folder that holds TorchConfig.cmake
//   3. the torch package of `python3` (torch.utils.cmake_prefix_path)
//   4. the system (Debian/Ubuntu libtorch-dev, or /usr/local)
// Usage: node scripts/find-libtorch.js --json | --torch-dir | --include-dirs | --lib-dir | --ldflags | --libraries | --cxxflags | --cuda
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const CONFIG = 'TorchConfig.cmake';

function fromLibtorchFolder(root) {
  return join(root, 'share', 'cmake', 'Torch');
}

function fromPython(python) {
  try {
    const prefix = execFileSync(python, ['-c', 'import torch.utils; print(torch.utils.cmake_prefix_path)'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
      timeout: 60_000,
    }).trim();
    return prefix ? join(prefix, 'Torch') : undefined;
  } catch {
    return undefined;
  }
}

function systemCandidates() {
  const multiarch = { x64: 'x86_64-linux-gnu', arm64: 'aarch64-linux-gnu' }[process.arch] ?? '';
  return [
    `/usr/lib/${multiarch}/cmake/Torch`,
    '/usr/lib/cmake/Torch',
    '/usr/share/cmake/Torch',
    '/usr/local/lib/cmake/Torch',
    '/usr/local/share/cmake/Torch',
  ];
}

// A variable the user set on purpose must point at libtorch: falling through would silently build
// against another libtorch (say, the CPU one instead of their CUDA one).
function explicit(variable, value, dir) {
  if (existsSync(join(dir, CONFIG))) return dir;
  throw new Error(`torch-unet: ${variable}=${value} is set, but ${join(dir, CONFIG)} does not exist`);
}

// Each way is tried in order; the first whose TorchConfig.cmake exists wins.
function locateTorchDir({ env, python, systemDirs }) {
  const tried = [];
  const { LIBTORCH: libtorch, Torch_DIR: torchDir } = env;
  const ways = [
    ['LIBTORCH', () => (libtorch ? [explicit('LIBTORCH', libtorch, fromLibtorchFolder(resolve(libtorch)))] : [])],
    ['Torch_DIR', () => (torchDir ? [explicit('Torch_DIR', torchDir, resolve(torchDir))] : [])],
    ['python3 torch', () => [fromPython(python)].filter(Boolean)],
    ['system', () => systemDirs],
  ];
  for (const [way, candidates] of ways) {
    for (const dir of candidates()) {
      if (existsSync(join(dir, CONFIG))) return { way, torchDir: dir };
      tried.push(`${way}: ${dir}`);
    }
  }
  const lines = [
    'torch-unet: libtorch was not found. It is looked for in four ways, in this order:',
    '  1. LIBTORCH=/path/to/libtorch        (an unzipped libtorch C++ distribution)',
    '  2. Torch_DIR=/path/to/share/cmake/Torch (the folder holding TorchConfig.cmake)',
    '  3. the torch package of python3       (python3 -c "import torch.utils; print(torch.utils.cmake_prefix_path)")',
    '  4. the system                         (Debian/Ubuntu: sudo apt-get install libtorch-dev)',
    'Tried:',
    ...tried.map((t) => `  - ${t}`),
  ];
  throw new Error(lines.join('\n'));
}

// TorchConfig.cmake knows its install prefix relative to itself; reuse that rule rather than guessing.
function installPrefix(torchDir, config) {
  const match = config.match(/TORCH_INSTALL_PREFIX "\$\{CMAKE_CURRENT_LIST_DIR\}\/([./]+)"/);
  return resolve(torchDir, match ? match[1] : '../../..');
}

function firstExisting(paths, file) {
  return paths.find((p) => existsSync(join(p, file)));
}

function readVersion(includeDirs) {
  for (const dir of includeDirs) {
    const header = join(dir, 'torch', 'version.h');
    if (!existsSync(header)) continue;
    const text = readFileSync(header, 'utf8');
    const version = text.match(/#define TORCH_VERSION\s*\\?\s*"([^"]+)"/);
    if (version) return version[1];
  }
  return 'unknown';
}

// c10d's process groups compile only with their backend's headers (ProcessGroupGloo.hpp is empty without
// USE_C10D_GLOO): Gloo's come with a libtorch distribution or, on Debian/Ubuntu, from libgloo-dev; NCCL's with a
// CUDA build. Without them the addon builds and distributed training is refused with that reason.
function distributedDefines(includeDirs, cuda, systemIncludes) {
  const c10d = (file) => includeDirs.some((dir) => existsSync(join(dir, 'torch', 'csrc', 'distributed', 'c10d', file)));
  const header = (file) => [...includeDirs, ...systemIncludes].some((dir) => existsSync(join(dir, file)));
  const defines = [];
  if (c10d('ProcessGroupGloo.hpp') && header(join('gloo', 'config.h'))) defines.push('USE_C10D_GLOO');
  if (cuda && c10d('ProcessGroupNCCL.hpp') && header('nccl.h')) defines.push('USE_C10D_NCCL');
  return defines;
}

// The options exist for the tests; a build uses the defaults.
export function findLibtorch({ env = process.env, python = 'python3', systemDirs = systemCandidates(), systemIncludes = ['/usr/include', '/usr/local/include'] } = {}) {
  const { way, torchDir } = locateTorchDir({ env, python, systemDirs });
  const config = readFileSync(join(torchDir, CONFIG), 'utf8');
  const prefix = installPrefix(torchDir, config);
  const includeDirs = [join(prefix, 'include'), join(prefix, 'include', 'torch', 'csrc', 'api', 'include')];
  const libDir = firstExisting([join(prefix, 'lib'), resolve(torchDir, '..', '..')], 'libtorch.so');
  if (!libDir) throw new Error(`torch-unet: found ${join(torchDir, CONFIG)} (${way}) but no libtorch.so beside it`);
  const cxxFlagsInConfig = config.match(/set\(TORCH_CXX_FLAGS "([^"]*)"\)/);
  const cxxflags = env.TORCH_CXX_FLAGS ?? (cxxFlagsInConfig ? cxxFlagsInConfig[1] : '');
  const cuda = existsSync(join(libDir, 'libtorch_cuda.so'));
  const libraries = ['-lc10', '-ltorch_cpu', '-ltorch'];
  // CUDA kernels register through static initialisers: without --no-as-needed the linker drops
  // libtorch_cuda and torch::cuda::is_available() is false at run time.
  if (cuda) libraries.push('-Wl,--no-as-needed', '-ltorch_cuda', '-lc10_cuda', '-Wl,--as-needed');
  return {
    way,
    torchDir,
    prefix,
    includeDirs,
    libDir,
    cxxflags,
    cuda,
    version: readVersion(includeDirs),
    ldflags: [`-L${libDir}`, `-Wl,-rpath,${libDir}`],
    libraries,
    defines: distributedDefines(includeDirs, cuda, systemIncludes),
  };
}

function main(argv) {
  const found = findLibtorch();
  const outputs = {
    '--json': () => JSON.stringify(found, null, 2),
    '--torch-dir': () => found.torchDir,
    '--include-dirs': () => found.includeDirs.join(' '),
    '--lib-dir': () => found.libDir,
    '--ldflags': () => found.ldflags.join(' '),
    '--libraries': () => found.libraries.join(' '),
    '--cxxflags': () => found.cxxflags,
    '--cuda': () => (found.cuda ? '1' : '0'),
    '--defines': () => found.defines.join(' '),
  };
  const flag = argv[0] ?? '--json';
  if (!outputs[flag]) throw new Error(`find-libtorch: unknown flag ${flag}; use one of ${Object.keys(outputs).join(', ')}`);
  process.stdout.write(outputs[flag]());
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(new URL(import.meta.url).pathname)) {
  try {
    main(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`${error.message}\n`);
    process.exit(1);
  }
}
