// The 95th-percentile Hausdorff distance of torch-unet (metrics.hausdorff) against MONAI's algorithm on scipy
// (bench/surface_monai.py) in the same run, on a batch of 16 masks of 256 x 256 with many nuclei-like blobs and on
// one 128 x 128 x 128 volume. Usage: npx tsx bench/surface.ts [--quick] [--json PATH]
// The sides take turns in blocks of runs; both answers are checked to agree before anything is timed.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

import { seededRandom } from '../lib/data/random.js';
import { metrics } from '../lib/index.js';
import { environment, median, PythonPeer } from './peer.js';

interface Masks {
  data: Float32Array;
  shape: number[];
}

/**
 * A truth of `blobs` ellipses (ellipsoids) per image and a prediction of the same blobs moved and resized a
 * little, with a few false blobs: what a decent model's masks look like against their truth.
 */
function maskPair(shape: number[], blobs: number, radius: [number, number], seed: number): { pred: Masks; target: Masks } {
  const next = seededRandom(seed);
  const [count, , ...spatial] = shape;
  const size = spatial.reduce((a, b) => a * b, 1);
  const pred = new Float32Array(count * size);
  const target = new Float32Array(count * size);
  const strides = spatial.map((_, d) => spatial.slice(d + 1).reduce((a, b) => a * b, 1));
  const draw = (into: Float32Array, offset: number, centre: number[], radii: number[]) => {
    const low = centre.map((c, d) => Math.max(0, Math.floor(c - radii[d])));
    const high = centre.map((c, d) => Math.min(spatial[d] - 1, Math.ceil(c + radii[d])));
    const visit = (d: number, index: number, sum: number) => {
      if (d === spatial.length) {
        if (sum <= 1) into[offset + index] = 1;
        return;
      }
      for (let p = low[d]; p <= high[d]; p++) visit(d + 1, index + p * strides[d], sum + ((p - centre[d]) / radii[d]) ** 2);
    };
    visit(0, 0, 0);
  };
  for (let n = 0; n < count; n++) {
    for (let b = 0; b < blobs; b++) {
      const centre = spatial.map((s) => next() * s);
      const radii = spatial.map(() => radius[0] + next() * (radius[1] - radius[0]));
      draw(target, n * size, centre, radii);
      if (next() < 0.9) draw(pred, n * size, centre.map((c) => c + (next() - 0.5) * 4), radii.map((r) => r * (0.8 + next() * 0.4)));
    }
    for (let b = 0; b < Math.max(1, blobs / 10); b++) draw(pred, n * size, spatial.map((s) => next() * s), spatial.map(() => radius[0]));
  }
  return { pred: { data: pred, shape }, target: { data: target, shape } };
}

const { values: args } = parseArgs({ options: { quick: { type: 'boolean' }, json: { type: 'string' } } });
const rounds = args.quick ? 2 : 5;
const CASES = [
  { name: '16 x 256 x 256', shape: [16, 1, 256, 256], blobs: 30, radius: [4, 12] as [number, number], runs: 3 },
  { name: '128 x 128 x 128', shape: [1, 1, 128, 128, 128], blobs: 12, radius: [8, 24] as [number, number], runs: 1 },
];

const directory = mkdtempSync(join(tmpdir(), 'surface-bench-'));
const monai = new PythonPeer(join(import.meta.dirname, 'surface_monai.py'));
const rows = [];
try {
  for (const [i, item] of CASES.entries()) {
    const { pred, target } = maskPair(item.shape, item.blobs, item.radius, 7 + i);
    const files = ['pred', 'target'].map((side) => join(directory, `${i}-${side}.bin`));
    writeFileSync(files[0], pred.data);
    writeFileSync(files[1], target.data);
    await monai.ask({ case: item.name, pred: files[0], target: files[1], shape: item.shape });
    // Same answers first (float32 distances on MONAI's side).
    const theirs = await monai.ask<{ ms: number[]; values: number[] }>({ case: item.name, runs: 1, percentile: 95 });
    const ours = await metrics.hausdorff(pred, target, { percentile: 95, reduction: 'none' });
    const worst = theirs.values.reduce((max, value, j) => Math.max(max, Math.abs(value - ours.data[j]) / Math.max(1, value)), 0);
    if (!(worst < 1e-5)) throw new Error(`${item.name}: ours and MONAI's differ by ${worst}`);
    const oursMs: number[] = [];
    const monaiMs: number[] = [];
    for (let round = 0; round < rounds; round++) {
      for (let run = 0; run < item.runs; run++) {
        const start = performance.now();
        await metrics.hausdorff(pred, target, { percentile: 95, reduction: 'none' });
        oursMs.push(performance.now() - start);
      }
      monaiMs.push(...(await monai.ask<{ ms: number[] }>({ case: item.name, runs: item.runs, percentile: 95 })).ms);
    }
    const row = { masks: item.name, oursMs: median(oursMs), monaiMs: median(monaiMs), speedup: median(monaiMs) / median(oursMs), meanHd95: Array.from(ours.data as Float32Array).reduce((a, b) => a + b, 0) / ours.data.length };
    rows.push(row);
    console.log(`${row.masks}: ours ${row.oursMs.toFixed(1)} ms, MONAI on scipy ${row.monaiMs.toFixed(1)} ms, ${row.speedup.toFixed(1)}x faster (mean HD95 ${row.meanHd95.toFixed(2)}, answers equal)`);
  }
} finally {
  monai.close();
  rmSync(directory, { recursive: true, force: true });
}
if (args.json) writeFileSync(args.json, JSON.stringify({ environment: environment(), rows }, null, 2));
