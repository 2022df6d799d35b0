// The server plugin through fastify's inject (and one real socket): every route, every status, each bad input;
// answers checked against the library's own predict on the same pixels.
import { request as httpRequest } from 'node:http';
import { readFileSync } from 'node:fs';
import { deflateSync } from 'node:zlib';

import Fastify, { type FastifyInstance } from 'fastify';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

import { decodeImage } from '../lib/data/image_io.js';
import { servePlugin, standardise, UNet, type ServeOptions } from '../lib/index.js';
import { randomImages } from './helpers/data.js';
import { NUCLEI_IMAGE, nucleiModel } from './helpers/nuclei.js';


let binary: UNet;
let classes3: UNet;
let app: FastifyInstance;

async function server(options: Partial<ServeOptions> = {}): Promise<FastifyInstance> {
  const instance = Fastify();
  await instance.register(servePlugin, { models: { nuclei: binary, parts: { model: classes3, classNames: ['none', 'left', 'right'] } }, ...options });
  return instance;
}

/** The library's mask for an image file, as the segment route computes it: decoded, standardised, predicted. */
async function libraryMask(model: UNet, bytes: Buffer): Promise<{ data: Uint8Array; width: number; height: number }> {
  const channels = model.config.inChannels as 1 | 3;
  const { data, width, height } = await decodeImage(bytes, channels);
  const mask = await model.predict(standardise({ data, shape: [1, channels, height, width] }));
  return { data: mask.data as Uint8Array, width, height };
}

const png = (width: number, height: number, channels: 1 | 3, seed: number) => {
  const pixels = Buffer.from(randomImages([width * height * channels], seed).data.map((value) => Math.round((value + 1) * 127.5)));
  return sharp(pixels, { raw: { width, height, channels } }).png().toBuffer();
};

/** A valid 1 x 1 PNG whose header claims width x height: what a decompression bomb looks like to a header reader. */
function claimedSizePng(width: number, height: number): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body));
    return Buffer.concat([length, body, crc]);
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 0, 0, 0, 0], 8);
  return Buffer.concat([
    Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(Buffer.alloc(2))),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

function crc32(bytes: Buffer): number {
  let crc = 0xffffffff;
  for (const byte of bytes) {
    crc ^= byte;
    for (let bit = 0; bit < 8; bit++) crc = crc & 1 ? (crc >>> 1) ^ 0xedb88320 : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

const metric = (text: string, line: string) => {
  const found = text.split('\n').find((item) => item.startsWith(line + ' '));
  return found === undefined ? undefined : Number(found.slice(line.length + 1));
};

beforeAll(async () => {
  binary = await nucleiModel();
  classes3 = await UNet.create({ inChannels: 3, classes: 3, baseFilters: 4, depth: 3, seed: 4, device: 'cpu' });
  app = await server();
});

afterAll(async () => {
  await app.close();
  binary.dispose();
  classes3.dispose();
});

describe('health and metadata', () => {
  it('answers live, ready, server and model metadata, and 404 for a model not served', async () => {
    expect((await app.inject('/v2/health/live')).statusCode).toBe(200);
    expect((await app.inject('/v2/health/ready')).statusCode).toBe(200);
    expect((await app.inject('/v2')).json()).toMatchObject({ name: 'torch-unet', extensions: ['binary_tensor_data'] });
    const nuclei = (await app.inject('/v2/models/nuclei')).json();
    expect(nuclei).toMatchObject({
      name: 'nuclei',
      platform: 'torch-unet',
      inputs: [{ name: 'images', datatype: 'FP32', shape: [-1, 1, -1, -1] }],
      parameters: { inChannels: 1, classes: 1, classNames: ['background', 'foreground'], classColours: ['#000000', '#e6194b'], minSize: 4, precision: 'fp32' },
    });
    expect(nuclei.outputs.map((output: { name: string }) => output.name)).toEqual(['mask', 'probabilities', 'logits']);
    const parts = (await app.inject('/v2/models/parts')).json();
    expect(parts.parameters).toMatchObject({ inChannels: 3, classes: 3, classNames: ['none', 'left', 'right'], minSize: 8 });
    expect(parts.outputs[1]).toEqual({ name: 'probabilities', datatype: 'FP32', shape: [-1, 3, -1, -1] });
    expect((await app.inject('/v1/models')).json().models.map((model: { name: string }) => model.name)).toEqual(['nuclei', 'parts']);
    expect((await app.inject('/v2/models/parts/ready')).statusCode).toBe(200);
    for (const url of ['/v2/models/lungs', '/v2/models/lungs/ready']) {
      const response = await app.inject(url);
      expect(response.statusCode).toBe(404);
      expect(response.json().error).toBe("model 'lungs' is not served here; the models are nuclei, parts");
    }
    const infer = await app.inject({ method: 'POST', url: '/v2/models/lungs/infer', payload: {} });
    expect(infer.statusCode).toBe(404);
  });

  it('refuses bad plugin options with errors that name them', async () => {
    const refused = async (options: unknown) => Fastify().register(servePlugin, options as ServeOptions).ready();
    await expect(refused({})).rejects.toThrow('options.models: expected an object of models by name');
    await expect(refused({ models: {} })).rejects.toThrow('options.models: expected at least one model');
    await expect(refused({ models: { 'a b': binary } })).rejects.toThrow("'a b' is no model name");
    await expect(refused({ models: { a: 'model.pt' } })).rejects.toThrow('options.models.a: expected an options object');
    await expect(refused({ models: { a: { model: binary, classNames: ['x'] } } })).rejects.toThrow('options.models.a.classNames: expected 2 names');
    await expect(refused({ models: { a: binary }, batching: { maxBatchSize: 0 } })).rejects.toThrow('options.batching.maxBatchSize');
    await expect(refused({ models: { a: binary }, tileSize: 'big' })).rejects.toThrow('options.tileSize: expected an integer');
    await expect(refused({ models: { a: binary }, port: 80 })).rejects.toThrow('options.port: unknown option');
  });
});

describe('POST /v2/models/:name/infer', () => {
  const images = randomImages([2, 3, 24, 40], 11);

  it('answers the JSON protocol: each output as model.predict gives it, nested data too, the id echoed', async () => {
    const response = await app.inject({
      method: 'POST',
      url: '/v2/models/parts/infer',
      payload: {
        id: 'request-7',
        inputs: [{ name: 'images', shape: images.shape, datatype: 'FP32', data: Array.from(images.data) }],
        outputs: [{ name: 'mask' }, { name: 'probabilities' }, { name: 'logits' }],
      },
    });
    expect(response.statusCode).toBe(200);
    const body = response.json();
    expect(body).toMatchObject({ model_name: 'parts', model_version: '1', id: 'request-7' });
    for (const [i, output] of (['mask', 'probabilities', 'logits'] as const).entries()) {
      const expected = await classes3.predict(images, { output });
      expect(body.outputs[i]).toMatchObject({ name: output, datatype: output === 'mask' ? 'UINT8' : 'FP32', shape: expected.shape });
      expect(Float32Array.from(body.outputs[i].data)).toEqual(Float32Array.from(expected.data as Float32Array));
    }
    // Nested row-major data is the same tensor; without outputs, the mask alone.
    const nested = Array.from({ length: 2 }, (_, n) =>
      Array.from({ length: 3 }, (_, c) => Array.from({ length: 24 }, (_, y) => Array.from(images.data.subarray(((n * 3 + c) * 24 + y) * 40, ((n * 3 + c) * 24 + y + 1) * 40)))),
    );
    const plain = await app.inject({ method: 'POST', url: '/v2/models/parts/infer', payload: { inputs: [{ name: 'images', shape: images.shape, datatype: 'FP32', data: nested }] } });
    expect(plain.json().outputs.map((output: { name: string }) => output.name)).toEqual(['mask']);
    expect(plain.json().outputs[0].data).toEqual(body.outputs[0].data);
  });

  it('answers the binary-data extension: tensors after the JSON header, as the JSON answer gives them', async () => {
    const header = Buffer.from(
      JSON.stringify({
        inputs: [{ name: 'images', shape: images.shape, datatype: 'FP32', parameters: { binary_data_size: images.data.byteLength } }],
        outputs: [{ name: 'mask', parameters: { binary_data: true } }, { name: 'logits', parameters: { binary_data: true } }],
      }),
    );
    const response = await app.inject({
      method: 'POST',
      url: '/v2/models/parts/infer',
      headers: { 'content-type': 'application/octet-stream', 'inference-header-content-length': String(header.length) },
      payload: Buffer.concat([header, Buffer.from(images.data.buffer)]),
    });
    expect(response.statusCode).toBe(200);
    const length = Number(response.headers['inference-header-content-length']);
    const json = JSON.parse(response.rawPayload.subarray(0, length).toString());
    const [mask, logits] = json.outputs;
    expect(mask).toMatchObject({ name: 'mask', datatype: 'UINT8', shape: [2, 1, 24, 40], parameters: { binary_data_size: 2 * 24 * 40 } });
    expect(logits.parameters.binary_data_size).toBe(2 * 3 * 24 * 40 * 4);
    const maskBytes = response.rawPayload.subarray(length, length + mask.parameters.binary_data_size);
    const logitBytes = response.rawPayload.subarray(length + mask.parameters.binary_data_size);
    expect(new Uint8Array(maskBytes)).toEqual((await classes3.predict(images)).data);
    expect(new Float32Array(logitBytes.buffer.slice(logitBytes.byteOffset, logitBytes.byteOffset + logitBytes.byteLength))).toEqual(
      (await classes3.predict(images, { output: 'logits' })).data,
    );
  });

  it('refuses each malformed request with a 400 that names the problem', async () => {
    const input = (fields: Record<string, unknown>) => ({ inputs: [{ name: 'images', shape: [1, 1, 8, 8], datatype: 'FP32', data: new Array(64).fill(0.5), ...fields }] });
    const cases: [unknown, number, string][] = [
      [input({ shape: [1, 3, 8, 8], data: new Array(192).fill(0) }), 400, "inputs[0].shape: expected 1 channel(s) for model 'nuclei', got 3"],
      [input({ datatype: 'INT64' }), 400, 'inputs[0].datatype: expected one of FP32, FP64, UINT8, got "INT64"'],
      [input({ data: new Array(63).fill(0) }), 400, 'inputs[0].data: expected 64 values for shape [1, 1, 8, 8], got 63'],
      [input({ data: [...new Array(63).fill(0), 'x'] }), 400, 'inputs[0].data[63]: expected a finite number, got "x"'],
      [input({ name: 'image' }), 400, 'inputs[0].name: expected "images", got "image"'],
      [input({ shape: [1, 1, 2, 2], data: [0, 0, 0, 0] }), 400, 'inputs[0].shape: expected height and width of at least 4, got 2 x 2'],
      [input({ shape: [1, 8, 8], data: new Array(64).fill(0) }), 400, 'inputs[0].shape: expected N x C x H x W with N >= 1, got [1, 8, 8]'],
      [{ inputs: [] }, 400, 'inputs: expected one input, "images", got 0'],
      [{ ...input({}), outputs: [{ name: 'heatmap' }] }, 400, 'outputs[0].name: expected one of mask, probabilities, logits, got "heatmap"'],
      [[1, 2], 400, 'body: expected an infer request object'],
    ];
    for (const [payload, status, error] of cases) {
      const response = await app.inject({ method: 'POST', url: '/v2/models/nuclei/infer', payload: payload as object });
      expect([response.statusCode, response.json().error], JSON.stringify(payload).slice(0, 80)).toEqual([status, expect.stringContaining(error)]);
    }
    const notJson = await app.inject({ method: 'POST', url: '/v2/models/nuclei/infer', headers: { 'content-type': 'application/json' }, payload: '{"inputs": [' });
    expect(notJson.statusCode).toBe(400);
    expect(notJson.json().error).toMatch(/JSON/);
    const noHeader = await app.inject({ method: 'POST', url: '/v2/models/nuclei/infer', headers: { 'content-type': 'application/octet-stream' }, payload: Buffer.alloc(16) });
    expect(noHeader.json().error).toContain('needs the Inference-Header-Content-Length header');
    const shortBinary = Buffer.from(JSON.stringify({ inputs: [{ name: 'images', shape: [1, 1, 8, 8], datatype: 'FP32', parameters: { binary_data_size: 256 } }] }));
    const short = await app.inject({
      method: 'POST',
      url: '/v2/models/nuclei/infer',
      headers: { 'content-type': 'application/octet-stream', 'inference-header-content-length': String(shortBinary.length) },
      payload: Buffer.concat([shortBinary, Buffer.alloc(100)]),
    });
    expect([short.statusCode, short.json().error]).toEqual([400, 'inputs[0]: expected 256 bytes of FP32 for shape [1, 1, 8, 8], got binary_data_size 256 and 100 bytes']);
  });
});

describe('POST /v1/models/:name/segment', () => {
  it('answers a raw PNG with the mask predict gives, the overlay, or the pixels of each class', async () => {
    const bytes = readFileSync(NUCLEI_IMAGE);
    const expected = await libraryMask(binary, bytes);
    const mask = await app.inject({ method: 'POST', url: '/v1/models/nuclei/segment?output=mask', headers: { 'content-type': 'image/png' }, payload: bytes });
    expect([mask.statusCode, mask.headers['content-type']]).toEqual([200, 'image/png']);
    expect((await sharp(mask.rawPayload).metadata()).channels).toBe(1);
    const decoded = await sharp(mask.rawPayload).extractChannel(0).raw().toBuffer({ resolveWithObject: true });
    expect([decoded.info.width, decoded.info.height]).toEqual([expected.width, expected.height]);
    expect(new Uint8Array(decoded.data)).toEqual(expected.data.map((value) => value * 255));
    const foreground = expected.data.reduce((sum, value) => sum + value, 0);
    expect(foreground / expected.data.length).toBeGreaterThan(0.02);
    const summary = await app.inject({ method: 'POST', url: '/v1/models/nuclei/segment', headers: { 'content-type': 'image/png' }, payload: bytes });
    const plane = expected.width * expected.height;
    expect(summary.json()).toEqual({
      model: 'nuclei',
      width: expected.width,
      height: expected.height,
      classes: [
        { index: 0, name: 'background', pixels: plane - foreground, fraction: (plane - foreground) / plane },
        { index: 1, name: 'foreground', pixels: foreground, fraction: foreground / plane },
      ],
    });
    // Accept picks the form when the query does not.
    const byAccept = await app.inject({ method: 'POST', url: '/v1/models/nuclei/segment', headers: { 'content-type': 'image/png', accept: 'image/png' }, payload: bytes });
    expect(byAccept.rawPayload.equals(mask.rawPayload)).toBe(true);
    const overlay = await app.inject({ method: 'POST', url: '/v1/models/nuclei/segment?output=overlay', headers: { 'content-type': 'image/png' }, payload: bytes });
    const overlayInfo = await sharp(overlay.rawPayload).metadata();
    expect([overlayInfo.format, overlayInfo.width, overlayInfo.height, overlayInfo.channels]).toEqual(['png', expected.width, expected.height, 3]);
  });

  it('reads multipart uploads, JPEG, TIFF and WebP, and images of any size (tiled above tileSize)', async () => {
    const bytes = await png(50, 37, 3, 5);
    const expected = await libraryMask(classes3, bytes);
    const boundary = 'torch-unet-test';
    const form = Buffer.concat([
      Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="image"; filename="cells.png"\r\nContent-Type: image/png\r\n\r\n`),
      bytes,
      Buffer.from(`\r\n--${boundary}--\r\n`),
    ]);
    const multipart = await app.inject({
      method: 'POST',
      url: '/v1/models/parts/segment',
      headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
      payload: form,
    });
    expect(multipart.statusCode).toBe(200);
    const counts = [0, 1, 2].map((value) => expected.data.filter((item) => item === value).length);
    expect(multipart.json().classes.map((item: { name: string; pixels: number }) => [item.name, item.pixels])).toEqual([
      ['none', counts[0]],
      ['left', counts[1]],
      ['right', counts[2]],
    ]);
    for (const format of ['jpeg', 'tiff', 'webp'] as const) {
      const encoded = await sharp(bytes)[format]().toBuffer();
      const response = await app.inject({ method: 'POST', url: '/v1/models/parts/segment', headers: { 'content-type': `image/${format}` }, payload: encoded });
      expect([format, response.statusCode, response.json().width, response.json().height]).toEqual([format, 200, 50, 37]);
    }
    // Above tileSize the library's sliding window runs: the answer is predict's with tile.
    const tiled = await server({ tileSize: 32 });
    const large = await png(70, 45, 1, 6);
    const { data } = await decodeImage(large, 1);
    const expectedTiled = await binary.predict(standardise({ data, shape: [1, 1, 45, 70] }), { tile: { size: 32 } });
    const response = await tiled.inject({ method: 'POST', url: '/v1/models/nuclei/segment', headers: { 'content-type': 'image/png' }, payload: large });
    const foreground = (expectedTiled.data as Uint8Array).reduce((sum, value) => sum + value, 0);
    expect(response.json().classes[1].pixels).toBe(foreground);
    expect((await tiled.inject('/v2/models/nuclei')).json().parameters.tileSize).toBe(32);
    await tiled.close();
  });

  it('refuses each bad upload with the status and a message that names it', async () => {
    const good = await png(16, 16, 1, 7);
    const gif = await sharp(good).gif().toBuffer();
    const cases: [string, Record<string, string>, Buffer | string, number, string][] = [
      ['truncated PNG', { 'content-type': 'image/png' }, good.subarray(0, good.length - 30), 400, 'body: the image cannot be decoded'],
      ['a text file named .png', { 'content-type': 'image/png' }, Buffer.from('these are not pixels\n'), 415, 'body: not a PNG, JPEG, TIFF or WebP image (its first bytes are none of theirs)'],
      ['a header claiming 100000 x 100000', { 'content-type': 'image/png' }, claimedSizePng(100_000, 100_000), 413, 'body: the image has more than maxImagePixels = 16777216 pixels'],
      ['a header claiming 5000 x 4000', { 'content-type': 'image/png' }, claimedSizePng(5000, 4000), 413, 'body: the image has more than maxImagePixels = 16777216 pixels'],
      ['a GIF', { 'content-type': 'application/octet-stream' }, gif, 415, 'body: not a PNG, JPEG, TIFF or WebP image'],
      ['text', { 'content-type': 'text/plain' }, 'hello', 415, 'body: expected an image'],
      ['JSON', { 'content-type': 'application/json' }, '{"image": 1}', 415, 'body: expected an image'],
      ['no content type', {}, good, 415, 'body: expected an image (image/png, image/jpeg, image/tiff, image/webp, application/octet-stream) or multipart/form-data, got no content-type'],
      ['video', { 'content-type': 'video/mp2t' }, good, 415, 'or multipart/form-data, got video/mp2t'],
      ['too small', { 'content-type': 'image/png' }, await png(3, 40, 1, 8), 400, 'body: expected height and width of at least 4, got 40 x 3'],
    ];
    for (const [what, headers, payload, status, error] of cases) {
      const response = await app.inject({ method: 'POST', url: '/v1/models/nuclei/segment', headers, payload });
      expect([what, response.statusCode], response.body).toEqual([what, status]);
      expect(response.json().error, what).toContain(error);
    }
    const output = await app.inject({ method: 'POST', url: '/v1/models/nuclei/segment?output=svg', headers: { 'content-type': 'image/png' }, payload: good });
    expect([output.statusCode, output.json().error]).toEqual([400, 'output: expected one of mask, overlay, json, got "svg"']);
    const limited = await server({ bodyLimit: 1000, maxImagePixels: 200 });
    const large = await limited.inject({ method: 'POST', url: '/v1/models/nuclei/segment', headers: { 'content-type': 'image/png' }, payload: Buffer.concat([good, Buffer.alloc(1000)]) });
    expect(large.statusCode).toBe(413);
    expect(large.json().error).toMatch(/body is too large/i);
    const pixels = await limited.inject({ method: 'POST', url: '/v1/models/nuclei/segment', headers: { 'content-type': 'image/png' }, payload: good });
    expect([pixels.statusCode, pixels.json().error]).toEqual([413, 'body: the image has more than maxImagePixels = 200 pixels']);
    await limited.close();
  });
});

describe('queueing', () => {
  it('batches concurrent requests, answers 503 with Retry-After past maxQueueSize, 504 past the deadline, and recovers', async () => {
    const queued = await server({ batching: { maxBatchSize: 3, maxQueueDelayMs: 60_000, maxQueueSize: 2 }, requestTimeoutMs: 400 });
    const body = await png(16, 16, 1, 9);
    const send = () => queued.inject({ method: 'POST', url: '/v1/models/nuclei/segment', headers: { 'content-type': 'image/png' }, payload: body });
    // Two wait for a batch of 3 that cannot fill for a minute; the last to arrive finds the queue full; the two
    // time out.
    const answers = (await Promise.all([send(), send(), send()])).sort((a, b) => a.statusCode - b.statusCode);
    expect(answers.map((answer) => answer.statusCode)).toEqual([503, 504, 504]);
    expect(answers[0].headers['retry-after']).toBe('1');
    expect(answers[0].json().error).toBe('the queue is full (maxQueueSize = 2 calls waiting)');
    expect(answers[1].json().error).toBe('the request was not answered within requestTimeoutMs = 400');
    let metrics = (await queued.inject('/metrics')).body;
    expect(metric(metrics, 'torch_unet_queue_depth{model="nuclei"}')).toBe(0);
    expect(metric(metrics, 'torch_unet_batch_size_count{model="nuclei"}')).toBeUndefined();
    // The server is free again: a request of 3 images fills a batch, which runs at once.
    const images = randomImages([3, 1, 16, 16], 12);
    const full = await queued.inject({
      method: 'POST',
      url: '/v2/models/nuclei/infer',
      payload: { inputs: [{ name: 'images', shape: images.shape, datatype: 'FP32', data: Array.from(images.data) }] },
    });
    expect(full.statusCode).toBe(200);
    metrics = (await queued.inject('/metrics')).body;
    expect(metric(metrics, 'torch_unet_batch_size_count{model="nuclei"}')).toBe(1);
    expect(metric(metrics, 'torch_unet_batch_size_sum{model="nuclei"}')).toBe(3);
    expect(metric(metrics, 'torch_unet_images_total{model="nuclei"}')).toBe(3);
    const requests = (route: string, status: number) => metric(metrics, `torch_unet_requests_total{method="POST",route="${route}",status="${status}"}`);
    expect([requests('/v1/models/:name/segment', 503), requests('/v1/models/:name/segment', 504), requests('/v2/models/:name/infer', 200)]).toEqual([1, 2, 1]);
    expect(metric(metrics, 'torch_unet_request_duration_seconds_count{route="/v1/models/:name/segment"}')).toBe(3);
    expect(metrics).toContain('nodejs_eventloop_lag_p99_seconds');
    await queued.close();
  });

  it('drops the queued work of a client that disconnects', async () => {
    const live = await server({ batching: { maxBatchSize: 8, maxQueueDelayMs: 60_000 } });
    await live.listen({ port: 0, host: '127.0.0.1' });
    const { port } = live.server.address() as { port: number };
    const depth = async () => metric((await live.inject('/metrics')).body, 'torch_unet_queue_depth{model="nuclei"}');
    const body = await png(16, 16, 1, 10);
    const client = httpRequest({ port, host: '127.0.0.1', method: 'POST', path: '/v1/models/nuclei/segment', headers: { 'content-type': 'image/png' } });
    client.on('error', () => {});
    client.end(body);
    await vi.waitFor(async () => expect(await depth()).toBe(1), { timeout: 10_000 });
    client.destroy();
    await vi.waitFor(async () => expect(await depth()).toBe(0), { timeout: 10_000 });
    await live.close();
  });
});

describe('page and metrics', () => {
  it('serves the page with the mount point as its base, its script and its style', async () => {
    const page = await app.inject('/');
    expect([page.statusCode, page.headers['content-type']]).toEqual([200, 'text/html; charset=utf-8']);
    expect(page.body).toContain('<base href="/">');
    expect((await app.inject('/app.js')).headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect((await app.inject('/style.css')).statusCode).toBe(200);
    const mounted = Fastify();
    await mounted.register(servePlugin, { prefix: '/segmentation', models: { nuclei: binary }, page: true });
    expect((await mounted.inject('/segmentation/')).body).toContain('<base href="/segmentation/">');
    expect((await mounted.inject('/segmentation/v2/models/nuclei')).statusCode).toBe(200);
    await mounted.close();
    const pageless = await server({ page: false });
    expect((await pageless.inject('/')).statusCode).toBe(404);
    await pageless.close();
  });
});
