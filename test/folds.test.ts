// k-fold splits (with and without groups), the groups CSV, and crossValidate's pooling and summary.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { crossValidate, foldIndices, foldOfImages, readGroups, shapes, UNet, type Dataset } from '../lib/index.js';

describe('foldOfImages and foldIndices', () => {
  it('hold every image out once, in folds whose sizes differ by one at most, the same for the same seed', () => {
    const fold = foldOfImages(23, { folds: 5, seed: 3 });
    const sizes = [0, 1, 2, 3, 4].map((f) => fold.filter((g) => g === f).length);
    expect(sizes).toEqual([5, 5, 5, 4, 4]);
    expect(foldOfImages(23, { folds: 5, seed: 3 })).toEqual(fold);
    expect(foldOfImages(23, { folds: 5, seed: 4 })).not.toEqual(fold);
    // shuffled: not the images in order
    expect(fold.slice(0, 5)).not.toEqual([0, 0, 0, 0, 0]);
    const folds = foldIndices(23, { folds: 5, seed: 3 });
    for (const [f, { train, validation }] of folds.entries()) {
      expect([...train, ...validation].sort((a, b) => a - b)).toEqual(Array.from({ length: 23 }, (_, i) => i));
      expect(validation.every((i) => fold[i] === f)).toBe(true);
      expect(train).toEqual([...train].sort((a, b) => a - b));
    }
  });

  it('keeps each group in one fold, the largest groups first into the emptiest fold (GroupKFold)', () => {
    // groups of 5, 3, 3, 2 and 1 images into 2 folds: 5 | 3, 3 -> 5 | 6, then 2 -> 7 | 6, then 1 -> 7 | 7
    const groups = ['a', 'a', 'a', 'a', 'a', 'b', 'b', 'b', 'c', 'c', 'c', 'd', 'd', 'e'];
    const fold = foldOfImages(groups.length, { folds: 2, groups, seed: 1 });
    for (const group of new Set(groups)) expect(new Set(fold.filter((_, i) => groups[i] === group)).size, group).toBe(1);
    expect([0, 1].map((f) => fold.filter((g) => g === f).length)).toEqual([7, 7]);
    expect(fold[0]).not.toBe(fold[5]); // a (5) and b (3) go to different folds
    // two groups of 3 and one of 2: the first group of 3 placed shares its fold with the 2, and which one is first
    // depends on the seed
    const even = ['a', 'a', 'a', 'b', 'b', 'b', 'c', 'c'];
    const placements = [1, 2, 3, 4, 5, 6, 7, 8].map((seed) => foldOfImages(even.length, { folds: 2, groups: even, seed }));
    for (const placed of placements) expect(placed[0] === placed[6] || placed[3] === placed[6]).toBe(true);
    expect(new Set(placements.map((placed) => placed[0] === placed[6])).size).toBe(2);
  });

  it('refuses folds it cannot make', () => {
    expect(() => foldOfImages(4, { folds: 5 })).toThrow(/options\.folds: expected at most the number of images \(4\), got 5/);
    expect(() => foldOfImages(4, { folds: 3, groups: ['a', 'a', 'b', 'b'] })).toThrow(/at most the number of groups \(2\), got 3/);
    expect(() => foldOfImages(4, { folds: 1 })).toThrow(RangeError);
    expect(() => foldOfImages(4, { folds: 2, groups: ['a', 'b'] })).toThrow(/options\.groups: expected one non-empty string per image \(4\)/);
    expect(() => foldOfImages(4, { folds: 2, grups: [] } as never)).toThrow(/grups/);
  });
});

describe('readGroups', () => {
  it('reads image,group rows by file name or stem, with or without a header, and names what it lacks', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'groups-'));
    try {
      const file = join(dir, 'groups.csv');
      writeFileSync(file, 'image,group\nimg0.png,patient 1\n"img1.png","patient, 2"\nimg2,patient 1\n');
      expect(await readGroups(file, ['img0', 'img1', 'img2'])).toEqual(['patient 1', 'patient, 2', 'patient 1']);
      await expect(readGroups(file, ['img0', 'img3', 'img4'])).rejects.toThrow(/groups\.csv: no group for 2 of the 3 images \(img3, img4\)/);
      writeFileSync(file, 'img0.png,a,extra\n');
      await expect(readGroups(file, ['img0'])).rejects.toThrow(/groups\.csv/);
      await expect(readGroups(join(dir, 'none.csv'), ['img0'])).rejects.toThrow(/none\.csv/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('crossValidate', () => {
  it('predicts each image with the model of the fold that held it out, and sums the folds up', async () => {
    const dataset: Dataset = shapes({ count: 9, size: 32, classes: 3, seed: 5 });
    const seen: { fold: number; train: string[]; validation: string[] }[] = [];
    const models: UNet[] = [];
    const result = await crossValidate(dataset, {
      folds: 3,
      seed: 2,
      train: async (fold, split) => {
        seen.push({ fold, train: split.train.names, validation: split.validation.names });
        // untrained models of different seeds: different predictions per fold
        const model = await UNet.create({ inChannels: dataset.channels, classes: 3, baseFilters: 4, depth: 2, device: 'cpu', seed: 40 + fold });
        models.push(model);
        return model;
      },
    });
    expect(seen.map((s) => s.fold)).toEqual([0, 1, 2]);
    for (const { train, validation } of seen) expect(train.filter((name) => validation.includes(name))).toEqual([]);
    expect(seen.flatMap((s) => s.validation).sort()).toEqual([...dataset.names].sort());
    // the models were disposed once they had predicted
    await expect(models[0].predict({ data: new Float32Array(dataset.channels * 32 * 32), shape: [1, dataset.channels, 32, 32] })).rejects.toThrow(/disposed/);
    // each image's pooled mask is its fold model's prediction: the same seeds give the same masks again
    const { standardise, subsetDataset } = await import('../lib/data/index.js');
    for (const [f, { validation }] of seen.entries()) {
      const model = await UNet.create({ inChannels: dataset.channels, classes: 3, baseFilters: 4, depth: 2, device: 'cpu', seed: 40 + f });
      const indices = validation.map((name) => dataset.names.indexOf(name));
      const masks = await model.predict(standardise(subsetDataset(dataset, indices).images));
      model.dispose();
      const plane = 32 * 32;
      indices.forEach((image, i) => {
        expect(result.foldOfImage[image]).toBe(f);
        expect(Array.from(result.predicted.data.subarray(image * plane, (image + 1) * plane))).toEqual(Array.from((masks.data as Uint8Array).subarray(i * plane, (i + 1) * plane)));
      });
    }
    // the summary: mean and sample standard deviation of the folds' means
    const dice = result.folds.map((fold) => fold.mean.dice as number);
    const mean = dice.reduce((a, b) => a + b, 0) / 3;
    expect(result.summary.dice.mean).toBeCloseTo(mean, 12);
    expect(result.summary.dice.sd).toBeCloseTo(Math.sqrt(dice.reduce((s, d) => s + (d - mean) ** 2, 0) / 2), 12);
    expect(result.scores.perImage.dice).toHaveLength(9);
    await expect(crossValidate(dataset, { folds: 3 } as never)).rejects.toThrow(/options\.train: expected a function/);
  });
});
