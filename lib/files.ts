// Files are written whole or not at all: a temporary file in the same folder, flushed, then renamed over the
// target, so a reader (or a process killed mid-write) never sees half a file.
import { randomBytes } from 'node:crypto';
import { mkdir, open, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

import { typeError } from './validate.js';

/** A file path argument: a non-empty string (whether the file is there is for the operation to find). */
export function checkPath(value: unknown, name: string): asserts value is string {
  if (typeof value !== 'string' || value === '') throw typeError(name, 'a file path', value);
}

/**
 * mkdir -p that gives up: Node's recursive mkdir spins forever where the kernel answers ENOENT for a folder
 * whose parent exists (under /proc, say), so this makes one level at a time and reports the path.
 */
export async function makeFolder(path: string): Promise<void> {
  try {
    await mkdir(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST' && (await stat(path)).isDirectory()) return;
    const parent = dirname(path);
    if (code !== 'ENOENT' || parent === path) throw new Error(`cannot make the folder ${path}: ${(error as Error).message}`, { cause: error });
    await makeFolder(parent);
    try {
      await mkdir(path);
    } catch (again) {
      if ((again as NodeJS.ErrnoException).code === 'EEXIST' && (await stat(path)).isDirectory()) return;
      throw new Error(`cannot make the folder ${path}: ${(again as Error).message}`, { cause: again });
    }
  }
}

/** Writes `data` to `path` atomically, creating the parent folder. The error names the path when it cannot. */
export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  checkPath(path, 'path');
  const folder = dirname(path);
  const temporary = join(folder, `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    await makeFolder(folder);
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
