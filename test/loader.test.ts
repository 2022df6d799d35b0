// lib/binding/loader.ts: a prebuild is checked against the libtorch the dynamic linker would find before it is loaded,
// and refused with a message that says what it needs, what was found and how to fix it. libtorch cannot be
// uninstalled for a test, so "hidden" means a search that does not reach it: LD_LIBRARY_PATH, the prebuild's
// runpath and the system folders (LoadOptions.systemDirs stands in for the ld.so cache) all point elsewhere.
// The fake prebuilds are files that are not addons at all: were one loaded in this process, the error would be
// dlopen's ("invalid ELF header"), not the loader's.
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { loadNative, native, nativeSource, type LoadOptions } from '../lib/binding/loader.js';

const repo = join(import.meta.dirname, '..');
const nativeTs = join(repo, 'lib', 'binding', 'loader.ts');
const { findLibtorch } = (await import('../scripts/find-libtorch.js' as string)) as {
  findLibtorch: () => { libDir: string; version: string };
};
const system = findLibtorch();
const systemRelease = system.version.split('.').slice(0, 2).join('.');
const otherVersion = `${Number(system.version.split('.')[0]) + 1}.0.0`;
const prebuildName = 'torch-unet.glibc.node';

interface Record {
  libtorch: { version: string; flavour: string; libraries: string[]; libDir: string; debianPackage: string | null };
  runpath: string[];
  builtWith: { node: string; os: string };
}

function record(overrides: Partial<Record['libtorch']> = {}, runpath: string[] = []): Record {
  return {
    libtorch: {
      version: system.version,
      flavour: 'cpu',
      libraries: ['libc10.so', 'libtorch_cpu.so', 'libtorch.so'],
      libDir: system.libDir,
      debianPackage: 'libtorch1.13',
      ...overrides,
    },
    runpath,
    builtWith: { node: process.version, os: 'Debian GNU/Linux 12 (bookworm)' },
  };
}

/** A package folder holding one prebuild for this platform: `addon` is copied, or a non-addon is written. */
function fakePackage(prebuildRecord: Record | undefined, addon?: string): { root: string; prebuild: string } {
  const root = mkdtempSync(join(tmpdir(), 'torch-unet-loader-'));
  const folder = join(root, 'prebuilds', `${process.platform}-${process.arch}`);
  mkdirSync(folder, { recursive: true });
  const prebuild = join(folder, prebuildName);
  if (addon) copyFileSync(addon, prebuild);
  else writeFileSync(prebuild, 'not an addon\n'.repeat(100));
  if (prebuildRecord) writeFileSync(`${prebuild}.json`, JSON.stringify(prebuildRecord));
  return { root, prebuild };
}

function emptyDir(): string {
  return mkdtempSync(join(tmpdir(), 'no-libtorch-'));
}

/** A libtorch folder with the given files, and optionally the build-version file of a libtorch zip. */
function fakeLibtorch(files: string[], buildVersion?: string): string {
  const root = mkdtempSync(join(tmpdir(), 'libtorch-'));
  mkdirSync(join(root, 'lib'));
  for (const file of files) writeFileSync(join(root, 'lib', file), '');
  if (buildVersion) writeFileSync(join(root, 'build-version'), `${buildVersion}\n`);
  return join(root, 'lib');
}

function loadError(options: LoadOptions): string {
  try {
    loadNative(options);
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error('loadNative did not throw');
}

const fixes = ['To fix it, either:', 'npm rebuild torch-unet --build-from-source', 'LIBTORCH=/path/to/libtorch'];

describe('the loader, with libtorch hidden', () => {
  it('names the libraries it did not find, where it looked, and the fixes', () => {
    const [libraryPath, runpath, systemDir] = [emptyDir(), emptyDir(), emptyDir()];
    const { root, prebuild } = fakePackage(record({}, [runpath]));
    const message = loadError({ root, env: { LD_LIBRARY_PATH: libraryPath }, systemDirs: [systemDir] });
    expect(message).toContain(`The prebuilt addon ${prebuild} was built against libtorch ${system.version} (cpu)`);
    expect(message).toContain('Not found: libc10.so, libtorch_cpu.so, libtorch.so');
    expect(message).toContain(`LD_LIBRARY_PATH (${libraryPath})`);
    expect(message).toContain(`the prebuild's runpath (${runpath})`);
    expect(message).toContain(`the system (${systemDir})`);
    expect(message).toContain('No libtorch was found there.');
    expect(message).toContain(`install libtorch ${systemRelease} (cpu): sudo apt-get install libtorch1.13`);
    for (const fix of fixes) expect(message).toContain(fix);
    expect(message).not.toContain('invalid ELF header');
  });

  it('finds the same record once the system folder is searched again (the hiding is what failed above)', () => {
    const { root } = fakePackage(record({ version: otherVersion }));
    const message = loadError({ root, env: {}, systemDirs: [system.libDir] });
    expect(message).not.toContain('Not found');
    expect(message).toContain(`Found libtorch ${system.version.split('+')[0]}`);
  });

  it('says which other libtorch it found instead', () => {
    const other = fakeLibtorch(['libtorch.so.9.9.1', 'libc10.so.9.9.1']);
    const { root } = fakePackage(record({ libraries: ['libc10.so.1.13', 'libtorch.so.1.13'] }));
    const message = loadError({ root, env: { LD_LIBRARY_PATH: other }, systemDirs: [emptyDir()] });
    expect(message).toContain('Not found: libc10.so.1.13, libtorch.so.1.13');
    expect(message).toContain(`Found instead: libtorch 9.9.1 (cpu) at ${join(other, 'libtorch.so.9.9.1')}, which the prebuild cannot use.`);

    // A libtorch chosen with LIBTORCH (for a build from source) is named too, though the linker does not look there.
    const chosen = loadError({ root, env: { LIBTORCH: dirname(other) }, systemDirs: [emptyDir()] });
    expect(chosen).toContain(`Found instead: libtorch 9.9.1 (cpu) at ${join(other, 'libtorch.so.9.9.1')}`);
  });
});

describe('the loader, with a prebuild for another libtorch', () => {
  it('refuses a prebuild recorded for another libtorch version before loading it', () => {
    const { root, prebuild } = fakePackage(record({ version: otherVersion }));
    const message = loadError({ root, env: {} });
    expect(message).toContain(`The prebuilt addon ${prebuild} was built against libtorch ${otherVersion} (cpu)`);
    expect(message).toMatch(/Found libtorch \d+\.\d+\S* \(cpu\) at \//);
    expect(message).toContain('not ABI-compatible across versions or flavours');
    for (const fix of fixes) expect(message).toContain(fix);
    expect(message).not.toContain('invalid ELF header');
  });

  it('refuses a CPU prebuild where the libtorch found is a CUDA build, and the reverse', () => {
    const cuda = fakeLibtorch(['libc10.so', 'libtorch_cpu.so', 'libtorch.so', 'libtorch_cuda.so'], '2.5.1+cu121');
    const { root } = fakePackage(record({ version: '2.5.1' }));
    const message = loadError({ root, env: { LD_LIBRARY_PATH: cuda }, systemDirs: [emptyDir()] });
    expect(message).toContain(`Found libtorch 2.5.1+cu121 (cuda) at ${join(cuda, 'libtorch.so')}`);
    expect(message).toContain('install libtorch 2.5 (cpu)');

    const cpu = fakeLibtorch(['libc10.so', 'libtorch_cpu.so', 'libtorch.so'], '2.5.1+cpu');
    const forCuda = fakePackage(record({ version: '2.5.1', flavour: 'cuda' }));
    const refused = loadError({ root: forCuda.root, env: { LD_LIBRARY_PATH: cpu }, systemDirs: [emptyDir()] });
    expect(refused).toContain('built against libtorch 2.5.1 (cuda)');
    expect(refused).toContain(`Found libtorch 2.5.1+cpu (cpu) at ${join(cpu, 'libtorch.so')}`);
  });

  it('loads an unsure prebuild (same release, another patch) in a child process first, and reports its failure', () => {
    const patch = fakeLibtorch(['libc10.so', 'libtorch_cpu.so', 'libtorch.so'], '2.5.3');
    const { root, prebuild } = fakePackage(record({ version: '2.5.1' }));
    const message = loadError({ root, env: { ...process.env, LD_LIBRARY_PATH: patch }, systemDirs: [emptyDir()] });
    expect(message).toContain(`The prebuilt addon ${prebuild} was built against libtorch 2.5.1 (cpu),`);
    expect(message).toMatch(/and loading it in a child process failed: .*invalid ELF header/);
    for (const fix of fixes) expect(message).toContain(fix);
  });

  it('reports a prebuild that crashes the child process with a signal, and does not crash itself', () => {
    const crash = join(emptyDir(), 'crash-on-load.cjs');
    // Stands for an addon whose load segfaults (a libtorch of another ABI): the child dies where it would load it.
    writeFileSync(crash, "process.dlopen = () => process.kill(process.pid, 'SIGSEGV');\n");
    const { root, prebuild } = fakePackage(undefined);
    const env = { ...process.env, NODE_OPTIONS: `--require ${crash}` };
    const message = loadError({ root, env });
    expect(message).toContain(`The prebuilt addon ${prebuild} has no record of the libtorch it was built against`);
    expect(message).toContain('and loading it killed a child process with SIGSEGV.');
    for (const fix of fixes.slice(1)) expect(message).toContain(fix);
  });

  it('says so when there is neither a build nor a prebuild', () => {
    const root = emptyDir();
    const message = loadError({ root, env: {} });
    expect(message).toContain(`Neither a build from source (${join(root, 'build', 'Release')}) nor a prebuilt addon for`);
    expect(message).toContain('To fix it:\n  - build it from source');
    expect(message).toContain('npm rebuild torch-unet --build-from-source');
  });
});

describe('the loader, with a prebuild that fits', () => {
  // A copy of the addon built here, with the record scripts/prebuild-record.js writes for it.
  function realPrebuild(version?: string): string {
    const { root, prebuild } = fakePackage(undefined, nativeSource.path);
    execFileSync(process.execPath, [join(repo, 'scripts', 'prebuild-record.js'), prebuild], { stdio: 'ignore' });
    if (version) {
      const written = JSON.parse(readFileSync(`${prebuild}.json`, 'utf8')) as Record;
      written.libtorch.version = version;
      writeFileSync(`${prebuild}.json`, JSON.stringify(written));
    }
    return root;
  }

  // In a child process, as the addon is loaded a second time from another path.
  function loadIn(root: string): { path: string; checked: string | null; torchVersion: string } {
    const script = `import { loadNative } from ${JSON.stringify(nativeTs)};
      const { addon, path, libtorch } = loadNative({ root: ${JSON.stringify(root)} });
      console.log(JSON.stringify({ path, checked: libtorch?.version ?? null, torchVersion: addon.backendInfo().torchVersion }));`;
    const child = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8' });
    expect(child.stderr).toBe('');
    return JSON.parse(child.stdout.trim().split('\n').at(-1) ?? '') as { path: string; checked: string | null; torchVersion: string };
  }

  it('loads a prebuild whose recorded libtorch is the one found, without a probe', () => {
    const root = realPrebuild();
    const loaded = loadIn(root);
    expect(loaded.path).toBe(join(root, 'prebuilds', `${process.platform}-${process.arch}`, prebuildName));
    expect(loaded.checked).not.toBeNull();
    expect(loaded.torchVersion).toBe(native.backendInfo().torchVersion);
  });

  it('loads one of another patch release after the child process loaded it', () => {
    const [major, minor, patch] = system.version.split(/[.+]/).map(Number);
    const root = realPrebuild(`${major}.${minor}.${patch + 1}`);
    const loaded = loadIn(root);
    expect(loaded.path).toContain(root);
    expect(loaded.checked).toBeNull();
  });
});

describe('the npm package', () => {
  it('holds what a user needs and nothing else', () => {
    const output = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: repo, encoding: 'utf8', stdio: 'pipe' });
    const paths = (JSON.parse(output) as { files: { path: string }[] }[])[0].files.map((file) => file.path);
    for (const needed of ['package.json', 'README.md', 'LICENSE', 'binding.gyp', 'native/addon/addon.cc', 'native/core/model/unet.cc', 'scripts/install.js', 'scripts/find-libtorch.js']) {
      expect(paths).toContain(needed);
    }
    expect(paths).toContain('dist/binding/loader.js');
    expect(paths.filter((path) => /^(test|bench|build|\.ci|node_modules)\//.test(path) || /\.(map|tgz)$/.test(path))).toEqual([]);
    const prebuilds = join(repo, 'prebuilds');
    const onDisk = existsSync(prebuilds)
      ? readdirSync(prebuilds, { recursive: true, withFileTypes: true })
          .filter((entry) => entry.isFile())
          .map((entry) => join(entry.parentPath, entry.name).slice(repo.length + 1))
      : [];
    expect(paths.filter((path) => path.startsWith('prebuilds/')).sort()).toEqual(onDisk.sort());
  });
});
