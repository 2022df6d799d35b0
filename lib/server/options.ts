// The server's options: their defaults (owned here, shown by `torch-unet serve --help`) and their checks.
import type { Registry } from 'prom-client';

import type { BatchingOptions } from '../inference/batcher.js';
import { UNet } from '../model/unet.js';
import type { Precision } from '../runtime/backend.js';
import { boolean, checkOptions, integer, oneOf, typeError, type Check } from '../validate.js';

/** A model to serve, with the names of its mask values (background first) where they are known. */
export interface ServedModelOptions {
  model: UNet;
  classNames?: string[];
}

export interface ServeOptions {
  /** The models by the name their routes use: a UNet, or { model, classNames }. */
  models: Record<string, UNet | ServedModelOptions>;
  /** Dynamic batching of each model's requests; maxBatchSize 1 turns it off. Default { 8, 5 ms, 64 }. */
  batching?: Partial<BatchingOptions>;
  /** A request not answered in this many milliseconds gets a 504, and its queued work is dropped. Default 30000. */
  requestTimeoutMs?: number;
  /** Largest request body in bytes (413 above). Default 32 MiB. */
  bodyLimit?: number;
  /** Largest image in pixels (width x height), read from its header before it is decoded (413 above). Default 4096 x 4096. */
  maxImagePixels?: number;
  /** Images wider or taller than this are predicted in sliding windows of this size. Default 1024. */
  tileSize?: number;
  /** Of the networks. Default 'fp32'. */
  precision?: Precision;
  /** 'flips': test-time augmentation over the flips. Default none. */
  tta?: 'flips';
  /** Where the metrics are registered. Default a registry of the plugin's own, with prom-client's default metrics. */
  registry?: Registry;
  /** Serve the web page at the plugin's root. Default true. */
  page?: boolean;
}

export const SERVE_DEFAULTS = {
  batching: { maxBatchSize: 8, maxQueueDelayMs: 5, maxQueueSize: 64 },
  requestTimeoutMs: 30_000,
  bodyLimit: 32 * 1024 * 1024,
  maxImagePixels: 4096 * 4096,
  tileSize: 1024,
  page: true,
} as const;

/** The options with their defaults, checked: what the routes read. */
export interface ServeSettings {
  models: Map<string, ServedModelOptions>;
  batching: Required<BatchingOptions>;
  requestTimeoutMs: number;
  bodyLimit: number;
  maxImagePixels: number;
  tileSize: number;
  precision?: Precision;
  tta?: 'flips';
  registry?: Registry;
  page: boolean;
}

const MODEL_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

function servedModel(value: unknown, name: string): ServedModelOptions {
  if (value instanceof UNet) return { model: value };
  const served = checkOptions<ServedModelOptions>(value, name, {
    model: (model, field) => {
      if (!(model instanceof UNet)) throw typeError(field, 'a UNet', model);
    },
    classNames: (names, field) => {
      if (!Array.isArray(names) || names.some((item) => typeof item !== 'string')) throw typeError(field, 'an array of strings', names);
    },
  });
  if (!served.model) throw typeError(name, 'a UNet or { model: UNet, classNames? }', value);
  const values = Math.max(2, served.model.config.classes);
  if (served.classNames && served.classNames.length !== values) {
    throw new RangeError(`${name}.classNames: expected ${values} names (one per mask value, background first), got ${served.classNames.length}`);
  }
  return served;
}

const optionChecks: Record<string, Check> = {
  models: (value, name) => {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw typeError(name, 'an object of models by name', value);
  },
  batching: (value, name) =>
    checkOptions(value, name, {
      maxBatchSize: integer(1, 4096),
      maxQueueDelayMs: integer(0, 60_000),
      maxQueueSize: integer(0, 1_000_000),
    }),
  requestTimeoutMs: integer(1, 3_600_000),
  bodyLimit: integer(1, 2 ** 31 - 1),
  maxImagePixels: integer(1, 2 ** 31 - 1),
  tileSize: integer(16, 16384),
  precision: oneOf('fp32', 'bf16', 'fp16', 'auto'),
  tta: oneOf('flips'),
  registry: (value, name) => {
    if (typeof value !== 'object' || value === null || typeof (value as Registry).metrics !== 'function') throw typeError(name, 'a prom-client Registry', value);
  },
  page: boolean,
};

/** fastify's own register options, which it hands to the plugin too. */
const REGISTER_OPTIONS = ['prefix', 'logLevel', 'logSerializers'];

export function checkServeOptions(options: unknown): ServeSettings {
  const ours = typeof options === 'object' && options !== null ? Object.fromEntries(Object.entries(options).filter(([key]) => !REGISTER_OPTIONS.includes(key))) : options;
  const checked = checkOptions<ServeOptions>(ours, 'options', optionChecks);
  if (!checked.models) throw new TypeError('options.models: expected an object of models by name, got undefined');
  const models = new Map<string, ServedModelOptions>();
  for (const [name, value] of Object.entries(checked.models)) {
    if (!MODEL_NAME.test(name)) throw new TypeError(`options.models: '${name}' is no model name (letters, digits, '_', '.', '-'; up to 64)`);
    models.set(name, servedModel(value, `options.models.${name}`));
  }
  if (models.size === 0) throw new RangeError('options.models: expected at least one model');
  return {
    models,
    batching: { ...SERVE_DEFAULTS.batching, ...checked.batching },
    requestTimeoutMs: checked.requestTimeoutMs ?? SERVE_DEFAULTS.requestTimeoutMs,
    bodyLimit: checked.bodyLimit ?? SERVE_DEFAULTS.bodyLimit,
    maxImagePixels: checked.maxImagePixels ?? SERVE_DEFAULTS.maxImagePixels,
    tileSize: checked.tileSize ?? SERVE_DEFAULTS.tileSize,
    precision: checked.precision,
    tta: checked.tta,
    registry: checked.registry,
    page: checked.page ?? SERVE_DEFAULTS.page,
  };
}
