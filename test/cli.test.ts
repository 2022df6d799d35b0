// The torch-unet command line, run as a user runs it (a child process): demo, train (with resume and Ctrl-C),
// predict, eval, and its exit codes and error lines.
import { spawn, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { backendInfo } from '../lib/index.js';
import { writeShapesFolders } from './helpers/folders.js';

const CLI = join(import.meta.dirname, '..', 'lib', 'cli', 'index.ts');
const scratch = mkdtempSync(join(tmpdir(), 'torch-unet-cli-'));
const cache = join(scratch, 'cache');

function cli(...args: string[]): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, ['--import', 'tsx', CLI, ...args], {
    encoding: 'utf8',
    env: { ...process.env, XDG_CACHE_HOME: cache },
    timeout: 120_000,
  });
}

/** Writes a synthetic 4-class set as a user's folders: RGB PNG images, palette PNG masks; sizes differ. */
let folders: { images: string; masks: string };
const model = join(scratch, 'run', 'model.pt');

beforeAll(async () => {
  folders = await writeShapesFolders(join(scratch, 'data'), { count: 12, size: 32, classes: 4, channels: 3, seed: 3 });
});

afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('torch-unet demo', () => {
  it('trains, writes the panel and the curves, and prints the test scores per class', async () => {
    const out = join(scratch, 'demo');
    const result = cli('demo', '--out', out, '--epochs', '2', '--images', '40', '--quiet');
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    for (const name of ['circle', 'square', 'triangle']) expect(result.stdout).toMatch(new RegExp(`${name}\\s+IoU \\d\\.\\d{3}\\s+Dice \\d\\.\\d{3}`));
    const panel = await sharp(join(out, 'panel.png')).metadata();
    // Six rows of input | truth | prediction, 64 px images.
    expect(panel.format).toBe('png');
    expect(panel.width).toBeGreaterThanOrEqual(3 * 64);
    expect(panel.height).toBeGreaterThanOrEqual(6 * 64);
    expect(panel.height).toBeGreaterThan(panel.width!);
    const svg = readFileSync(join(out, 'curves.svg'), 'utf8');
    expect(svg).toMatch(/^<svg/);
    expect(existsSync(join(out, 'model.pt'))).toBe(true);
  });

  it('with --json prints one JSON event per line, ending with the result', () => {
    const result = cli('demo', '--out', join(scratch, 'demo-json'), '--epochs', '1', '--images', '20', '--json');
    expect(result.status).toBe(0);
    const events = result.stdout.trim().split('\n').map((line) => JSON.parse(line) as { type: string });
    expect(events.filter((event) => event.type === 'epoch')).toHaveLength(1);
    expect(events.filter((event) => event.type === 'batch').length).toBeGreaterThan(0);
    const last = events.at(-1) as { type: string; classes: { class: string; iou: number | null }[] };
    expect(last.type).toBe('demo');
    expect(last.classes.map((row) => row.class)).toEqual(['circle', 'square', 'triangle']);
  });
});

describe('torch-unet train, predict and eval on folders', () => {
  it('train writes the model, the best checkpoint, the curves and the metrics', () => {
    const result = cli('train', '--images', folders.images, '--masks', folders.masks, '--classes', '4', '--size', '32', '--epochs', '2', '--batch', '4', '--base-filters', '4', '--depth', '2', '--val-split', '0.25', '--out', model, '--quiet');
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    const metrics = JSON.parse(readFileSync(join(scratch, 'run', 'model.metrics.json'), 'utf8'));
    expect(metrics.history).toHaveLength(2);
    expect(metrics.pairs).toEqual({ train: 9, validation: 3 });
    expect(metrics.model).toMatchObject({ inChannels: 3, classes: 4, baseFilters: 4, depth: 2 });
    for (const file of ['model.pt', 'model.best.pt', 'model.curves.svg']) expect(statSync(join(scratch, 'run', file)).size).toBeGreaterThan(0);
  });

  it('--resume continues from the checkpoint up to --epochs in all', () => {
    const result = cli('train', '--images', folders.images, '--masks', folders.masks, '--classes', '4', '--size', '32', '--epochs', '3', '--batch', '4', '--val-split', '0.25', '--out', model, '--resume', '--json');
    expect(result.status).toBe(0);
    const epochs = result.stdout.trim().split('\n').map((line) => JSON.parse(line)).filter((event) => event.type === 'epoch');
    const best = JSON.parse(readFileSync(join(scratch, 'run', 'model.metrics.json'), 'utf8')).history as unknown[];
    // The checkpoint holds the best of epochs 1-2, so the run goes on from there to 3.
    expect(epochs.at(-1).epoch).toBe(3);
    expect(best.length).toBe(3);
  });

  it('predict writes masks at the original size, and overlays', async () => {
    const big = join(scratch, 'big.png');
    await sharp({ create: { width: 50, height: 37, channels: 3, background: { r: 40, g: 90, b: 200 } } }).png().toFile(big);
    const out = join(scratch, 'pred');
    const result = cli('predict', '--model', model, big, join(folders.images, 'img0.png'), '--out', out, '--overlay', '--quiet');
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/wrote 4 file\(s\) for 2 image\(s\)/);
    expect(await sharp(join(out, 'big.png')).metadata()).toMatchObject({ width: 50, height: 37 });
    expect(await sharp(join(out, 'big.overlay.png')).metadata()).toMatchObject({ width: 50, height: 37 });
    expect(await sharp(join(out, 'img0.png')).metadata()).toMatchObject({ width: 32, height: 32 });
  });

  it('predict with tiles and flips gives masks too', async () => {
    const out = join(scratch, 'pred-tiled');
    const result = cli('predict', '--model', model, folders.images, '--out', out, '--tile', '16', '--overlap', '0.5', '--tta', '--json');
    expect(result.status).toBe(0);
    expect(JSON.parse(result.stdout.trim().split('\n').at(-1)!)).toMatchObject({ type: 'predicted', images: 12 });
  });

  it('eval prints IoU, Dice, HD95 and ASSD per image and per class with the means, as a table, JSON or CSV, and draws boxplots', () => {
    const table = cli('eval', '--model', model, '--images', folders.images, '--masks', folders.masks);
    expect(table.status).toBe(0);
    expect(table.stdout).toMatch(/^image\s+iou_1\s+dice_1\s+hd95_1\s+assd_1\s+iou_2\s+dice_2\s+hd95_2\s+assd_2\s+iou_3/);
    expect(table.stdout).toMatch(/12 images: mean IoU \d\.\d{4}, mean Dice \d\.\d{4}, mean HD95 \d+\.\d{4}, mean ASSD \d+\.\d{4} \(distances in pixels\)/);
    const plots = { scores: join(scratch, 'run', 'model.scores.svg'), distances: join(scratch, 'run', 'model.distances.svg') };
    for (const file of Object.values(plots)) expect(readFileSync(file, 'utf8')).toMatch(/^<svg[\s\S]*<\/svg>\s*$/);
    expect(readFileSync(plots.scores, 'utf8')).toContain('Dice 1');
    expect(readFileSync(plots.distances, 'utf8')).toContain('HD95 1');

    const stem = join(scratch, 'elsewhere');
    const json = JSON.parse(cli('eval', '--model', model, '--images', folders.images, '--masks', folders.masks, '--json', '--plots', stem).stdout);
    expect(json.plots).toEqual({ scores: `${stem}.scores.svg`, distances: `${stem}.distances.svg` });
    expect(statSync(`${stem}.distances.svg`).size).toBeGreaterThan(0);
    expect(json.classes).toEqual([1, 2, 3]);
    expect(json.images).toHaveLength(12);
    for (const row of json.images) for (const value of [...row.iou, ...row.dice]) if (value !== null) expect(value).toBeGreaterThanOrEqual(0);
    // Dice = 2 IoU / (1 + IoU) image by image.
    const { iou, dice } = json.images[0];
    iou.forEach((value: number | null, c: number) => value !== null && expect(dice[c]).toBeCloseTo((2 * value) / (1 + value), 5));
    // Distances: a number of pixels, null where neither mask has the class, "Infinity" where one does; the
    // mean skips Infinity and counts it.
    const distances = json.images.flatMap((row: { hausdorff95: unknown[] }) => row.hausdorff95);
    for (const value of distances) expect(value === null || value === 'Infinity' || (typeof value === 'number' && value >= 0)).toBe(true);
    expect(json.infinite.hausdorff95).toBe(distances.filter((value: unknown) => value === 'Infinity').length);
    const finite = distances.filter((value: unknown): value is number => typeof value === 'number');
    expect(json.mean.hausdorff95).toBeCloseTo(finite.reduce((a: number, b: number) => a + b, 0) / finite.length, 6);
    expect(json.mean.iou).toBeGreaterThanOrEqual(0);

    const csv = cli('eval', '--model', model, '--images', folders.images, '--masks', folders.masks, '--csv', '--no-plots').stdout.trim().split('\n');
    expect(csv[0]).toBe('image,iou_1,dice_1,hd95_1,assd_1,iou_2,dice_2,hd95_2,assd_2,iou_3,dice_3,hd95_3,assd_3');
    expect(csv).toHaveLength(14);
    expect(csv.at(-1)).toMatch(/^mean,/);
  });

  it('eval --precision bf16 scores as fp32 does where the CPU has native bf16, and says why not elsewhere', () => {
    const args = ['eval', '--model', model, '--images', folders.images, '--masks', folders.masks, '--json'];
    const wrong = cli(...args, '--precision', 'fp64');
    expect(wrong.status).toBe(2);
    expect(wrong.stderr).toMatch(/--precision.*fp64.*choices/s);
    const fp32 = JSON.parse(cli(...args).stdout);
    const bf16 = cli(...args, '--precision', 'bf16');
    if (!backendInfo().cpuBf16) {
      expect(bf16.status).toBe(1);
      expect(bf16.stderr).toMatch(/^torch-unet: options\.precision: 'bf16' needs a CPU with native bf16/);
      return;
    }
    expect(bf16.status).toBe(0);
    const scores = JSON.parse(bf16.stdout);
    expect(Math.abs(scores.mean.iou - fp32.mean.iou)).toBeLessThan(0.02);
  });
});

describe('torch-unet train --folds and compare', () => {
  it('trains one model per fold, keeps groups together, writes folds.json, resumes, and compare reads it', () => {
    const groups = join(scratch, 'groups.csv');
    // 12 images in 6 groups of 2 (img0 and img1 together, ...)
    writeFileSync(groups, ['image,group', ...Array.from({ length: 12 }, (_, i) => `img${i}.png,patient${Math.floor(i / 2)}`)].join('\n'));
    const out = join(scratch, 'cv');
    const args = ['train', '--images', folders.images, '--masks', folders.masks, '--classes', '4', '--size', '32', '--epochs', '1', '--batch', '4', '--base-filters', '4', '--depth', '2', '--folds', '3', '--groups', groups, '--out', out];
    const first = cli(...args, '--quiet');
    expect(first.stderr).toBe('');
    expect(first.status).toBe(0);
    expect(first.stdout).toMatch(/^fold\s+held out\s+IoU\s+Dice\s+HD95\s+ASSD/);
    expect(first.stdout).toMatch(/\nmean\s+12\s+\d\.\d{4} ± \d\.\d{4}/);
    const folds = JSON.parse(readFileSync(join(out, 'folds.json'), 'utf8'));
    expect(folds.models).toEqual(['fold-0.pt', 'fold-1.pt', 'fold-2.pt']);
    expect(folds.images.map((image: { name: string }) => image.name).sort()).toEqual(Array.from({ length: 12 }, (_, i) => `img${i}`).sort());
    const foldOf = Object.fromEntries(folds.images.map((image: { name: string; fold: number }) => [image.name, image.fold]));
    for (let g = 0; g < 6; g++) expect(foldOf[`img${2 * g}`], `patient${g}`).toBe(foldOf[`img${2 * g + 1}`]);
    expect(folds.perFold.map((fold: { validation: string[] }) => fold.validation.length)).toEqual([4, 4, 4]);
    const dice = folds.perFold.map((fold: { mean: { dice: number } }) => fold.mean.dice);
    expect(folds.summary.dice.mean).toBeCloseTo(dice.reduce((a: number, b: number) => a + b, 0) / 3, 10);
    for (const file of ['fold-0.pt', 'fold-1.best.pt', 'fold-2.metrics.json']) expect(statSync(join(out, file)).size).toBeGreaterThan(0);

    // --resume keeps the trained folds: the models stay as they were, the scores too
    const before = statSync(join(out, 'fold-1.pt')).mtimeMs;
    const again = cli(...args, '--resume', '--json');
    expect(again.status).toBe(0);
    expect(again.stdout).toMatch(/fold 2: .*fold-1\.pt is trained: kept/);
    expect(statSync(join(out, 'fold-1.pt')).mtimeMs).toBe(before);
    expect(JSON.parse(readFileSync(join(out, 'folds.json'), 'utf8')).summary).toEqual(folds.summary);

    // compare reads folds.json as it reads eval's output
    const compared = cli('compare', join(out, 'folds.json'), join(out, 'folds.json'), '--json');
    expect(compared.status).toBe(0);
    const { images, rows } = JSON.parse(compared.stdout);
    expect(images).toBe(12);
    const diceRow = rows.find((row: { metric: string; class: number }) => row.metric === 'dice' && row.class === 1);
    // a run against itself: no difference, and no test to make of it
    expect(diceRow).toMatchObject({ meanDifference: 0, tTest: { pValue: null } });

    // the post-processing chosen on the pooled held-out masks: one foreground step, then one per class
    expect(folds.postprocessSteps.map((step: { class: number | null }) => step.class)).toEqual([null, 1, 2, 3]);
    expect(folds.postprocess).toEqual(folds.postprocessSteps.filter((step: { kept: boolean }) => step.kept).map((step: { postprocess: unknown }) => step.postprocess));

    // A folder is its folds' ensemble with the post-processing its folds.json lists: with none, eval equals naming
    // the three models (test/ensemble.test.ts checks the averaging itself); with keepLargestComponent, predict
    // equals the named models with --keep-largest.
    const named = [0, 1, 2].flatMap((f) => ['--model', join(out, `fold-${f}.pt`)]);
    const listing = (postprocess: unknown[]) => {
      const copy = join(scratch, `cv-${postprocess.length}`);
      mkdirSync(copy, { recursive: true });
      for (let f = 0; f < 3; f++) writeFileSync(join(copy, `fold-${f}.pt`), readFileSync(join(out, `fold-${f}.pt`)));
      writeFileSync(join(copy, 'folds.json'), JSON.stringify({ ...folds, postprocess }));
      return copy;
    };
    const base = ['eval', '--images', folders.images, '--masks', folders.masks, '--json', '--no-plots'];
    const ensemble = JSON.parse(cli(...base, '--model', listing([])).stdout);
    expect(ensemble.images).toHaveLength(12);
    expect(ensemble.images).toEqual(JSON.parse(cli(...base, ...named).stdout).images);
    const [viaFolder, viaFlag] = [join(scratch, 'pp-folder'), join(scratch, 'pp-flag')];
    expect(cli('predict', '--model', listing([{ keepLargestComponent: true }]), folders.images, '--out', viaFolder, '--quiet').status).toBe(0);
    expect(cli('predict', ...named, '--keep-largest', folders.images, '--out', viaFlag, '--quiet').status).toBe(0);
    for (let i = 0; i < 12; i++) expect(readFileSync(join(viaFolder, `img${i}.png`)).equals(readFileSync(join(viaFlag, `img${i}.png`))), `img${i}`).toBe(true);
    expect(cli(...base, '--model', folders.images).stderr).toMatch(/--model .*: a folder must hold the folds\.json of 'train --folds'/);

    const file = cli(...args.slice(0, -1), join(scratch, 'cv.pt'));
    expect(file.status).toBe(1);
    expect(file.stderr).toMatch(/--folds: --out names the folder the folds' models go in/);
    const lonely = cli('train', '--images', folders.images, '--masks', folders.masks, '--groups', groups, '--out', join(scratch, 'x.pt'));
    expect(lonely.stderr).toMatch(/--groups: only with --folds/);
  });
});

describe('torch-unet errors and Ctrl-C', () => {
  it('exits with 2 on wrong usage, naming the option', () => {
    const missing = cli('train', '--masks', folders.masks);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toMatch(/--images/);
    const bad = cli('train', '--images', 'a', '--masks', 'b', '--epochs', 'many');
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/--epochs.*expected an integer/);
  });

  it('exits with 1 and one readable line on a failure; --verbose adds the stack', () => {
    const result = cli('train', '--images', join(scratch, 'nowhere'), '--masks', folders.masks, '--quiet');
    expect(result.status).toBe(1);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(/^torch-unet: .*nowhere/);
    const verbose = cli('train', '--images', join(scratch, 'nowhere'), '--masks', folders.masks, '--quiet', '--verbose');
    expect(verbose.status).toBe(1);
    expect(verbose.stderr).toMatch(/\n\s+at /);
  });

  it('refuses a model file that is not one, and an output folder that cannot be written', () => {
    const junk = join(scratch, 'junk.pt');
    writeFileSync(junk, 'not a model');
    const badModel = cli('eval', '--model', junk, '--images', folders.images, '--masks', folders.masks);
    expect(badModel.status).toBe(1);
    expect(badModel.stderr).toMatch(/junk\.pt/);
    const readOnly = cli('predict', '--model', model, folders.images, '--out', '/proc/torch-unet-out');
    expect(readOnly.status).toBe(1);
    expect(readOnly.stderr).toMatch(/^torch-unet: .*\/proc\/torch-unet-out/);
  });

  it('Ctrl-C during train stops after the current step, keeps the best checkpoint and the earlier model', async () => {
    const run = join(scratch, 'interrupted');
    mkdirSync(run);
    const earlier = join(run, 'model.pt');
    writeFileSync(earlier, 'an earlier model');
    const child = spawn(process.execPath, ['--import', 'tsx', CLI, 'train', '--images', folders.images, '--masks', folders.masks, '--classes', '4', '--size', '32', '--epochs', '1000', '--batch', '4', '--out', earlier, '--json'], {
      env: { ...process.env, XDG_CACHE_HOME: cache },
    });
    let output = '';
    let stderr = '';
    child.stderr.on('data', (chunk) => (stderr += chunk));
    const code = await new Promise<number | null>((resolve) => {
      child.stdout.on('data', (chunk) => {
        output += chunk;
        if (output.includes('"type":"epoch"') && !child.killed) child.kill('SIGINT');
      });
      child.on('exit', resolve);
    });
    expect(stderr).toBe('');
    expect(code).toBe(130);
    expect(output).toMatch(/stopped after \d+ epoch\(s\)/);
    expect(readFileSync(earlier, 'utf8')).toBe('an earlier model');
    expect(statSync(join(run, 'model.best.pt')).size).toBeGreaterThan(1000);
  });
});
