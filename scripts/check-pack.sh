#!/usr/bin/env bash
# What a user gets from npm: packs the package, checks the tarball holds what a user needs and nothing else,
# installs it in a fresh project with no compiler on the PATH and no network, then runs `npx torch-unet info`
# and a forward pass. Needs the prebuild (scripts/prebuild.sh; check-gyp-build.sh runs it) and dist/
# (npm run build:ts). The dependencies come from npm's cache, where npm ci put them, at the lockfile's versions.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$root"

ls prebuilds/*/*.node >/dev/null 2>&1 || { echo "check-pack: no prebuild in prebuilds/; run bash scripts/prebuild.sh" >&2; exit 1; }
[ -f dist/index.js ] || { echo "check-pack: dist/ is not built; run npm run build:ts" >&2; exit 1; }

# 1. The tarball's contents.
npm pack --json --ignore-scripts --pack-destination "$work" 2>/dev/null >"$work/pack.json"
node --input-type=module - "$work/pack.json" <<'JS'
import { readFileSync } from 'node:fs';
const [{ filename, files, size }] = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const paths = files.map((file) => file.path);
const required = ['package.json', 'README.md', 'dist/index.js', 'dist/binding/loader.js', 'dist/cli/index.js', 'binding.gyp',
  'native/addon/addon.cc', 'native/core/model/unet.cc', 'scripts/install.js', 'scripts/find-libtorch.js', 'dist/server/plugin.js',
  'web/index.html', 'web/app.js', 'web/style.css'];
const missing = required.filter((path) => !paths.includes(path));
if (!paths.some((path) => /^prebuilds\/linux-x64\/[^/]+\.node$/.test(path))) missing.push('prebuilds/linux-x64/*.node');
if (!paths.some((path) => /^prebuilds\/linux-x64\/[^/]+\.node\.json$/.test(path))) missing.push('prebuilds/linux-x64/*.node.json');
const unwanted = paths.filter((path) => /^(test|bench|build|\.ci|docs|node_modules)\//.test(path) || /\.(map|tgz|log)$/.test(path));
if (missing.length || unwanted.length) {
  console.error(`check-pack: ${filename}: missing ${missing.join(', ') || 'nothing'}; unwanted ${unwanted.join(', ') || 'nothing'}`);
  process.exit(1);
}
console.log(`check-pack: ${filename}: ${paths.length} files, ${(size / 1e6).toFixed(1)} MB packed`);
JS
tarball="$(ls "$work"/*.tgz)"

# 2. A fresh project whose lockfile pins the tarball's dependencies at our lockfile's versions, so that npm can
#    install them from its cache without asking the registry which versions exist.
mkdir "$work/project"
node --input-type=module - "$root" "$tarball" "$work/project" <<'JS'
import { readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
const [root, tarball, project] = process.argv.slice(2);
const ours = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8'));
const spec = `file:../${basename(tarball)}`;
const manifest = { name: 'torch-unet-pack-check', version: '1.0.0', private: true, type: 'module', dependencies: { 'torch-unet': spec } };
const { version, license, dependencies, bin, engines } = ours;
const packages = {
  '': { name: manifest.name, version: manifest.version, dependencies: manifest.dependencies },
  'node_modules/torch-unet': { version, resolved: spec, hasInstallScript: true, license, dependencies, bin, engines },
};
for (const [path, entry] of Object.entries(lock.packages)) {
  if (path && !entry.dev && !entry.devOptional && !entry.link) packages[path] = entry;
}
writeFileSync(join(project, 'package.json'), JSON.stringify(manifest, null, 2));
writeFileSync(join(project, 'package-lock.json'), JSON.stringify({ name: manifest.name, version: manifest.version, lockfileVersion: 3, requires: true, packages }, null, 2));
JS

# 3. A PATH without a compiler or a build tool: every program of the PATH but those.
mkdir "$work/bin"
IFS=: read -ra dirs <<<"$PATH"
for dir in "${dirs[@]}"; do
  for tool in "$dir"/*; do
    name="$(basename "$tool")"
    case "$name" in
      cc | c++ | c89 | c99 | cpp* | gcc* | g++* | clang* | cmake* | make | gmake | ld | ld.* | *-linux-gnu-* | node-gyp) continue ;;
    esac
    [ -x "$tool" ] && [ ! -e "$work/bin/$name" ] && ln -s "$tool" "$work/bin/$name"
  done
done
for tool in g++ cc c++ cmake make; do
  if PATH="$work/bin" command -v "$tool" >/dev/null; then echo "check-pack: $tool is still on the filtered PATH" >&2; exit 1; fi
done

# 4. No network: a network namespace of its own where the kernel allows one, npm --offline (it answers from its
#    cache, keyed by the registry's addresses, or fails), and proxies that do not answer.
isolate=()
if unshare -rn true 2>/dev/null; then isolate=(unshare -rn); fi
offline=(env PATH="$work/bin" HTTP_PROXY=http://127.0.0.1:9 HTTPS_PROXY=http://127.0.0.1:9 http_proxy=http://127.0.0.1:9
  https_proxy=http://127.0.0.1:9 npm_config_update_notifier=false)
cat >"$work/forward.js" <<'JS'
import { UNet } from 'torch-unet';
const model = await UNet.create({ inChannels: 1, classes: 1, depth: 2, baseFilters: 4, seed: 0 });
const logits = await model.forward({ data: new Float32Array(2 * 16 * 16).fill(0.5), shape: [2, 1, 16, 16] });
if (logits.shape.join() !== '2,1,16,16' || !logits.data.every(Number.isFinite)) throw new Error(`bad logits ${logits.shape}`);
console.log(`check-pack: forward pass from the installed tarball: logits ${logits.shape.join('x')}`);
// The server's page and metadata, from the installed files (web/ is found beside dist/).
const { default: Fastify } = await import('fastify');
const { servePlugin } = await import('torch-unet');
const app = Fastify();
await app.register(servePlugin, { models: { shapes: model } });
const page = await app.inject('/');
const metadata = await app.inject('/v2/models/shapes');
if (page.statusCode !== 200 || !page.body.includes('app.js') || metadata.json().parameters?.minSize !== 4) {
  throw new Error(`the server from the installed tarball: page ${page.statusCode}, metadata ${metadata.body}`);
}
console.log('check-pack: the installed server answers its page and the model metadata');
await app.close();
model.dispose();
JS

# 5. Twice: as npm installs by default (npm 11 runs the install script with a notice; later releases skip it),
#    and with --ignore-scripts, as the prebuild must not need the script. Then what a user runs.
for scripts in --foreground-scripts --ignore-scripts; do
  project="$work/project-${scripts#--}"
  cp -r "$work/project" "$project"
  cd "$project"
  echo "check-pack: npm install $scripts in $project (no compiler; ${isolate[*]:-npm --offline} for the network)"
  if ! "${isolate[@]}" "${offline[@]}" npm install --offline --no-audit --no-fund "$scripts" >install.log 2>&1; then
    cat install.log
    exit 1
  fi
  grep -E "^torch-unet|^added" install.log || true
  if grep -q "building the native addon" install.log || [ -e node_modules/torch-unet/build ]; then
    echo "check-pack: the install compiled something" >&2
    exit 1
  fi
  "${isolate[@]}" "${offline[@]}" npx --offline torch-unet info
  cp "$work/forward.js" .
  "${isolate[@]}" "${offline[@]}" node forward.js
done

# 6. The installed prebuild, recorded for another libtorch: refused with the loader's message, not a crash.
sed -i 's/"version": "[^"]*"/"version": "9.9.0"/' node_modules/torch-unet/prebuilds/*/*.node.json
status=0
"${isolate[@]}" "${offline[@]}" npx --offline torch-unet info >refused.log 2>&1 || status=$?
if [ "$status" -ne 1 ] || ! grep -q "built against libtorch 9.9.0" refused.log || ! grep -q "npm rebuild torch-unet --build-from-source" refused.log; then
  echo "check-pack: a prebuild for libtorch 9.9.0 was not refused with the loader's message (exit $status):" >&2
  cat refused.log >&2
  exit 1
fi
echo "check-pack: a prebuild recorded for libtorch 9.9.0 is refused: $(grep -m1 '^Found' refused.log)"
