// The one place the native addon is loaded. Everything else imports `native` from here.
// A build from source (build/Release) is loaded as it is. A prebuilt addon (prebuilds/, picked by node-gyp-build)
// comes with a record of the libtorch it was built against (scripts/prebuild-record.js), and that libtorch is looked
// for before the addon is loaded: libtorch builds are not ABI-compatible across versions, and a wrong one can crash
// the process instead of failing. Where the check cannot be sure, a child process loads the addon first.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, realpathSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

import type { NativeAddon } from './contract.js';

/** Where to look, and what the dynamic linker will see. The options exist for the tests; the package uses the defaults. */
export interface LoadOptions {
  /** The package folder, holding build/ and prebuilds/. */
  root?: string;
  /** The environment of the process that will load the addon (LD_LIBRARY_PATH). */
  env?: NodeJS.ProcessEnv;
  /** Folders that stand in for the ld.so cache and the system's library folders. */
  systemDirs?: string[];
}

export interface LoadedAddon {
  addon: NativeAddon;
  /** The file loaded. */
  path: string;
  /** The libtorch that a prebuild was checked against; undefined for a build from source. */
  libtorch: FoundLibtorch | undefined;
}

/** What scripts/prebuild-record.js writes beside a prebuild, as <prebuild>.json. */
interface PrebuildRecord {
  libtorch: { version: string; flavour: string; libraries: string[]; debianPackage: string | null };
  runpath: string[];
  builtWith: { os: string };
}

export interface FoundLibtorch {
  file: string;
  version: string | undefined;
  flavour: 'cpu' | 'cuda';
}

interface SearchPlace {
  label: string;
  find(soname: string): string | undefined;
  dirs(): string[];
}

// lib/binding/ under tsx, dist/binding/ once compiled: the package root is two levels up either way.
const packageRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const requireHere = createRequire(import.meta.url);

const buildCommands = [
  '      npm rebuild torch-unet --build-from-source',
  '    with LIBTORCH=/path/to/libtorch set for a libtorch outside the system (a CUDA build, say);',
  '    where npm skips install scripts: npm explore torch-unet -- npm run build:from-source',
  "See the README's Install section.",
];
const fromSource = ['  - or build torch-unet from source against the libtorch you have (needs g++ and make, or cmake):', ...buildCommands];

function failure(problem: string[], fixes: string[], heading = 'To fix it, either:'): Error {
  return new Error(
    [
      `torch-unet: the native addon could not be loaded on ${process.platform}-${process.arch} (Node ${process.version}).`,
      ...problem,
      heading,
      ...fixes,
    ].join('\n'),
  );
}

function numbers(version: string): number[] {
  return (version.match(/^(\d+)\.(\d+)(?:\.(\d+))?/) ?? []).slice(1).filter(Boolean).map(Number);
}

/** major.minor, the part of a libtorch version its ABI follows. */
function release(version: string): string {
  return numbers(version).slice(0, 2).join('.');
}

function readText(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

// Debian names the file after the version (libtorch.so.1.13.0); a libtorch zip has build-version, a pip torch
// version.py, and any install with headers torch/version.h.
function versionOf(library: string): string | undefined {
  const real = realpathSync(library);
  const named = real.match(/\.so\.(\d+\.\d+\.\d+)$/);
  if (named) return named[1];
  const prefix = dirname(dirname(real));
  const candidates: [string, RegExp][] = [
    [join(prefix, 'build-version'), /^\s*(\d+\.\d+\.\d+\S*)/],
    [join(prefix, 'version.py'), /__version__\s*=\s*['"]([^'"]+)['"]/],
    [join(prefix, 'include', 'torch', 'version.h'), /#define TORCH_VERSION\s*\\?\s*"([^"]+)"/],
  ];
  for (const [file, pattern] of candidates) {
    const version = readText(file)?.match(pattern)?.[1];
    if (version) return version;
  }
  return undefined;
}

function describe(library: string): FoundLibtorch {
  const folder = readdirSync(dirname(library));
  const flavour = folder.some((name) => name.startsWith('libtorch_cuda.so')) ? 'cuda' : 'cpu';
  return { file: library, version: versionOf(library), flavour };
}

function foundText(found: FoundLibtorch): string {
  return `libtorch ${found.version ?? '(version unknown)'} (${found.flavour}) at ${found.file}`;
}

function inDirs(dirs: string[]): (soname: string) => string | undefined {
  return (soname) => dirs.map((dir) => join(dir, soname)).find((file) => existsSync(file));
}

// The ld.so cache, as ldconfig prints it: "\tlibtorch.so.1.13 (libc6,x86-64) => /usr/lib/.../libtorch.so.1.13".
function ldCache(): Map<string, string> {
  const entries = new Map<string, string>();
  const abi = { x64: 'x86-64', arm64: 'AArch64' }[process.arch as string] ?? '';
  for (const ldconfig of ['/sbin/ldconfig', '/usr/sbin/ldconfig']) {
    if (!existsSync(ldconfig)) continue;
    const listing = spawnSync(ldconfig, ['-p'], { encoding: 'utf8' }).stdout ?? '';
    for (const [, soname, flags, file] of listing.matchAll(/^\s+(\S+) \(([^)]*)\) => (\S+)$/gm)) {
      if ((!abi || flags.includes(abi)) && !entries.has(soname)) entries.set(soname, file);
    }
    break;
  }
  return entries;
}

// The dynamic linker's order for an object with a RUNPATH: LD_LIBRARY_PATH, the runpath, the cache, the defaults.
function searchPlaces(addon: string, record: PrebuildRecord, options: LoadOptions): SearchPlace[] {
  const libraryPath = (options.env?.LD_LIBRARY_PATH ?? '').split(':').filter(Boolean);
  const runpath = record.runpath.map((dir) => dir.replace(/\$\{?ORIGIN\}?/g, dirname(addon)));
  const places: SearchPlace[] = [
    { label: `LD_LIBRARY_PATH (${libraryPath.join(':') || 'unset'})`, find: inDirs(libraryPath), dirs: () => libraryPath },
    { label: `the prebuild's runpath (${runpath.join(':') || 'none'})`, find: inDirs(runpath), dirs: () => runpath },
  ];
  const { systemDirs } = options;
  if (systemDirs) return [...places, { label: `the system (${systemDirs.join(':')})`, find: inDirs(systemDirs), dirs: () => systemDirs }];
  const multiarch = { x64: 'x86_64-linux-gnu', arm64: 'aarch64-linux-gnu' }[process.arch as string] ?? '';
  const defaults = [`/lib/${multiarch}`, `/usr/lib/${multiarch}`, '/lib64', '/usr/lib64', '/lib', '/usr/lib'];
  // Read only when LD_LIBRARY_PATH and the runpath did not have a library.
  let cache: Map<string, string> | undefined;
  const cached = () => (cache ??= ldCache());
  return [
    ...places,
    {
      label: 'the ld.so cache',
      find: (soname) => [cached().get(soname) ?? ''].find((file) => existsSync(file)),
      dirs: () => [...new Set([...cached().values()].map((file) => dirname(file)))],
    },
    { label: `the system folders (${defaults.join(':')})`, find: inDirs(defaults), dirs: () => defaults },
  ];
}

function firstFound(places: SearchPlace[], soname: string): string | undefined {
  for (const place of places) {
    const file = place.find(soname);
    if (file) return file;
  }
  return undefined;
}

/** Another libtorch (LIBTORCH's, or where the linker looks), to say what was found instead of the one needed. */
function anyLibtorch(places: SearchPlace[], env: NodeJS.ProcessEnv): FoundLibtorch | undefined {
  const chosen = env.LIBTORCH ? [join(env.LIBTORCH, 'lib')] : [];
  for (const dir of [...chosen, ...places.flatMap((place) => place.dirs())]) {
    let names: string[] = [];
    try {
      names = readdirSync(dir);
    } catch {
      continue;
    }
    const name = names.filter((entry) => /^libtorch\.so(\.|$)/.test(entry)).sort((a, b) => b.length - a.length)[0];
    if (name) return describe(join(dir, name));
  }
  return undefined;
}

function readRecord(addon: string): PrebuildRecord | undefined {
  const text = readText(`${addon}.json`);
  if (text === undefined) return undefined;
  try {
    const record = JSON.parse(text) as PrebuildRecord;
    return Array.isArray(record.libtorch?.libraries) && typeof record.libtorch.version === 'string' ? record : undefined;
  } catch {
    return undefined;
  }
}

function installFixes(record: PrebuildRecord): string[] {
  const { version, flavour, libraries, debianPackage } = record.libtorch;
  const apt = debianPackage ? `: sudo apt-get install ${debianPackage} (the package of ${record.builtWith.os})` : '';
  return [
    `  - install libtorch ${release(version)} (${flavour})${apt},`,
    `    or put the folder that holds ${libraries.join(', ')} on LD_LIBRARY_PATH;`,
    ...fromSource,
  ];
}

/**
 * Checks a prebuild against the libtorch the dynamic linker would find. Returns that libtorch when the addon
 * can be loaded here, undefined when only loading it can tell, and throws when it does not fit.
 */
function checkPrebuild(addon: string, record: PrebuildRecord, options: LoadOptions): FoundLibtorch | undefined {
  const { version, flavour, libraries } = record.libtorch;
  const built = `The prebuilt addon ${addon} was built against libtorch ${version} (${flavour}) and needs ${libraries.join(', ')}.`;
  const places = searchPlaces(addon, record, options);
  const missing = libraries.filter((soname) => !firstFound(places, soname));
  if (missing.length) {
    const other = anyLibtorch(places, options.env ?? process.env);
    throw failure(
      [
        built,
        `Not found: ${missing.join(', ')}, looked for in ${places.map((place) => place.label).join(', ')}.`,
        other ? `Found instead: ${foundText(other)}, which the prebuild cannot use.` : 'No libtorch was found there.',
      ],
      installFixes(record),
    );
  }
  // node-gyp links with --as-needed, which may leave libtorch.so itself out: libtorch_cpu then stands for it.
  const main = ['libtorch.so', 'libtorch_cpu.so', ''].map((name) => libraries.find((soname) => soname.startsWith(name))).find(Boolean) as string;
  const found = describe(firstFound(places, main) as string);
  const sameRelease = found.version !== undefined && release(found.version) === release(version);
  if (found.flavour !== flavour || (found.version !== undefined && !sameRelease)) {
    throw failure(
      [
        built,
        `Found ${foundText(found)}. libtorch builds are not ABI-compatible across versions or flavours,`,
        'so the prebuild was not loaded.',
      ],
      installFixes(record),
    );
  }
  return numbers(found.version ?? '').join('.') === numbers(version).join('.') ? found : undefined;
}

/** Loads the addon in a child process, where a crash costs nothing; returns why it failed, if it did. */
function probe(addon: string, env: NodeJS.ProcessEnv): string | undefined {
  // Binding every symbol now turns a libtorch that lacks one into a load error instead of a crash at first use.
  const load = `try { require(${JSON.stringify(addon)}) } catch (error) { console.error(error.message); process.exit(1) }`;
  const child = spawnSync(process.execPath, ['-e', load], {
    env: { ...env, LD_BIND_NOW: '1' },
    encoding: 'utf8',
    timeout: 120_000,
  });
  if (child.error) return `a child process that loads it could not run: ${child.error.message}`;
  if (child.signal) return `loading it killed a child process with ${child.signal}`;
  if (child.status !== 0) {
    return `loading it in a child process failed: ${child.stderr.trim() || `exit status ${child.status}`}`;
  }
  return undefined;
}

function locate(root: string): string {
  const nodeGypBuild = requireHere('node-gyp-build') as { path(dir: string): string };
  try {
    return nodeGypBuild.path(root);
  } catch {
    throw failure(
      [
        `Neither a build from source (${join(root, 'build', 'Release')}) nor a prebuilt addon for ${process.platform}-${process.arch}`,
        `(${join(root, 'prebuilds')}) was found.`,
      ],
      [
        '  - build it from source; that needs g++, make and libtorch with its headers (Debian/Ubuntu: libtorch-dev):',
        ...buildCommands,
      ],
      'To fix it:',
    );
  }
}

export function loadNative(options: LoadOptions = {}): LoadedAddon {
  const root = resolve(options.root ?? packageRoot);
  const env = options.env ?? process.env;
  const path = locate(root);
  const prebuilt = path.startsWith(join(root, 'prebuilds') + sep);
  const record = prebuilt ? readRecord(path) : undefined;
  const libtorch = record ? checkPrebuild(path, record, options) : undefined;
  if (prebuilt && !libtorch) {
    const why = probe(path, env);
    if (why) {
      const built = record
        ? `The prebuilt addon ${path} was built against libtorch ${record.libtorch.version} (${record.libtorch.flavour}),`
        : `The prebuilt addon ${path} has no record of the libtorch it was built against (${path}.json),`;
      throw failure([built, `and ${why}.`], record ? installFixes(record) : fromSource);
    }
  }
  try {
    return { addon: requireHere(path) as NativeAddon, path, libtorch };
  } catch (error) {
    const install = '  - install libtorch (Debian/Ubuntu: sudo apt-get install libtorch-dev libopenblas0-openmp),';
    throw failure([`Loading ${path} failed: ${(error as Error).message}`], record ? installFixes(record) : [install, ...fromSource]);
  }
}

const loaded = loadNative();
export const native: NativeAddon = loaded.addon;
/** The addon file in use, and the libtorch a prebuild was checked against. */
export const nativeSource = { path: loaded.path, libtorch: loaded.libtorch };
