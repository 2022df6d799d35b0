// k-fold cross-validation splits, seeded: scikit-learn's KFold(shuffle=True) without groups (the fold sizes differ
// by one at most), and GroupKFold's balancing with them (every image of a group, a patient or a site, in one
// fold; the largest groups placed first, each in the fold with the fewest images so far; groups of equal size in
// a seeded order, as GroupKFold(shuffle=True) does).
import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';

import { parse } from 'csv-parse/sync';

import { checkOptions, integer, seedCheck, typeError } from '../validate.js';
import { permutation, seededRandom } from './random.js';

export interface FoldOptions {
  /** Folds, from 2 to the number of images (or groups). */
  folds: number;
  /** Default 0: the same seed gives the same folds. */
  seed?: number;
  /** One group per image (the same order); images of a group never go to two folds. */
  groups?: readonly string[];
}

export interface Fold {
  /** Indices of the images to train on and of those held out, each ascending. */
  train: number[];
  validation: number[];
}

/** Which fold holds each of `count` images out. */
export function foldOfImages(count: number, options: FoldOptions): number[] {
  const { folds, seed = 0, groups } = checkOptions<FoldOptions>(options, 'options', {
    folds: integer(2, Number.MAX_SAFE_INTEGER),
    seed: seedCheck,
    groups: (value, name) => {
      if (!Array.isArray(value) || value.length !== count || value.some((group) => typeof group !== 'string' || group === '')) {
        throw typeError(name, `one non-empty string per image (${count})`, value);
      }
    },
  });
  if (folds === undefined) throw typeError('options.folds', 'an integer from 2', folds);
  const uniform = seededRandom(seed);
  const fold = new Array<number>(count);
  if (!groups) {
    if (folds > count) throw new RangeError(`options.folds: expected at most the number of images (${count}), got ${folds}`);
    const order = permutation(count, uniform);
    let start = 0;
    for (let f = 0; f < folds; f++) {
      const size = Math.floor(count / folds) + (f < count % folds ? 1 : 0);
      for (const index of order.slice(start, start + size)) fold[index] = f;
      start += size;
    }
    return fold;
  }
  const members = new Map<string, number[]>();
  groups.forEach((group, index) => members.set(group, [...(members.get(group) ?? []), index]));
  if (folds > members.size) throw new RangeError(`options.folds: expected at most the number of groups (${members.size}), got ${folds}`);
  const names = [...members.keys()];
  const shuffled = permutation(names.length, uniform).map((i) => names[i]);
  // A stable sort: groups of equal size keep their seeded order.
  const bySize = shuffled.sort((a, b) => members.get(b)!.length - members.get(a)!.length);
  const filled = new Array<number>(folds).fill(0);
  for (const group of bySize) {
    const lightest = filled.indexOf(Math.min(...filled));
    for (const index of members.get(group)!) fold[index] = lightest;
    filled[lightest] += members.get(group)!.length;
  }
  return fold;
}

/** The folds' train and validation indices. */
export function foldIndices(count: number, options: FoldOptions): Fold[] {
  const fold = foldOfImages(count, options);
  return Array.from({ length: options.folds }, (_, f) => ({
    train: fold.flatMap((g, index) => (g === f ? [] : [index])),
    validation: fold.flatMap((g, index) => (g === f ? [index] : [])),
  }));
}

/**
 * The group of each image from a CSV of two columns, image and group (a header row `image,group` is skipped);
 * an image is named by its file name or its stem. Throws naming the file and the images it lacks.
 */
export async function readGroups(path: string, names: readonly string[]): Promise<string[]> {
  let rows: string[][];
  try {
    rows = parse(await readFile(path, 'utf8'), { skip_empty_lines: true, trim: true, relax_column_count: false }) as string[][];
  } catch (error) {
    throw new Error(`groups ${path}: ${(error as Error).message}`, { cause: error });
  }
  if (rows.length && rows[0][0]?.toLowerCase() === 'image' && rows[0][1]?.toLowerCase() === 'group') rows = rows.slice(1);
  const byName = new Map<string, string>();
  for (const [i, row] of rows.entries()) {
    if (row.length !== 2 || !row[0] || !row[1]) throw new Error(`groups ${path}: row ${i + 1}: expected image,group`);
    byName.set(row[0], row[1]);
    byName.set(row[0].slice(0, row[0].length - extname(row[0]).length), row[1]);
  }
  const lacking = names.filter((name) => !byName.has(name));
  if (lacking.length) {
    const shown = lacking.slice(0, 5).join(', ') + (lacking.length > 5 ? ', ...' : '');
    throw new Error(`groups ${path}: no group for ${lacking.length} of the ${names.length} images (${shown})`);
  }
  return names.map((name) => byName.get(name)!);
}
