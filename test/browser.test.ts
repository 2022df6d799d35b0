// The web page in a real browser: Debian's chromium (scripts/setup.sh installs it), driven by puppeteer-core,
// opens the page served on 127.0.0.1, uploads a nuclei image, waits for the overlay and reads the areas it shows,
// which must equal the JSON route's answer for the same image.
import { readFileSync } from 'node:fs';

import Fastify, { type FastifyInstance } from 'fastify';
import puppeteer, { type Browser } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { servePlugin, type UNet } from '../lib/index.js';
import { NUCLEI_IMAGE, nucleiModel } from './helpers/nuclei.js';

const CHROMIUM = '/usr/bin/chromium';

let model: UNet;
let app: FastifyInstance;
let browser: Browser;
let address: string;

beforeAll(async () => {
  model = await nucleiModel();
  app = Fastify();
  await app.register(servePlugin, { models: { nuclei: { model, classNames: ['background', 'nucleus'] } } });
  address = await app.listen({ port: 0, host: '127.0.0.1' });
  // --no-sandbox: CI runs as root, where chromium's sandbox refuses to start.
  browser = await puppeteer.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu'] });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await app?.close();
  model?.dispose();
});

describe('the web page', () => {
  it('shows the overlay and the per-class areas of an uploaded image, as the JSON route gives them', async () => {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(String(error)));
    await page.goto(`${address}/`);
    await page.waitForSelector('body[data-state="ready"]', { timeout: 20_000 });
    expect(await page.$eval('#model', (select) => (select as unknown as { value: string }).value)).toBe('nuclei');
    expect(await page.$eval('#metadata', (list) => list.textContent)).toContain('background, nucleus');
    const input = await page.$('#file');
    await input!.uploadFile(NUCLEI_IMAGE);
    await page.waitForSelector('body[data-state="done"]', { timeout: 30_000 });
    const shown = await page.$$eval('#areas tbody tr', (rows) =>
      rows.map((row) => ({ index: Number(row.getAttribute('data-class')), name: row.cells[0].textContent, pixels: Number(row.getAttribute('data-pixels')) })),
    );
    const overlay = await page.$eval('#overlay', (image) => {
      const { naturalWidth, naturalHeight } = image as unknown as { naturalWidth: number; naturalHeight: number };
      return [naturalWidth, naturalHeight];
    });
    const answer = await fetch(`${address}/v1/models/nuclei/segment`, { method: 'POST', headers: { 'content-type': 'image/png' }, body: readFileSync(NUCLEI_IMAGE) });
    const summary = (await answer.json()) as { width: number; height: number; classes: { index: number; name: string; pixels: number }[] };
    expect(shown).toEqual(summary.classes.map(({ index, name, pixels }) => ({ index, name, pixels })));
    expect(shown[1].pixels).toBeGreaterThan(0);
    expect(overlay).toEqual([summary.width, summary.height]);
    expect(await page.$eval('#status', (status) => status.textContent)).toBe(`${NUCLEI_IMAGE.split('/').pop()}: 256 x 256 pixels`);
    expect(errors).toEqual([]);
    await page.close();
  }, 60_000);

  it('shows the server\'s message when an upload is refused', async () => {
    const page = await browser.newPage();
    await page.goto(`${address}/`);
    await page.waitForSelector('body[data-state="ready"]', { timeout: 20_000 });
    const input = await page.$('#file');
    await input!.uploadFile(new URL(import.meta.url).pathname);
    await page.waitForSelector('body[data-state="error"]', { timeout: 30_000 });
    expect(await page.$eval('#status', (status) => status.textContent)).toContain('body: not a PNG, JPEG, TIFF or WebP image');
    await page.close();
  }, 60_000);
});
