// The models a command runs: --model may repeat (an ensemble), and a folder stands for the folds that
// `train --folds` wrote in it, as its folds.json lists them, with the post-processing chosen on their validation.
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';

import { Ensemble } from '../inference/ensemble.js';
import * as postprocess from '../ops/postprocess.js';
import type { PostprocessOptions } from '../ops/postprocess.js';
import type { Tensor } from '../tensor.js';
import { FOLDS_FILE } from './train_folds.js';

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
  /** Applies the folders' chosen post-processing, then `extra` (the command's flags), to a mask. */
  finish(mask: Tensor, extra?: PostprocessOptions): Promise<Tensor>;
  postprocess: PostprocessOptions[];
}

/** The models of --model as one ensemble (one model is an ensemble of one), and their post-processing. */
export async function loadModels(models: readonly string[]): Promise<LoadedModels> {
  const set = await modelSet(models);
  const ensemble = await Ensemble.load(set.files);
  const finish = async (mask: Tensor, extra?: PostprocessOptions) => {
    let result = mask;
    for (const step of [...set.postprocess, ...(extra ? [extra] : [])]) result = await postprocess.apply(result as Tensor<Uint8Array>, step);
    return result;
  };
  return { ensemble, finish, postprocess: set.postprocess };
}
