// Where `train` writes beside the model file: model.pt -> model.best.pt, model.curves.svg, model.metrics.json.
import { basename, dirname, extname, join } from 'node:path';

/** What `train --folds` writes beside the folds' models; predict and eval read a folder's models from it. */
export const FOLDS_FILE = 'folds.json';

export interface OutputPaths {
  model: string;
  best: string;
  curves: string;
  metrics: string;
}

export function outputPaths(model: string): OutputPaths {
  const stem = join(dirname(model), basename(model, extname(model)));
  return { model, best: `${stem}.best.pt`, curves: `${stem}.curves.svg`, metrics: `${stem}.metrics.json` };
}
