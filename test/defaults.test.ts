// Every default the TypeScript documentation states ("Default X." in an option's doc comment) is the one the
// core uses (native.defaults()), and every default the core has for these options is documented: the two
// cannot drift apart.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import ts from 'typescript';
import { describe, expect, it } from 'vitest';

import { nativeDefaults as core } from '../lib/binding/defaults.js';
import { defaultAugment, defaultLoss } from '../lib/index.js';

const lib = join(import.meta.dirname, '..', 'lib');

/** property -> the text after "Default" in its doc comment, for one interface of one file. */
function documented(file: string, name: string): Map<string, string> {
  const source = ts.createSourceFile(file, readFileSync(join(lib, file), 'utf8'), ts.ScriptTarget.Latest, true);
  const found = new Map<string, string>();
  let seen = false;
  source.forEachChild((node) => {
    if (!ts.isInterfaceDeclaration(node) || node.name.text !== name) return;
    seen = true;
    for (const member of node.members) {
      const docs = ts.getJSDocCommentsAndTags(member).map((doc) => ts.getTextOfJSDocComment(doc.comment) ?? '').join(' ');
      const match = docs.match(/\bDefault:?\s+(.+?)(?:\.\s|\.$|$)/);
      if (match && member.name && ts.isIdentifier(member.name)) found.set(member.name.text, match[1]);
    }
  });
  if (!seen) throw new Error(`${file}: no interface ${name}`);
  return found;
}

/** The value a documented default names: a literal (number, string, boolean) or one of the words below. */
function value(text: string): unknown {
  const literal = text.match(/^('[^']*'|-?[\d.]+(?:e-?\d+)?|true|false)(?=$|[\s,;:(])/);
  if (literal) return literal[1].startsWith("'") ? literal[1].slice(1, -1) : JSON.parse(literal[1]);
  const word = text.split(/[\s,(]/)[0];
  if (['none', 'off', 'random', 'Dice'].includes(word)) return word;
  throw new Error(`cannot read the default '${text}'`);
}

function expectDocumented(file: string, name: string, expected: Record<string, unknown>): void {
  const docs = documented(file, name);
  const read = Object.fromEntries([...docs].map(([key, text]) => [key, value(text)]));
  expect(read, `${file} ${name}`).toEqual(expected);
}

describe('documented defaults are the core\'s', () => {
  it('UNetOptions', () => {
    const { device, ...architecture } = core.unet;
    expectDocumented('model/unet.ts', 'UNetOptions', { ...architecture, device, seed: 'random' });
  });

  it('OptimizerOptions, with the defaults that depend on the optimiser', () => {
    const docs = documented('training/optimizer.ts', 'OptimizerOptions');
    expect(value(docs.get('optimizer') as string)).toBe(core.optimizer);
    // "1e-3 (adam, adamw) or 1e-2 (sgd)": each number with the optimisers it is for.
    for (const key of ['lr', 'weightDecay'] as const) {
      for (const [, number, names] of (docs.get(key) as string).matchAll(/([\d.e-]+) \(([a-z, ]+)\)/g)) {
        for (const optimizer of names.split(', ') as ('adam' | 'adamw' | 'sgd')[]) expect(core.optimizers[optimizer][key], `${key} ${optimizer}`).toBe(Number(number));
      }
    }
    expect(value(docs.get('momentum') as string)).toBe(core.optimizers.sgd.momentum);
    expect(value(docs.get('nesterov') as string)).toBe(core.optimizers.sgd.nesterov);
    expect([...docs.keys()].sort()).toEqual(['lr', 'momentum', 'nesterov', 'optimizer', 'weightDecay']);
  });

  it('FitOptions, ScheduleOptions, CheckpointOptions, TrainStepOptions, EvaluateOptions', () => {
    const { checkpointMonitor, ...fit } = core.fit;
    expectDocumented('training/fit.ts', 'FitOptions', { ...fit, loss: 'Dice', earlyStopping: 'off', augment: false, processGroup: 'none' });
    expectDocumented('training/fit.ts', 'CheckpointOptions', { monitor: checkpointMonitor });
    expectDocumented('training/schedule.ts', 'ScheduleOptions', core.schedule);
    expectDocumented('training/train_step.ts', 'TrainStepOptions', { ...core.trainStep, loss: 'Dice' });
    expectDocumented('model/unet.ts', 'EvaluateOptions', { ...core.evaluate, loss: 'Dice' });
    expect(defaultLoss(1)).toMatchObject({ name: 'diceCe', sigmoid: true, softmax: false });
    expect(defaultLoss(3)).toMatchObject({ name: 'diceCe', softmax: true, toOnehotY: true, sigmoid: false });
  });

  it('PredictOptions, TileOptions and ForwardOptions', () => {
    const { output, threshold, precision, standardise, ...tile } = core.predict;
    expectDocumented('inference/predict.ts', 'PredictOptions', { output, threshold, precision, standardise, tta: 'none', maxPixels: 'none', postprocess: 'none' });
    expectDocumented('model/unet.ts', 'ForwardOptions', core.forward);
    expectDocumented('inference/predict.ts', 'TileOptions', tile);
  });

  it('AugmentOptions, and what augment: true means', () => {
    expectDocumented('training/augment.ts', 'AugmentOptions', core.augment);
    expect(defaultAugment).toEqual(core.augmentTrue);
    expect(core.augmentTrue.horizontalFlip).toBe(0.5);
  });

  it('the losses and the overlap and boundary metrics', () => {
    const losses = core.losses;
    for (const [name, interfaceName] of [
      ['dice', 'DiceOptions'],
      ['bce', 'BceOptions'],
      ['crossEntropy', 'CrossEntropyOptions'],
      ['focal', 'FocalOptions'],
      ['tversky', 'TverskyOptions'],
    ] as const) {
      for (const [key, text] of documented('ops/losses.ts', interfaceName)) {
        const read = value(text);
        expect(read === 'none' ? undefined : read, `${interfaceName}.${key}`).toEqual(losses[name][key]);
      }
    }
    for (const [key, text] of documented('ops/losses.ts', 'DiceCeOptions')) {
      const read = value(text);
      expect(read === 'none' ? undefined : read, `DiceCeOptions.${key}`).toEqual(losses.diceCe[key]);
    }
    const { threshold, oneHot, ...overlap } = core.metrics;
    expectDocumented('ops/metrics.ts', 'OverlapMetricOptions', overlap);
    expect([threshold, oneHot]).toEqual([0.5, true]);
    const { directed, symmetric, ...surface } = core.surfaceMetrics;
    expectDocumented('ops/metrics.ts', 'SurfaceMetricOptions', surface);
    expectDocumented('ops/metrics.ts', 'HausdorffOptions', { directed });
    expectDocumented('ops/metrics.ts', 'SurfaceDistanceOptions', { symmetric });
  });

  it('the post-processing transforms, whose connectivity depends on the dimensions', () => {
    for (const [name, key] of [
      ['KeepLargestComponentOptions', 'keepLargestComponent'],
      ['FillHolesOptions', 'fillHoles'],
      ['RemoveSmallObjectsOptions', 'removeSmallObjects'],
    ] as const) {
      const { connectivity2d, connectivity3d, ...rest } = core.postprocess[key];
      const docs = documented('ops/postprocess.ts', name);
      // "8 (2D) or 26 (3D)"
      const connectivity = (docs.get('connectivity') ?? '').match(/^(\d+) \(2D\) or (\d+) \(3D\)/);
      expect(connectivity?.slice(1).map(Number), `${name}.connectivity`).toEqual([connectivity2d, connectivity3d]);
      docs.delete('connectivity');
      expect(Object.fromEntries([...docs].map(([option, text]) => [option, value(text)])), name).toEqual({ ...rest, labels: 'none' });
    }
    expectDocumented('ops/postprocess.ts', 'PostprocessOptions', { removeSmallObjects: 'off', keepLargestComponent: 'off', fillHoles: 'off' });
  });
});
