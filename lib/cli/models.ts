// The models a command runs: --model may repeat (an ensemble), and a folder stands for the folds that
// `train --folds` wrote in it, as its folds.json lists them, with the post-processing chosen on their validation.
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';

import { Ensemble } from '../inference/ensemble.js';
import * as postprocess from '../ops/postprocess.js';
import type { PostprocessOptions } from '../ops/postprocess.js';
import type { Tensor } from '../tensor.js';
import { FOLDS_FILE } from './paths.js';

/** commander's collector for a repeatable --model. */
export function repeatable(text: string, previous: string[] = []): string[] {
  return [...previous, text];
}

export interface ModelSet {
  files: string[];
  /** The post-processing steps the folders' folds.json chose, in order. */
  postprocess: PostprocessOptions[];
}

/** The model files: each file as it is, each folder's folds (and chosen post-processing) from its folds.json. */
export async function modelSet(models: readonly string[]): Promise<ModelSet> {
  const set: ModelSet = { files: [], postprocess: [] };
  for (const model of models) {
    const info = await stat(model).catch(() => undefined);
    if (!info?.isDirectory()) {
      set.files.push(model); // a missing file fails where it loads, with the loader's message
      continue;
    }
    const summary = join(model, FOLDS_FILE);
    let folds: { models?: unknown; postprocess?: unknown };
    try {
      folds = JSON.parse(await readFile(summary, 'utf8'));
    } catch (error) {
      throw new Error(`--model ${model}: a folder must hold the ${FOLDS_FILE} of 'train --folds' (${(error as Error).message})`, { cause: error });
    }
    const listed = folds.models;
    if (!Array.isArray(listed) || listed.length === 0 || !listed.every((name) => typeof name === 'string')) {
      throw new Error(`--model ${model}: ${summary} lists no models`);
    }
    set.files.push(...listed.map((name: string) => join(model, name)));
    if (Array.isArray(folds.postprocess)) set.postprocess.push(...(folds.postprocess as PostprocessOptions[]));
  }
  return set;
}

export interface LoadedModels {
  ensemble: Ensemble;
  /** A mask after the folders' chosen post-processing, then the command's own (the mask itself for none). */
  finish(mask: Tensor): Promise<Tensor>;
}

/**
 * The models of --model as one ensemble (one model is an ensemble of one), and the post-processing their masks
 * take: the folders' chosen steps, then `extra` (the command's flags; keys left undefined ask for nothing).
 */
export async function loadModels(models: readonly string[], extra: PostprocessOptions = {}): Promise<LoadedModels> {
  const set = await modelSet(models);
  const steps = Object.values(extra).some((value) => value !== undefined && value !== false) ? [...set.postprocess, extra] : set.postprocess;
  const ensemble = await Ensemble.load(set.files);
  const finish = async (mask: Tensor) => {
    let result = mask;
    for (const step of steps) result = await postprocess.apply(result as Tensor<Uint8Array>, step);
    return result;
  };
  return { ensemble, finish };
}
