// The fastify plugin: the Open Inference Protocol v2 routes (health, metadata, infer), an image route, the
// Prometheus metrics and the web page, for the models it is given. Mount it with app.register(servePlugin,
// { models }); its parsers, hooks and error handler stay inside its own routes (fastify's encapsulation).
import { readFileSync } from 'node:fs';

import multipart from '@fastify/multipart';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

import { httpError, HttpError, RequestTimeoutError } from './errors.js';
import { infer } from './infer.js';
import { ServerMetrics } from './metrics.js';
import { ServedModel } from './models.js';
import { checkServeOptions, type ServeOptions } from './options.js';
import { IMAGE_TYPES, segment, segmentOutput } from './segment.js';

const PACKAGE = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
const PAGE = new URL('../../web/', import.meta.url);

type Params = { Params: { name: string } };

declare module 'fastify' {
  interface FastifyContextConfig {
    /** What a route's body may be, for the 415 that fastify's parsers answer. */
    accepts?: string;
  }
}

const INFER_ACCEPTS = 'application/json, or application/octet-stream with an Inference-Header-Content-Length';
const SEGMENT_ACCEPTS = `an image (${IMAGE_TYPES.join(', ')}, application/octet-stream) or multipart/form-data`;
const unsupported = (accepts: string, type: string | undefined) => `body: expected ${accepts}, got ${type ?? 'no content-type'}`;

/** Aborts when the request's deadline passes or its client goes away; `work` runs with it. */
async function withDeadline<T>(reply: FastifyReply, timeoutMs: number, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new RequestTimeoutError(timeoutMs)), timeoutMs);
  const onClose = () => {
    if (!reply.raw.writableFinished) controller.abort(new Error('the client closed the connection'));
  };
  reply.raw.once('close', onClose);
  try {
    return await work(controller.signal);
  } finally {
    clearTimeout(timer);
    reply.raw.off('close', onClose);
  }
}

export async function servePlugin(app: FastifyInstance, options: ServeOptions): Promise<void> {
  const settings = checkServeOptions(options);
  const served = new Map<string, ServedModel>();
  const onBatch = (model: string, images: number) => metrics.observeBatch(model, images);
  for (const [name, model] of settings.models) served.set(name, new ServedModel(name, model, settings, onBatch));
  const metrics = new ServerMetrics([...served.values()], settings.registry);
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  // While draining, each answer closes its connection: an idle keep-alive connection would hold close() open.
  app.addHook('onSend', async (_request, reply) => {
    if (closing) reply.header('connection', 'close');
  });

  const model = (request: FastifyRequest<Params>): ServedModel => {
    const found = served.get(request.params.name);
    if (!found) throw new HttpError(404, `model '${request.params.name}' is not served here; the models are ${[...served.keys()].join(', ')}`);
    return found;
  };

  app.setErrorHandler((error, request, reply) => {
    const { statusCode, headers, message } = httpError(error);
    // fastify's own 415 does not say what the route takes.
    const { accepts } = request.routeOptions.config;
    if ((error as { code?: string }).code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE' && accepts) {
      return reply.code(415).send({ error: unsupported(accepts, request.headers['content-type']) });
    }
    if (statusCode === 500) request.log.error(error);
    return reply.code(statusCode).headers(headers).send({ error: message });
  });
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unknown';
    metrics.requests.inc({ method: request.method, route, status: reply.statusCode });
    metrics.latency.observe({ route }, reply.elapsedTime / 1000);
  });
  app.addContentTypeParser([...IMAGE_TYPES, 'application/octet-stream'], { parseAs: 'buffer', bodyLimit: settings.bodyLimit }, (_request, body, done) => done(null, body));
  await app.register(multipart, { limits: { fileSize: settings.bodyLimit, files: 1, fields: 16 } });

  app.get('/v2', async () => ({ name: 'torch-unet', version: PACKAGE.version, extensions: ['binary_tensor_data'] }));
  app.get('/v2/health/live', async (_request, reply) => reply.code(200).send());
  // Not ready while draining, so that a load balancer stops sending (OIP says 4xx; 503 is what probes expect).
  app.get('/v2/health/ready', async (_request, reply) => reply.code(closing ? 503 : 200).send());
  app.get('/v1/models', async () => ({ models: [...served.values()].map((item) => item.metadata) }));
  app.get<Params>('/v2/models/:name', async (request) => model(request).metadata);
  app.get<Params>('/v2/models/:name/ready', async (request, reply) => {
    model(request);
    return reply.code(closing ? 503 : 200).send();
  });

  app.post<Params>('/v2/models/:name/infer', { bodyLimit: settings.bodyLimit, config: { accepts: INFER_ACCEPTS } }, async (request, reply) => {
    const found = model(request);
    const header = request.headers['inference-header-content-length'];
    const { headers, body } = await withDeadline(reply, settings.requestTimeoutMs, (signal) =>
      infer(found, request.body, Array.isArray(header) ? header[0] : header, signal),
    );
    return reply.headers(headers).send(body);
  });

  app.post<Params>('/v1/models/:name/segment', { bodyLimit: settings.bodyLimit, config: { accepts: SEGMENT_ACCEPTS } }, async (request, reply) => {
    const found = model(request);
    const output = segmentOutput(request.query, request.headers.accept);
    let bytes: Buffer;
    if (request.isMultipart()) {
      const file = await request.file();
      if (!file) throw new HttpError(400, 'body: the multipart form holds no file');
      bytes = await file.toBuffer();
    } else if (Buffer.isBuffer(request.body)) bytes = request.body;
    else throw new HttpError(415, unsupported(SEGMENT_ACCEPTS, request.headers['content-type']));
    const { type, body } = await withDeadline(reply, settings.requestTimeoutMs, (signal) => segment(found, bytes, output, signal));
    return reply.type(type).send(body);
  });

  app.get('/metrics', async (_request, reply) => reply.type(metrics.registry.contentType).send(await metrics.registry.metrics()));

  if (settings.page) {
    // Read once: the page is three small files, served as they are, with the mount point as the base of its links.
    const page = (file: string) => readFileSync(new URL(file, PAGE), 'utf8');
    const html = page('index.html').replace('<!--base-->', `<base href="${app.prefix}/">`);
    const script = page('app.js');
    const style = page('style.css');
    app.get('/', async (_request, reply) => reply.type('text/html; charset=utf-8').send(html));
    app.get('/app.js', async (_request, reply) => reply.type('text/javascript; charset=utf-8').send(script));
    app.get('/style.css', async (_request, reply) => reply.type('text/css; charset=utf-8').send(style));
  }
}
