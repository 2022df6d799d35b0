// Reads what `torch-unet eval --json` printed (or the folds.json of `train --folds`, the same per-image shape), for
// compare: the classes and, per image, every metric's scores. A
// metric is any key of an image whose value is an array of numbers and nulls, one entry per class (null: undefined
// for that image and class). JSON has no Infinity, so a non-finite score may also come as 1e999 or as the
// string 'Infinity', '-Infinity' or 'NaN'.
import { readFile } from 'node:fs/promises';

export type Score = number | null;

export interface EvalOutput {
  file: string;
  /** The classes scored, as eval printed them: [1] for binary, 1 .. classes-1 for several. */
  classes: number[];
  /** The metrics, in the order of the first image's keys. */
  metrics: string[];
  /** Image name -> metric -> one score per class. */
  images: Map<string, Record<string, Score[]>>;
}

const NON_FINITE: Record<string, number> = { Infinity, '-Infinity': -Infinity, NaN };

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const isScore = (value: unknown) => value === null || typeof value === 'number' || (typeof value === 'string' && value in NON_FINITE);
const isScores = (value: unknown): value is unknown[] => Array.isArray(value) && value.length > 0 && value.every(isScore);
const toScore = (value: unknown): Score => (typeof value === 'string' ? NON_FINITE[value] : (value as Score));

/** The eval event in the text: the whole text as one JSON object, or the last line of type 'evaluated'. */
function findEvaluated(text: string, file: string): Record<string, unknown> {
  const parse = (json: string): unknown => {
    try {
      return JSON.parse(json);
    } catch {
      return undefined;
    }
  };
  const whole = parse(text);
  const candidates = whole === undefined ? text.split('\n').map(parse) : [whole];
  const found = candidates.filter((event): event is Record<string, unknown> => isRecord(event) && (event.type === 'evaluated' || event.type === 'cross-validated')).at(-1);
  if (!found) throw new Error(`${file}: not the output of 'torch-unet eval --json' (no JSON line of type 'evaluated')`);
  return found;
}

export async function readEvalOutput(file: string): Promise<EvalOutput> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new Error(`${file}: cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
  const event = findEvaluated(text, file);
  const problem = (what: string) => new Error(`${file}: ${what}; is it the output of 'torch-unet eval --json'?`);
  const { classes, images } = event;
  if (!Array.isArray(classes) || classes.length === 0 || !classes.every((c) => Number.isInteger(c))) throw problem("'classes' is not a list of class numbers");
  if (!Array.isArray(images) || images.length === 0) throw problem("'images' is not a non-empty list");
  const metricsOf = (image: Record<string, unknown>) => Object.keys(image).filter((key) => isScores(image[key]));
  const first = images[0];
  const metrics = isRecord(first) ? metricsOf(first) : [];
  if (metrics.length === 0) throw problem('images[0] has no metric (an array of one score per class)');
  const byName = new Map<string, Record<string, Score[]>>();
  images.forEach((image: unknown, index) => {
    if (!isRecord(image) || typeof image.name !== 'string') throw problem(`images[${index}] has no name`);
    const where = `images[${index}] (${image.name})`;
    if (byName.has(image.name)) throw problem(`${where} repeats the name of an earlier image`);
    const scores: Record<string, Score[]> = {};
    for (const metric of metrics) {
      const values = image[metric];
      if (!isScores(values)) throw problem(`${where} has no ${metric} scores, which images[0] has`);
      if (values.length !== classes.length) throw problem(`${where}.${metric} has ${values.length} scores for ${classes.length} classes`);
      scores[metric] = values.map(toScore);
    }
    byName.set(image.name, scores);
  });
  return { file, classes, metrics, images: byName };
}
