// Files are written whole or not at all: a temporary file in the same folder, flushed, then renamed over the
// target, so a reader (or a process killed mid-write) never sees half a file.
import { randomBytes } from 'node:crypto';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

import { typeError } from './validate.js';

export function checkPath(value: unknown, name: string): asserts value is string {
  if (typeof value !== 'string' || value === '') throw typeError(name, 'a file path', value);
}

/** Writes `data` to `path` atomically, creating the parent folder. The error names the path when it cannot. */
export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  checkPath(path, 'path');
  const folder = dirname(path);
  const temporary = join(folder, `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    await mkdir(folder, { recursive: true });
    const file = await open(temporary, 'w');
    try {
      await file.writeFile(data);
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true }).catch(() => undefined);
    throw new Error(`cannot write ${path}: ${(error as Error).message}`, { cause: error });
  }
}
