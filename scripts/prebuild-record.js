#!/usr/bin/env node
// Writes <addon>.json beside a prebuilt addon: the libtorch it was built against and the shared libraries it
// needs. The loader (lib/binding/loader.ts) reads it before loading, since libtorch builds are not ABI-compatible
// across versions and a wrong one can crash the process instead of failing cleanly.
// Usage: node scripts/prebuild-record.js prebuilds/linux-x64/torch-unet.glibc.node
import { execFileSync } from 'node:child_process';
import { readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { findLibtorch } from './find-libtorch.js';

// The dynamic section names what the dynamic linker will look for, and where it looks first.
function dynamicSection(addon) {
  const text = execFileSync('readelf', ['-d', addon], { encoding: 'utf8' });
  const entries = (tag) => [...text.matchAll(new RegExp(`\\(${tag}\\)\\s+[^[]*\\[([^\\]]*)\\]`, 'g'))].map((m) => m[1]);
  return { needed: entries('NEEDED'), runpath: entries('(?:RUNPATH|RPATH)').flatMap((p) => p.split(':')) };
}

// The distribution package that owns the library, so the loader's message can name what to install.
function debianPackage(file) {
  try {
    const owner = execFileSync('dpkg', ['-S', realpathSync(file)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    return owner.split(':')[0].trim();
  } catch {
    return null;
  }
}

function osName() {
  try {
    return readFileSync('/etc/os-release', 'utf8').match(/^PRETTY_NAME="?([^"\n]*)"?$/m)?.[1] ?? process.platform;
  } catch {
    return process.platform;
  }
}

const addon = process.argv[2];
if (!addon) throw new Error('usage: node scripts/prebuild-record.js <prebuilt addon>');
const libtorch = findLibtorch();
const { needed, runpath } = dynamicSection(addon);
const libtorchLibraries = needed.filter((name) => /^lib(torch|c10)/.test(name));
if (!libtorchLibraries.length) throw new Error(`${addon} does not link libtorch; was it built by binding.gyp?`);
const record = {
  libtorch: {
    version: libtorch.version,
    flavour: libtorch.cuda ? 'cuda' : 'cpu',
    libraries: libtorchLibraries,
    libDir: libtorch.libDir,
    cxxflags: libtorch.cxxflags,
    debianPackage: debianPackage(join(libtorch.libDir, libtorchLibraries.at(-1))),
  },
  runpath,
  platform: process.platform,
  arch: process.arch,
  builtWith: { node: process.version, os: osName() },
};
writeFileSync(`${addon}.json`, `${JSON.stringify(record, null, 2)}\n`);
console.log(`prebuild-record: ${addon}.json (libtorch ${record.libtorch.version}, ${record.libtorch.flavour})`);
