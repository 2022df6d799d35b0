// torch-unet in worker threads: a worker terminated in the middle of fit ends without a crash or a hang (its
// environment closes the way back from the compute thread and waits for the running job, which stops), and
// the process goes on using the addon.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

describe('worker threads', () => {
  it('survive a worker terminated during fit; others and the main thread keep working', () => {
    const script = join(import.meta.dirname, 'helpers', 'worker-teardown.ts');
    const output = execFileSync(process.execPath, ['--import', 'tsx', script], { encoding: 'utf8', timeout: 120_000 });
    expect(output.trim().split('\n')).toEqual(['terminated during fit: exit 1', 'worker predict: 2x1x16x16', 'main predict: 1x1x16x16']);
  });
});
