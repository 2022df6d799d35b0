// postprocess.keepLargestComponent, fillHoles, removeSmallObjects and apply against MONAI's transforms transcribed
// on scipy (test/oracle/postprocess_case.py) on random 2D and 3D label maps and one-hot masks, every
// connectivity; hand-computed cases; predict's postprocess and the CLI's flags; errors that name the option.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { UNet, postprocess } from '../lib/index.js';
import type { PostprocessOptions, Tensor, TensorData } from '../lib/index.js';
import { random } from './helpers/data.js';
import { decode, encode, runOracle, toNumbers } from './helpers/oracle.js';
import { discs } from './helpers/shapes.js';

type Mask = { data: TensorData; shape: number[] };
type Op = 'keepLargestComponent' | 'fillHoles' | 'removeSmallObjects' | 'apply';

/** The position (one index per spatial axis) of each element of a spatial block, in raster order. */
function positions(spatial: number[]): number[][] {
  const count = spatial.reduce((a, b) => a * b, 1);
  return Array.from({ length: count }, (_, i) => {
    const position: number[] = [];
    for (let d = spatial.length - 1, rest = i; d >= 0; d--) {
      position[d] = rest % spatial[d];
      rest = Math.floor(rest / spatial[d]);
    }
    return position;
  });
}

/**
 * One plane of random shapes: ellipses (ellipsoids in 3D), some of them rings, of classes 1 .. classes - 1 drawn
 * over each other (each class at least once), with single elements punched out (holes) and scattered (specks): components of every size.
 */
function shapesPlane(spatial: number[], classes: number, next: () => number): Int32Array {
  // every class has a shape of its own, so its largest component is rarely tied with another
  const shapes = Array.from({ length: 5 + Math.floor(next() * 6) }, (_, i) => ({
    label: 1 + (i < classes - 1 ? i : Math.floor(next() * (classes - 1))),
    centre: spatial.map((size) => next() * size),
    radius: spatial.map((size) => 1.5 + next() * size * 0.3),
    ring: next() < 0.3,
  }));
  return Int32Array.from(positions(spatial), (position) => {
    let value = 0;
    for (const { label, centre, radius, ring } of shapes) {
      const distance = position.reduce((sum, p, d) => sum + ((p - centre[d]) / radius[d]) ** 2, 0);
      if (distance <= 1 && !(ring && distance < 0.3)) value = label;
    }
    const roll = next();
    if (value !== 0 && roll < 0.03) return 0;
    if (roll > 0.99) return 1 + Math.floor(next() * (classes - 1));
    return value;
  });
}

/** Label maps N x 1 x spatial (or N x spatial with `channelAxis` false) in the typed array asked for. */
function labelMaps(shape: number[], classes: number, seed: number, Data: new (values: number[]) => TensorData = Int32Array, channelAxis = true): Mask {
  const next = random(seed);
  const [count, ...rest] = shape;
  const spatial = channelAxis ? rest.slice(1) : rest;
  const values: number[] = [];
  for (let n = 0; n < count; n++) values.push(...shapesPlane(spatial, classes, next));
  return { data: new Data(values), shape };
}

/** One-hot masks N x C x spatial whose channels 1 .. C - 1 are drawn on their own (they may overlap); 0 is the rest. */
function oneHotMasks(shape: number[], seed: number, Data: new (values: number[]) => TensorData = Float32Array): Mask {
  const next = random(seed);
  const [count, channels, ...spatial] = shape;
  const plane = spatial.reduce((a, b) => a * b, 1);
  const values = new Array<number>(count * channels * plane).fill(0);
  for (let n = 0; n < count; n++) {
    const any = new Uint8Array(plane);
    for (let c = 1; c < channels; c++) {
      const drawn = shapesPlane(spatial, 2, next);
      drawn.forEach((value, i) => {
        values[(n * channels + c) * plane + i] = value;
        any[i] |= value;
      });
    }
    any.forEach((inside, i) => (values[n * channels * plane + i] = inside ? 0 : 1));
  }
  return { data: new Data(values), shape };
}

interface Case {
  name: string;
  op: Op;
  mask: Mask;
  options: Record<string, unknown>;
}

const maps2d = labelMaps([3, 1, 64, 72], 4, 1);
const plain2d = labelMaps([2, 40, 44], 3, 2, Uint8Array, false);
const binary2d = labelMaps([2, 1, 48, 48], 2, 3, Float32Array);
const oneHot2d = oneHotMasks([2, 4, 48, 56], 4);
const maps3d = labelMaps([2, 1, 20, 24, 28], 3, 5);
const oneHot3d = oneHotMasks([1, 3, 16, 20, 18], 6, Uint8Array);
const everything = { removeSmallObjects: { minSize: 10 }, keepLargestComponent: true, fillHoles: true };

const CASES: Case[] = [
  { name: '2D keep largest', op: 'keepLargestComponent', mask: maps2d, options: {} },
  { name: '2D keep largest, 4', op: 'keepLargestComponent', mask: maps2d, options: { connectivity: 4 } },
  { name: '2D keep largest of the union', op: 'keepLargestComponent', mask: maps2d, options: { independent: false } },
  { name: '2D keep largest of the union, 4', op: 'keepLargestComponent', mask: maps2d, options: { independent: false, connectivity: 4 } },
  { name: '2D keep largest of labels 2, 3', op: 'keepLargestComponent', mask: maps2d, options: { labels: [2, 3] } },
  { name: '2D fill holes', op: 'fillHoles', mask: maps2d, options: {} },
  { name: '2D fill holes, 4', op: 'fillHoles', mask: maps2d, options: { connectivity: 4 } },
  { name: '2D fill holes of label 1', op: 'fillHoles', mask: maps2d, options: { labels: [1] } },
  { name: '2D remove small', op: 'removeSmallObjects', mask: maps2d, options: { minSize: 20 } },
  { name: '2D remove small, 8', op: 'removeSmallObjects', mask: maps2d, options: { minSize: 5, connectivity: 8 } },
  { name: '2D remove small of the union', op: 'removeSmallObjects', mask: maps2d, options: { minSize: 30, independent: false } },
  { name: '2D remove small of labels 1, 3', op: 'removeSmallObjects', mask: maps2d, options: { minSize: 12, labels: [1, 3] } },
  { name: '2D apply all three', op: 'apply', mask: maps2d, options: everything },
  { name: '2D apply two', op: 'apply', mask: maps2d, options: { fillHoles: { connectivity: 4 }, keepLargestComponent: { independent: false } } },
  { name: 'N x H x W keep largest', op: 'keepLargestComponent', mask: plain2d, options: {} },
  { name: 'N x H x W fill holes', op: 'fillHoles', mask: plain2d, options: {} },
  { name: 'N x H x W remove small', op: 'removeSmallObjects', mask: plain2d, options: { minSize: 8 } },
  { name: 'binary fill holes', op: 'fillHoles', mask: binary2d, options: {} },
  { name: 'binary fill holes, 4', op: 'fillHoles', mask: binary2d, options: { connectivity: 4 } },
  { name: 'binary keep largest', op: 'keepLargestComponent', mask: binary2d, options: {} },
  { name: 'one-hot keep largest', op: 'keepLargestComponent', mask: oneHot2d, options: {} },
  { name: 'one-hot keep largest, 4', op: 'keepLargestComponent', mask: oneHot2d, options: { connectivity: 4 } },
  { name: 'one-hot keep largest of the union', op: 'keepLargestComponent', mask: oneHot2d, options: { independent: false } },
  { name: 'one-hot keep largest of channels 1, 3', op: 'keepLargestComponent', mask: oneHot2d, options: { labels: [1, 3] } },
  { name: 'one-hot fill holes', op: 'fillHoles', mask: oneHot2d, options: {} },
  { name: 'one-hot fill holes, 4', op: 'fillHoles', mask: oneHot2d, options: { connectivity: 4 } },
  { name: 'one-hot fill holes of channel 2', op: 'fillHoles', mask: oneHot2d, options: { labels: [2] } },
  { name: 'one-hot remove small', op: 'removeSmallObjects', mask: oneHot2d, options: { minSize: 15 } },
  { name: 'one-hot remove small, 8', op: 'removeSmallObjects', mask: oneHot2d, options: { minSize: 15, connectivity: 8 } },
  { name: 'one-hot remove small of the union', op: 'removeSmallObjects', mask: oneHot2d, options: { minSize: 25, independent: false } },
  { name: 'one-hot apply all three', op: 'apply', mask: oneHot2d, options: everything },
  { name: '3D keep largest', op: 'keepLargestComponent', mask: maps3d, options: {} },
  { name: '3D keep largest, 6', op: 'keepLargestComponent', mask: maps3d, options: { connectivity: 6 } },
  { name: '3D keep largest, 18', op: 'keepLargestComponent', mask: maps3d, options: { connectivity: 18 } },
  { name: '3D keep largest of the union, 18', op: 'keepLargestComponent', mask: maps3d, options: { independent: false, connectivity: 18 } },
  { name: '3D fill holes', op: 'fillHoles', mask: maps3d, options: {} },
  { name: '3D fill holes, 6', op: 'fillHoles', mask: maps3d, options: { connectivity: 6 } },
  { name: '3D fill holes, 18', op: 'fillHoles', mask: maps3d, options: { connectivity: 18 } },
  { name: '3D remove small', op: 'removeSmallObjects', mask: maps3d, options: { minSize: 10 } },
  { name: '3D remove small, 18', op: 'removeSmallObjects', mask: maps3d, options: { minSize: 10, connectivity: 18 } },
  { name: '3D remove small, 26', op: 'removeSmallObjects', mask: maps3d, options: { minSize: 10, connectivity: 26 } },
  { name: '3D remove small of the union', op: 'removeSmallObjects', mask: maps3d, options: { minSize: 20, independent: false } },
  { name: '3D apply all three', op: 'apply', mask: maps3d, options: everything },
  { name: '3D one-hot keep largest', op: 'keepLargestComponent', mask: oneHot3d, options: {} },
  { name: '3D one-hot keep largest, 6', op: 'keepLargestComponent', mask: oneHot3d, options: { connectivity: 6 } },
  { name: '3D one-hot fill holes, 18', op: 'fillHoles', mask: oneHot3d, options: { connectivity: 18 } },
  { name: '3D one-hot remove small, 26', op: 'removeSmallObjects', mask: oneHot3d, options: { minSize: 6, connectivity: 26 } },
  { name: '3D one-hot remove small of the union', op: 'removeSmallObjects', mask: oneHot3d, options: { minSize: 6, independent: false } },
];

/** Images N x 1 x H x W of several bright discs under strong noise. */
function noisyDiscs(count: number, height: number, width: number, seed: number): { data: Float32Array; shape: number[] } {
  const next = random(seed);
  const data = new Float32Array(count * height * width);
  for (let n = 0; n < count; n++) {
    const spots = Array.from({ length: 4 }, () => ({ y: next() * height, x: next() * width, r: 3 + next() * 8 }));
    for (let i = 0; i < height * width; i++) {
      const [y, x] = [Math.floor(i / width), i % width];
      const inside = spots.some((spot) => (y - spot.y) ** 2 + (x - spot.x) ** 2 < spot.r ** 2);
      data[n * height * width + i] = (inside ? 0.8 : -0.2) + 1.2 * (next() - 0.5);
    }
  }
  return { data, shape: [count, 1, height, width] };
}

const ours = (op: Op, mask: Mask, options: object) => (postprocess[op] as (m: Mask, o: object) => Promise<Tensor>)(mask, options);

/** The first elements where two results differ, for a readable failure. */
function differences(actual: TensorData, expected: TensorData): string {
  const [a, b] = [toNumbers(actual), toNumbers(expected)];
  const at = a.flatMap((value, i) => (value === b[i] ? [] : [i]));
  return `${at.length} differ, first at ${at.slice(0, 5).map((i) => `${i}: ${a[i]} vs ${b[i]}`).join(', ')}`;
}

describe('postprocess against MONAI', () => {
  it('equals MONAI on random 2D and 3D label maps and one-hot masks, every connectivity and option', async () => {
    const oracle = runOracle<{ results: Parameters<typeof decode>[0][]; ties: boolean[] }>('postprocess_case.py', {
      cases: CASES.map((item) => ({ op: item.op, mask: encode(item.mask), options: item.options })),
    });
    for (const [i, item] of CASES.entries()) {
      expect(oracle.ties[i], `${item.name}: the random masks have no ties for the largest component`).toBe(false);
      const result = await ours(item.op, item.mask, item.options);
      const expected = decode(oracle.results[i]);
      expect(result.shape, item.name).toEqual(item.mask.shape);
      expect(result.data.constructor, item.name).toBe(item.mask.data.constructor);
      const same = toNumbers(result.data).every((value, j) => value === Number(expected.data[j]));
      expect(same, `${item.name}: ${same ? '' : differences(result.data, expected.data)}`).toBe(true);
      // every case has work to do
      expect(toNumbers(result.data), `${item.name} changes the mask`).not.toEqual(toNumbers(item.mask.data));
    }
  });
});

/** A label map 1 x 1 x H x W from rows of digits. */
function grid(...rows: string[]): Mask {
  const values = rows.map((row) => row.trim().split(/\s+/).map(Number));
  return { data: Int32Array.from(values.flat()), shape: [1, 1, values.length, values[0].length] };
}

/** A 2D mask's rows as text, as grid takes them. */
function rowsOf(mask: Tensor | Mask): string[] {
  const width = mask.shape[mask.shape.length - 1];
  const values = toNumbers(mask.data);
  return Array.from({ length: values.length / width }, (_, y) => values.slice(y * width, (y + 1) * width).join(' '));
}

/** A volume 1 x 1 x size^3 with the given voxels (z, y, x) set to 1. */
function volume(size: number, voxels: number[][]): Mask {
  const data = new Uint8Array(size ** 3);
  for (const [z, y, x] of voxels) data[(z * size + y) * size + x] = 1;
  return { data, shape: [1, 1, size, size, size] };
}

describe('postprocess by hand', () => {
  it('keeps every component tied for the largest, so the result commutes with a flip', async () => {
    const mask = grid('1 1 0 0 0 0', '1 1 0 0 1 1', '0 0 0 0 1 1', '1 0 0 0 0 0', '1 0 2 2 2 0');
    const kept = await postprocess.keepLargestComponent(mask);
    expect(rowsOf(kept)).toEqual(['1 1 0 0 0 0', '1 1 0 0 1 1', '0 0 0 0 1 1', '0 0 0 0 0 0', '0 0 2 2 2 0']);
    const flip = (rows: string[]) => rows.map((row) => row.split(' ').reverse().join(' '));
    const flipped = await postprocess.keepLargestComponent(grid(...flip(rowsOf(mask))));
    expect(rowsOf(flipped)).toEqual(flip(rowsOf(kept)));
  });

  it('joins diagonal neighbours with connectivity 8 and not with 4', async () => {
    const mask = grid('1 1 0 0 0 0', '1 1 0 0 0 0', '0 0 1 0 0 0', '0 0 0 1 1 1', '0 0 0 1 1 1');
    expect(rowsOf(await postprocess.keepLargestComponent(mask))).toEqual(rowsOf(mask));
    expect(rowsOf(await postprocess.keepLargestComponent(mask, { connectivity: 4 }))).toEqual(['0 0 0 0 0 0', '0 0 0 0 0 0', '0 0 0 0 0 0', '0 0 0 1 1 1', '0 0 0 1 1 1']);
    // removeSmallObjects counts faces only by default (MONAI's connectivity=1)
    expect(rowsOf(await postprocess.removeSmallObjects(mask, { minSize: 5 }))).toEqual(['0 0 0 0 0 0', '0 0 0 0 0 0', '0 0 0 0 0 0', '0 0 0 1 1 1', '0 0 0 1 1 1']);
    expect(rowsOf(await postprocess.removeSmallObjects(mask, { minSize: 5, connectivity: 8 }))).toEqual(rowsOf(mask));
  });

  it('keeps an object of exactly minSize elements and removes one of minSize - 1, per class', async () => {
    const mask = grid('1 1 1 2 2 0', '0 0 0 2 2 0', '1 1 0 0 0 0', '1 1 0 0 0 2');
    expect(rowsOf(await postprocess.removeSmallObjects(mask, { minSize: 4 }))).toEqual(['0 0 0 2 2 0', '0 0 0 2 2 0', '1 1 0 0 0 0', '1 1 0 0 0 0']);
    expect(rowsOf(await postprocess.removeSmallObjects(mask, { minSize: 1 }))).toEqual(rowsOf(mask));
    // of the union, the bar of 1s joins the 2s beside it and stays
    expect(rowsOf(await postprocess.removeSmallObjects(mask, { minSize: 4, independent: false }))).toEqual(['1 1 1 2 2 0', '0 0 0 2 2 0', '1 1 0 0 0 0', '1 1 0 0 0 0']);
  });

  it('fills a ring and not a hole that reaches the border; connectivity is the background\'s', async () => {
    const rings = grid('0 0 0 0 0 0 0 0', '0 1 1 1 0 1 1 1', '0 1 0 1 0 1 0 0', '0 1 1 1 0 1 1 1', '0 0 0 0 0 0 0 0');
    expect(rowsOf(await postprocess.fillHoles(rings))).toEqual(['0 0 0 0 0 0 0 0', '0 1 1 1 0 1 1 1', '0 1 1 1 0 1 0 0', '0 1 1 1 0 1 1 1', '0 0 0 0 0 0 0 0']);
    // MONAI's own case: a diamond closes the centre for 4-connected background, not for 8
    const diamond = grid('0 1 0', '1 0 1', '0 1 0');
    expect(rowsOf(await postprocess.fillHoles(diamond))).toEqual(rowsOf(diamond));
    expect(rowsOf(await postprocess.fillHoles(diamond, { connectivity: 4 }))).toEqual(['0 1 0', '1 1 1', '0 1 0']);
  });

  it('fills, in a label map, only background that touches one class; one-hot channels are filled on their own', async () => {
    const nested = grid('2 2 2 2 2 2 2', '2 0 0 0 0 0 2', '2 0 1 1 1 0 2', '2 0 1 0 1 0 2', '2 0 1 1 1 0 2', '2 0 0 0 0 0 2', '2 2 2 2 2 2 2');
    // the centre is enclosed by 1 alone; the band between the rings touches 1 and 2 (MONAI's code fills all of it,
    // and the 1s, with 2)
    const filled = await postprocess.fillHoles(nested);
    expect(rowsOf(filled)[3]).toBe('2 0 1 1 1 0 2');
    expect(toNumbers(filled.data).filter((value, i) => value !== toNumbers(nested.data)[i])).toEqual([1]);
    const oneHot = { data: new Float32Array(3 * 49), shape: [1, 3, 7, 7] };
    toNumbers(nested.data).forEach((label, i) => (oneHot.data[label * 49 + i] = 1));
    const channels = await postprocess.fillHoles(oneHot);
    const channel = (c: number) => toNumbers(channels.data.subarray(c * 49, (c + 1) * 49));
    expect(channel(0)).toEqual(toNumbers(oneHot.data.subarray(0, 49)));  // the background is left as it is
    expect(channel(1).filter(Boolean)).toHaveLength(9);  // the 1s' ring, filled
    expect(channel(2).every((value) => value === 1)).toBe(true);  // everything inside the 2s' ring
  });

  it('sets removed elements of a one-hot mask to 0 in their channel only and keeps the rest as they were', async () => {
    const data = new Float32Array(2 * 12);
    // channel 1: components of 3 and 1 elements, values 0.5; channel 0 left as given
    [0, 1, 2, 9].forEach((i) => (data[12 + i] = 0.5));
    data.fill(1, 0, 12);
    const kept = await postprocess.keepLargestComponent({ data, shape: [1, 2, 3, 4] });
    expect(Array.from(kept.data)).toEqual([...new Array<number>(12).fill(1), 0.5, 0.5, 0.5, ...new Array<number>(9).fill(0)]);
  });

  it('joins 3D neighbours by faces (6), edges (18) and corners (26), and fills a hollow cube', async () => {
    // a single voxel touching a pair at a corner, and another touching a pair at an edge
    const voxels = volume(5, [[0, 0, 0], [1, 1, 1], [1, 1, 2], [4, 0, 4], [3, 1, 4], [3, 2, 4]]);
    const count = async (connectivity: 6 | 18 | 26) => toNumbers((await postprocess.removeSmallObjects(voxels, { minSize: 2, connectivity })).data).filter(Boolean).length;
    expect([await count(6), await count(18), await count(26)]).toEqual([4, 5, 6]);
    const shell: number[][] = [];
    for (const [z, y, x] of positions([3, 3, 3])) if (z !== 1 || y !== 1 || x !== 1) shell.push([z + 1, y + 1, x + 1]);
    const centre = 2 * 25 + 2 * 5 + 2;
    for (const connectivity of [6, 18, 26] as const) {
      expect((await postprocess.fillHoles(volume(5, shell), { connectivity })).data[centre], `hollow cube, ${connectivity}`).toBe(1);
    }
    // without one edge voxel, the centre reaches the outside through it for 18 and 26, not for 6
    const open = volume(5, shell.filter(([z, y, x]) => !(z === 1 && y === 1 && x === 2)));
    const centres = await Promise.all(([6, 18, 26] as const).map(async (connectivity) => (await postprocess.fillHoles(open, { connectivity })).data[centre]));
    expect(centres).toEqual([1, 0, 0]);
  });

  it('applies its transforms in a fixed order: small objects, largest component, holes', async () => {
    // the speck of 2 keeps the ring's hole from being one until it is removed; the pair of 1s outlives minSize
    // and goes with keepLargestComponent
    const mask = grid('1 1 1 1 1 0 0', '1 0 0 0 1 0 1', '1 0 2 0 1 0 1', '1 0 0 0 1 0 0', '1 1 1 1 1 0 0');
    const options: PostprocessOptions = { fillHoles: true, keepLargestComponent: true, removeSmallObjects: { minSize: 2 } };
    const expected = ['1 1 1 1 1 0 0', '1 1 1 1 1 0 0', '1 1 1 1 1 0 0', '1 1 1 1 1 0 0', '1 1 1 1 1 0 0'];
    expect(rowsOf(await postprocess.apply(mask, options))).toEqual(expected);
    expect(rowsOf(await postprocess.apply(mask, {}))).toEqual(rowsOf(mask));
  });
});

describe('postprocess in predict and the CLI', () => {
  let model: UNet;
  let binary: UNet;
  const scratch = mkdtempSync(join(tmpdir(), 'torch-unet-postprocess-'));

  // trained a little on discs, so their masks of noisy discs have specks, holes and several components
  beforeAll(async () => {
    model = await UNet.create({ baseFilters: 4, depth: 2, classes: 3, device: 'cpu', seed: 4 });
    binary = await UNet.create({ baseFilters: 4, depth: 2, device: 'cpu', seed: 5 });
    await model.fit(discs(16, 32, 1), { epochs: 2, batchSize: 4, lr: 1e-2 });
    await binary.fit(discs(16, 32, 2), { epochs: 2, batchSize: 4, lr: 1e-2 });
  });

  afterAll(() => {
    model.dispose();
    binary.dispose();
    rmSync(scratch, { recursive: true, force: true });
  });

  const options: PostprocessOptions = { removeSmallObjects: { minSize: 6 }, keepLargestComponent: { connectivity: 4 }, fillHoles: true };

  it('predict with postprocess equals postprocess.apply on its mask, with tiles, TTA and batching', async () => {
    const x = noisyDiscs(3, 40, 48, 7);
    for (const [net, extra] of [[model, {}], [binary, {}], [model, { tile: { size: 32 }, tta: 'flips' }]] as const) {
      const mask = await net.predict(x, extra);
      const cleaned = await net.predict(x, { ...extra, postprocess: options });
      expect(cleaned).toMatchObject({ dtype: 'uint8', shape: [3, 1, 40, 48] });
      expect(toNumbers(cleaned.data)).toEqual(toNumbers((await postprocess.apply(mask, options)).data));
      expect(toNumbers(cleaned.data)).not.toEqual(toNumbers(mask.data));
    }
    // calls batched together keep their own postprocess (part of the batch's key) and get their own images
    const batching = { maxBatchSize: 4, maxQueueDelayMs: 20 };
    const singles = [0, 1, 2].map((n) => ({ data: x.data.subarray(n * 1920, (n + 1) * 1920), shape: [1, 1, 40, 48] }));
    const [a, b, c] = await Promise.all([
      model.predict(singles[0], { batching, postprocess: options }),
      model.predict(singles[1], { batching }),
      model.predict(singles[2], { batching, postprocess: options }),
    ]);
    expect(toNumbers(a.data)).toEqual(toNumbers((await postprocess.apply(await model.predict(singles[0]), options)).data));
    expect(toNumbers(b.data)).toEqual(toNumbers((await model.predict(singles[1])).data));
    expect(toNumbers(c.data)).toEqual(toNumbers((await postprocess.apply(await model.predict(singles[2]), options)).data));
  });

  it('torch-unet predict --remove-small, --keep-largest and --fill-holes post-process the written masks', async () => {
    const images = join(scratch, 'images');
    mkdirSync(images);
    for (const seed of [1, 2]) {
      const pixels = Uint8Array.from(noisyDiscs(1, 40, 48, seed).data, (value) => Math.min(255, Math.max(0, Math.round((value + 0.8) * 127))));
      await sharp(pixels, { raw: { width: 48, height: 40, channels: 1 } }).png().toFile(join(images, `image${seed}.png`));
    }
    const saved = join(scratch, 'binary.pt');
    await binary.save(saved);
    const cli = (out: string, ...flags: string[]) => {
      const result = spawnSync(process.execPath, ['--import', 'tsx', join(import.meta.dirname, '..', 'lib', 'cli', 'index.ts'), 'predict', '--model', saved, images, '--out', join(scratch, out), '--quiet', ...flags], { encoding: 'utf8', timeout: 120_000 });
      expect(result.stderr).toBe('');
      expect(result.status).toBe(0);
    };
    cli('plain');
    cli('cleaned', '--remove-small', '6', '--keep-largest', '--fill-holes');
    const read = async (folder: string, name: string) => {
      const { data, info } = await sharp(join(scratch, folder, name)).extractChannel(0).raw().toBuffer({ resolveWithObject: true });
      return { data: new Uint8Array(data), shape: [1, 1, info.height, info.width] };
    };
    const names = readdirSync(join(scratch, 'plain'));
    expect(names).toEqual(['image1.png', 'image2.png']);
    for (const name of names) {
      const plain = await read('plain', name);
      const cleaned = await read('cleaned', name);
      const expected = await postprocess.apply(plain, { removeSmallObjects: { minSize: 6 }, keepLargestComponent: true, fillHoles: true });
      expect(toNumbers(cleaned.data), name).toEqual(toNumbers(expected.data));
      expect(toNumbers(cleaned.data), name).not.toEqual(toNumbers(plain.data));
    }
  });

  it('refuses postprocess with probabilities or logits, and connectivities for 3D', async () => {
    const x = noisyDiscs(1, 16, 16, 8);
    await expect(model.predict(x, { output: 'probabilities', postprocess: { fillHoles: true } })).rejects.toThrow(/options\.postprocess: needs output 'mask', got output 'probabilities'/);
    await expect(model.predict(x, { output: 'logits', postprocess: { fillHoles: true } })).rejects.toThrow(RangeError);
    await expect(model.predict(x, { postprocess: { keepLargestComponent: { connectivity: 26 } } })).rejects.toThrow(/options\.postprocess\.keepLargestComponent\.connectivity: expected 4 or 8 for a 2D mask, got 26/);
    await expect(model.predict(x, { postprocess: { fillHoles: 'yes' } as never })).rejects.toThrow(/options\.postprocess\.fillHoles: expected a boolean or an options object, got 'yes'/);
    await expect(model.predict(x, { postprocess: { removeSmallObjects: { minSize: 0 } } })).rejects.toThrow(/options\.postprocess\.removeSmallObjects\.minSize: expected an integer from 1/);
    // an empty postprocess is no postprocess, whatever the output
    expect((await model.predict(x, { output: 'probabilities', postprocess: {} })).dtype).toBe('float32');
  });
});

describe('postprocess refuses bad input', () => {
  const mask = grid('1 0', '0 1');
  it('with errors that name the option or the argument', async () => {
    await expect(postprocess.keepLargestComponent(mask, { connectivity: 6 })).rejects.toThrow(/options\.connectivity: expected 4 or 8 for a 2D mask, got 6/);
    await expect(postprocess.fillHoles(volume(3, [[1, 1, 1]]), { connectivity: 8 })).rejects.toThrow(/options\.connectivity: expected 6, 18 or 26 for a 3D mask, got 8/);
    await expect(postprocess.keepLargestComponent(mask, { connectivity: 5 as never })).rejects.toThrow(/options\.connectivity: expected 4 or 8 \(2D\), 6, 18 or 26 \(3D\), got 5/);
    await expect(postprocess.removeSmallObjects(mask, { minSize: 0 })).rejects.toThrow(/options\.minSize: expected an integer from 1 to 9007199254740991, got 0/);
    await expect(postprocess.removeSmallObjects(mask, { minSize: 0 })).rejects.toThrow(RangeError);
    await expect(postprocess.removeSmallObjects(mask, { minSize: 2.5 })).rejects.toThrow(/options\.minSize: expected an integer, got 2\.5/);
    await expect(postprocess.removeSmallObjects(mask, { minsize: 3 } as never)).rejects.toThrow(/options\.minsize: unknown option; expected one of minSize/);
    await expect(postprocess.apply(mask, { fillHole: true } as never)).rejects.toThrow(TypeError);
    await expect(postprocess.apply(mask, { fillHoles: 3 } as never)).rejects.toThrow(/options\.fillHoles: expected a boolean or an options object, got 3/);
    await expect(postprocess.fillHoles(mask, { labels: [-1] })).rejects.toThrow(/options\.labels\[0\]: expected an integer from 0 to 2147483647, got -1/);
    await expect(postprocess.fillHoles(mask, { labels: [1.5] })).rejects.toThrow(/options\.labels\[0\]: expected an integer, got 1\.5/);
    const oneHot = { data: new Float32Array(4 * 4), shape: [1, 4, 2, 2] };
    await expect(postprocess.keepLargestComponent(oneHot, { labels: [5] })).rejects.toThrow(/options\.labels\[0\]: expected an integer from 0 to 3, got 5/);
    await expect(postprocess.keepLargestComponent({ data: new Int32Array(4), shape: [4] })).rejects.toThrow(/mask: expected N x H x W or N x 1 x spatial/);
    await expect(postprocess.keepLargestComponent({ data: new Float32Array([0, 0.5, 1, 1]), shape: [1, 1, 2, 2] })).rejects.toThrow(/mask: a one-channel mask holds class indices \(integers\), got 0\.5/);
    await expect(postprocess.fillHoles({ data: new Int32Array([0, -2, 1, 1]), shape: [1, 1, 2, 2] })).rejects.toThrow(/mask: expected class indices from 0 to 2147483647, got -2/);
    await expect(postprocess.fillHoles({ data: [1, 2], shape: [1, 1, 1, 2] } as never)).rejects.toThrow(/mask\.data: expected a Float32Array/);
    await expect(postprocess.fillHoles({ data: new Int32Array(3), shape: [1, 1, 2, 2] })).rejects.toThrow(/mask: data has 3 elements/);
  });

  it('leaves empty masks and masks without foreground as they are', async () => {
    expect((await postprocess.keepLargestComponent({ data: new Uint8Array(0), shape: [0, 1, 4, 4] })).shape).toEqual([0, 1, 4, 4]);
    const empty = { data: new Uint8Array(16), shape: [1, 1, 4, 4] };
    for (const op of ['keepLargestComponent', 'fillHoles', 'removeSmallObjects'] as const) expect(toNumbers((await postprocess[op](empty)).data)).toEqual(new Array(16).fill(0));
  });
});
