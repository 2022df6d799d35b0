// `torch-unet predict`: masks for images (files, or folders of them) at their original size, written as PNGs
// into --out, with --overlay the image with its mask drawn over it beside each; --remove-small, --keep-largest
// and --fill-holes post-process the masks. Several --model (or a folder of folds) predict as an ensemble.
import { readdir, stat } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';

import { IMAGE_EXTENSIONS, loadImage, writeMask } from '../data/index.js';
import { makeFolder, writeFileAtomic } from '../files.js';
import type { PredictOptions } from '../inference/predict.js';
import type { PostprocessOptions } from '../ops/postprocess.js';
import { overlay } from '../pictures/index.js';
import type { Precision } from '../runtime/backend.js';
import { loadModels } from './models.js';
import { createReporter, type OutputOptions } from './report.js';

export interface PredictCommandOptions extends OutputOptions {
  /** Model files, or folders of folds: several are an ensemble. */
  model: string[];
  out: string;
  overlay?: boolean;
  tile?: number;
  overlap: number;
  tta?: boolean;
  threshold: number;
  precision?: Precision;
  removeSmall?: number;
  keepLargest?: boolean;
  fillHoles?: boolean;
}

/** The files named, and the images inside the folders named, in a stable order. */
async function expandInputs(inputs: string[]): Promise<string[]> {
  const files: string[] = [];
  for (const input of inputs) {
    const info = await stat(input).catch(() => undefined);
    if (!info) throw new Error(`INPUT: ${input} does not exist`);
    if (!info.isDirectory()) {
      files.push(input);
      continue;
    }
    const names = (await readdir(input)).filter((name) => IMAGE_EXTENSIONS.includes(extname(name).toLowerCase())).sort();
    if (names.length === 0) throw new Error(`INPUT: the folder ${input} holds no PNG, JPEG, TIFF or WebP image`);
    files.push(...names.map((name) => join(input, name)));
  }
  return files;
}

export async function predict(inputs: string[], options: PredictCommandOptions): Promise<void> {
  const report = createReporter(options);
  const files = await expandInputs(inputs);
  // after the post-processing a folder of folds chose, if any
  const flags: PostprocessOptions = {
    removeSmallObjects: options.removeSmall === undefined ? undefined : { minSize: options.removeSmall },
    keepLargestComponent: options.keepLargest,
    fillHoles: options.fillHoles,
  };
  const { ensemble: model, finish } = await loadModels(options.model, flags);
  const { inChannels, classes } = model.config;
  await makeFolder(options.out);
  const predictOptions: PredictOptions = {
    output: 'mask',
    threshold: options.threshold,
    tile: options.tile === undefined ? undefined : { size: options.tile, overlap: options.overlap },
    tta: options.tta ? 'flips' : undefined,
    precision: options.precision,
    // As the CLI trains: each image standardised, natively (no copy and loop per image on the event loop).
    standardise: true,
  };

  const progress = report.items('predict', files.length);
  const written: string[] = [];
  try {
    for (const file of files) {
      const { image } = await loadImage(file, { channels: inChannels as 1 | 3 | 4 });
      const mask = await finish(await model.predict(image, predictOptions));
      const stem = basename(file, extname(file));
      const maskPath = join(options.out, `${stem}.png`);
      await writeMask(maskPath, mask, { classes });
      written.push(maskPath);
      if (options.overlay) {
        const overlayPath = join(options.out, `${stem}.overlay.png`);
        await writeFileAtomic(overlayPath, await overlay(image, mask, { classes }));
        written.push(overlayPath);
      }
      progress.tick(stem);
    }
  } finally {
    progress.stop();
    model.dispose();
  }
  report.result('predicted', { images: files.length, files: written }, `wrote ${written.length} file(s) for ${files.length} image(s) to ${options.out}`);
}
