// The decoded pixels of a folder, kept on disk so that a second load reads one file instead of decoding every
// image. A file is named by a hash of everything that decides its content (the resolved options and each file's
// size and modification time), so a changed option or file simply misses.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';

import { writeFileAtomic } from '../files.js';
import type { Dataset } from './dataset.js';

const MAGIC = Buffer.from('TUNETDS1');

/** `$XDG_CACHE_HOME/torch-unet`, else `~/.cache/torch-unet`. */
export function defaultCacheFolder(): string {
  const xdg = process.env.XDG_CACHE_HOME;
  return join(xdg ? xdg : join(homedir(), '.cache'), 'torch-unet');
}

export function cacheFile(folder: string, key: unknown): string {
  return join(folder, `${createHash('sha256').update(JSON.stringify(key)).digest('hex').slice(0, 32)}.dataset`);
}

/**
 * Layout: magic, header length (uint32 LE), JSON header, then the images as uint16 (value x 65535: exact for
 * 8-bit pixels, half the size of float32) and the masks as uint8. The header holds a digest of the rest.
 */
export async function writeCache(path: string, dataset: Dataset): Promise<void> {
  const images = new Uint16Array(dataset.images.data.length);
  dataset.images.data.forEach((value, index) => (images[index] = Math.round(value * 65535)));
  const payload = Buffer.concat([Buffer.from(images.buffer), Buffer.from(dataset.masks.data.buffer, dataset.masks.data.byteOffset, dataset.masks.data.byteLength)]);
  const header = Buffer.from(
    JSON.stringify({
      shape: dataset.images.shape,
      names: dataset.names,
      channels: dataset.channels,
      classes: dataset.classes,
      sha256: createHash('sha256').update(payload).digest('hex'),
    }),
  );
  const length = Buffer.alloc(4);
  length.writeUInt32LE(header.length);
  await writeFileAtomic(path, Buffer.concat([MAGIC, length, header, payload]));
}

/** The cached data set, or undefined when the file is missing, truncated, corrupt or of another layout. */
export async function readCache(path: string): Promise<Dataset | undefined> {
  let file: Buffer;
  try {
    file = await readFile(path);
  } catch {
    return undefined;
  }
  try {
    if (!file.subarray(0, MAGIC.length).equals(MAGIC)) return undefined;
    const headerEnd = MAGIC.length + 4 + file.readUInt32LE(MAGIC.length);
    const header = JSON.parse(file.subarray(MAGIC.length + 4, headerEnd).toString('utf8'));
    const [count, channels, height, width] = header.shape as number[];
    const imageCount = count * channels * height * width;
    const payload = file.subarray(headerEnd);
    if (payload.length !== imageCount * 2 + count * height * width) return undefined;
    if (createHash('sha256').update(payload).digest('hex') !== header.sha256) return undefined;
    // A copy: the payload's offset in the file need not be 2-byte aligned.
    const samples = new Uint16Array(payload.buffer.slice(payload.byteOffset, payload.byteOffset + imageCount * 2));
    const images = new Float32Array(imageCount);
    for (let i = 0; i < imageCount; i++) images[i] = samples[i] / 65535;
    const masks = new Uint8Array(payload.subarray(imageCount * 2));
    return {
      images: { data: images, shape: [count, channels, height, width], dtype: 'float32' },
      masks: { data: masks, shape: [count, 1, height, width], dtype: 'uint8' },
      names: header.names,
      channels: header.channels,
      classes: header.classes,
    };
  } catch {
    return undefined;
  }
}
