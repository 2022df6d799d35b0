// Where `train` writes beside the model file: model.pt -> model.best.pt, model.curves.svg, model.metrics.json.
import { basename, dirname, extname, join } from 'node:path';

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
