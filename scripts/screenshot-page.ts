// Takes the README's picture of the web page: serves a model with the plugin on 127.0.0.1, opens the page in
// Debian's chromium (puppeteer-core), uploads an image, waits for the overlay and the areas, and writes a PNG.
// Usage: npx tsx scripts/screenshot-page.ts --model nuclei.pt --image some.png [--out docs/serve-page.png]
import { mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';

import Fastify from 'fastify';
import puppeteer from 'puppeteer-core';

import { servePlugin, UNet, writeFileAtomic } from '../lib/index.js';

const { values: args } = parseArgs({ options: { model: { type: 'string' }, image: { type: 'string' }, out: { type: 'string', default: 'docs/serve-page.png' } } });
if (!args.model || !args.image) throw new TypeError('usage: screenshot-page.ts --model FILE --image FILE [--out FILE]');
readFileSync(args.image); // a missing image fails here, before a browser starts

const model = await UNet.load(args.model);
const app = Fastify();
await app.register(servePlugin, { models: { nuclei: { model, classNames: ['background', 'nucleus'] } } });
const address = await app.listen({ port: 0, host: '127.0.0.1' });
// --no-sandbox: as root, chromium's sandbox refuses to start.
const browser = await puppeteer.launch({ executablePath: '/usr/bin/chromium', headless: true, args: ['--no-sandbox', '--disable-gpu'] });
try {
  const page = await browser.newPage();
  await page.setViewport({ width: 1000, height: 820 });
  await page.goto(`${address}/`);
  await page.waitForSelector('body[data-state="ready"]', { timeout: 20_000 });
  await (await page.$('#file'))!.uploadFile(args.image);
  await page.waitForSelector('body[data-state="done"]', { timeout: 60_000 });
  const picture = await page.screenshot({ type: 'png', fullPage: true });
  mkdirSync(dirname(args.out), { recursive: true });
  await writeFileAtomic(args.out, Buffer.from(picture));
  console.log(`wrote ${args.out}`);
} finally {
  await browser.close();
  await app.close();
  model.dispose();
}
