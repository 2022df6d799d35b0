// The models a command runs: --model may repeat (an ensemble), and a folder stands for the folds that
// `train --folds` wrote in it, as its folds.json lists them.
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';

import { Ensemble } from '../inference/ensemble.js';
import { FOLDS_FILE } from './train_folds.js';

/** commander's collector for a repeatable --model. */
export function repeatable(text: string, previous: string[] = []): string[] {
  return [...previous, text];
}

/** The model files: each file as it is, each folder's folds from its folds.json. */
export async function modelFiles(models: readonly string[]): Promise<string[]> {
  const files: string[] = [];
  for (const model of models) {
    const info = await stat(model).catch(() => undefined);
    if (!info?.isDirectory()) {
      files.push(model); // a missing file fails where it loads, with the loader's message
      continue;
    }
    const summary = join(model, FOLDS_FILE);
    let listed: unknown;
    try {
      listed = JSON.parse(await readFile(summary, 'utf8')).models;
    } catch (error) {
      throw new Error(`--model ${model}: a folder must hold the ${FOLDS_FILE} of 'train --folds' (${(error as Error).message})`, { cause: error });
    }
    if (!Array.isArray(listed) || listed.length === 0 || !listed.every((name) => typeof name === 'string')) {
      throw new Error(`--model ${model}: ${summary} lists no models`);
    }
    files.push(...listed.map((name: string) => join(model, name)));
  }
  return files;
}

/** The models of --model as one ensemble (one model is an ensemble of one). */
export async function loadModels(models: readonly string[]): Promise<Ensemble> {
  return Ensemble.load(await modelFiles(models));
}
