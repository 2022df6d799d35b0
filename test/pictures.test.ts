// Pictures: the palette, panels of input | truth | prediction, overlays and training curves, checked by their pixels.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';

import type { EpochLogs } from '../lib/index.js';
import { PANEL_LAYOUT, curves, overlay, palette, writeCurves, writePanel } from '../lib/pictures/index.js';

const folder = mkdtempSync(join(tmpdir(), 'torch-unet-pictures-'));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

/** The RGB pixel at (x, y) of a decoded picture. */
async function pixels(file: string | Buffer) {
  const { data, info } = await sharp(file).removeAlpha().toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, at: (x: number, y: number) => Array.from(data.subarray((y * info.width + x) * 3, (y * info.width + x) * 3 + 3)) };
}

/** An 8 x 8 mask: class `value` in the square [2, 6) x [2, 6), background elsewhere. */
function squareMask(value: number) {
  const data = new Uint8Array(64);
  for (let y = 2; y < 6; y++) for (let x = 2; x < 6; x++) data[y * 8 + x] = value;
  return { data, shape: [8, 8] };
}

/** A grey 8 x 8 image whose value rises with x: (x + 1) / 8. */
const rampImage = { data: Float32Array.from({ length: 64 }, (_, i) => ((i % 8) + 1) / 8), shape: [1, 8, 8] };

describe('palette', () => {
  it('gives background black and distinct colours, the same each time', () => {
    const colours = palette(4);
    expect(colours).toHaveLength(4);
    expect(colours[0]).toEqual([0, 0, 0]);
    expect(new Set(colours.map(String)).size).toBe(4);
    expect(palette(1)).toHaveLength(2); // binary: background and foreground
    expect(palette(4)).toEqual(colours);
    const many = palette(40);
    expect(new Set(many.map(String)).size).toBe(40);
    expect(many.slice(0, 4)).toEqual(colours);
    expect(() => palette(0)).toThrow('classes: expected an integer from 1 to 65536, got 0');
  });
});

describe('writePanel', () => {
  it('lays out input | truth | prediction, one row per image, classes in colour', async () => {
    const path = join(folder, 'panel.png');
    const rows = [
      { image: rampImage, truth: squareMask(1), prediction: squareMask(2) },
      { image: { ...rampImage, shape: [1, 1, 8, 8] }, truth: { ...squareMask(3), shape: [1, 1, 8, 8] }, prediction: squareMask(0) },
    ];
    await writePanel(path, rows, { classes: 4, scale: 4 });
    const { gap, header, background } = PANEL_LAYOUT;
    const cell = 32;
    const panel = await pixels(path);
    expect(panel.width).toBe(gap + 3 * (cell + gap));
    expect(panel.height).toBe(header + 2 * (cell + gap));
    const left = (column: number) => gap + column * (cell + gap);
    const top = (row: number) => header + row * (cell + gap);
    const colours = palette(4);
    // Row 0: the ramp (x = 5 of the image is 6/8 grey), truth class 1 in its centre, prediction class 2.
    expect(panel.at(left(0) + 5 * 4 + 1, top(0) + 1)).toEqual([191, 191, 191]);
    expect(panel.at(left(0) + 1, top(0) + 1)).toEqual([32, 32, 32]);
    expect(panel.at(left(1) + 16, top(0) + 16)).toEqual(colours[1]);
    expect(panel.at(left(1) + 2, top(0) + 2)).toEqual([0, 0, 0]);
    expect(panel.at(left(2) + 16, top(0) + 16)).toEqual(colours[2]);
    // Row 1: truth class 3, an empty prediction.
    expect(panel.at(left(1) + 16, top(1) + 16)).toEqual(colours[3]);
    expect(panel.at(left(2) + 16, top(1) + 16)).toEqual([0, 0, 0]);
    // Gaps between cells.
    expect(panel.at(left(1) - 1, top(0) + 16)).toEqual(background);
    expect(panel.at(left(0) + 16, top(1) - 1)).toEqual(background);
    // The header names the columns: some dark text pixels above each cell.
    const raw = await sharp(path).removeAlpha().raw().toBuffer();
    let dark = 0;
    for (let i = 0; i < header * panel.width * 3; i += 3) if (raw[i] < 128) dark++;
    expect(dark).toBeGreaterThan(30);
  });

  it('leaves out the truth column when no row has truth, and scales small images up by default', async () => {
    const path = join(folder, 'no-truth.png');
    await writePanel(path, [{ image: rampImage, prediction: squareMask(1) }], { classes: 1 });
    const panel = await pixels(path);
    const cell = 8 * 16; // the default scale brings an 8-pixel image to 128
    const { gap, header } = PANEL_LAYOUT;
    expect(panel.width).toBe(gap + 2 * (cell + gap));
    expect(panel.height).toBe(header + cell + gap);
    // Binary: foreground in the palette's first colour.
    expect(panel.at(gap + cell + gap + cell / 2, header + cell / 2)).toEqual(palette(1)[1]);
  });

  it('shows RGB images in colour and stretches standardised images to [0, 255]', async () => {
    const path = join(folder, 'rgb.png');
    const red = { data: new Float32Array(3 * 64), shape: [3, 8, 8] };
    red.data.fill(1, 0, 64);
    const standardised = { data: Float32Array.from({ length: 64 }, (_, i) => (i % 8) - 3.5), shape: [1, 8, 8] };
    await writePanel(path, [{ image: red, prediction: squareMask(0) }, { image: standardised, prediction: squareMask(0) }], { classes: 2, scale: 1 });
    const panel = await pixels(path);
    const { gap, header } = PANEL_LAYOUT;
    expect(panel.at(gap + 3, header + 3)).toEqual([255, 0, 0]);
    expect(panel.at(gap, header + 8 + gap)).toEqual([0, 0, 0]);
    expect(panel.at(gap + 7, header + 8 + gap)).toEqual([255, 255, 255]);
  });

  it('names what is wrong', async () => {
    const path = join(folder, 'bad.png');
    await expect(writePanel(path, [], { classes: 2 })).rejects.toThrow('rows: expected a non-empty array');
    await expect(writePanel(path, [{ image: rampImage, prediction: squareMask(5) }], { classes: 4 })).rejects.toThrow(
      'rows[0].prediction: value 5 at 18 is not a class index below 4 (classes)',
    );
    await expect(writePanel(path, [{ image: rampImage, prediction: { data: new Uint8Array(16), shape: [4, 4] } }], { classes: 2 })).rejects.toThrow(
      'rows[0].prediction: expected a 8 x 8 mask to match the image, got 4 x 4',
    );
    await expect(writePanel(path, [{ image: { data: new Float32Array(128), shape: [2, 8, 8] }, prediction: squareMask(0) }], { classes: 2 })).rejects.toThrow(
      'rows[0].image: expected a C x H x W or 1 x C x H x W image with 1, 3 or 4 channels',
    );
    expect(readdirSync(folder)).not.toContain('bad.png');
  });
});

describe('overlay', () => {
  it('fills each class with its colour at alpha and draws its boundary in full colour', async () => {
    const png = await overlay(rampImage, squareMask(2), { classes: 3, alpha: 0.5 });
    const picture = await pixels(png);
    expect([picture.width, picture.height]).toEqual([8, 8]);
    const [red, green, blue] = palette(3)[2];
    // Outside the mask: the image itself (x = 0 is 1/8 grey).
    expect(picture.at(0, 0)).toEqual([32, 32, 32]);
    // The square's edge (x = 2): full colour; its inside (x = 3, 1/2 grey = 128): half image, half colour.
    expect(picture.at(2, 3)).toEqual([red, green, blue]);
    expect(picture.at(3, 3)).toEqual([red, green, blue].map((value) => Math.round(0.5 * 128 + 0.5 * value)));
    // Without contour and alpha 0 nothing is drawn.
    const none = await pixels(await overlay(rampImage, squareMask(2), { classes: 3, alpha: 0, contour: false }));
    expect(none.at(2, 3)).toEqual([96, 96, 96]);
    await expect(overlay(rampImage, squareMask(3), { classes: 3 })).rejects.toThrow('mask: value 3 at 18 is not a class index below 3 (classes)');
  });
});

describe('curves', () => {
  const history: EpochLogs[] = Array.from({ length: 6 }, (_, index) => ({
    epoch: index + 1,
    loss: 1 / (index + 1),
    lr: 1e-3,
    imagesPerSecond: 50,
    valLoss: 1.2 / (index + 1),
    valDice: 0.5 + index * 0.08,
    valIoU: 0.35 + index * 0.09,
    seconds: 2,
  }));

  it('draws loss and validation loss above, validation Dice and IoU below, with a legend', async () => {
    const path = join(folder, 'curves.svg');
    await writeCurves(path, history);
    const svg = readFileSync(path, 'utf8');
    expect(svg.startsWith('<svg')).toBe(true);
    for (const label of ['>loss<', '>valLoss<', '>valDice<', '>valIoU<', '>Loss<', '>Validation Dice and IoU<', '>epoch<']) expect(svg).toContain(label);
    // One line a series, each through its six epochs (a path of M then 5 L).
    const lines = [...svg.matchAll(/<path[^>]*aria-roledescription="line mark"[^>]*d="([^"]+)"/g)].map((match) => match[1]);
    expect(lines).toHaveLength(4);
    for (const d of lines) expect(d.match(/L/g)).toHaveLength(5);
    // Six points a series.
    expect(svg.match(/aria-roledescription="point"/g)).toHaveLength(24);
    // It renders to a picture with two panels.
    const png = await sharp(Buffer.from(svg)).png().toBuffer();
    const { width, height } = await sharp(png).metadata();
    expect(width).toBeGreaterThan(480);
    expect(height).toBeGreaterThan(2 * 180);
  });

  it('has only the loss panel without validation', async () => {
    const svg = await curves(history.map((logs) => ({ ...logs, valLoss: null, valDice: null, valIoU: null })));
    expect(svg).toContain('>loss<');
    expect(svg).not.toContain('valDice');
    expect(svg).not.toContain('Validation Dice');
    expect([...svg.matchAll(/aria-roledescription="line mark"/g)]).toHaveLength(1);
    await expect(curves([])).rejects.toThrow('history: expected a non-empty array of epoch logs');
  });
});
