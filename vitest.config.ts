import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Native work and the Python oracle take seconds, not milliseconds; files run in separate processes.
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // The leak test reads the resident memory after a full collection (global.gc).
    poolOptions: { forks: { execArgv: ['--expose-gc'] } },
    // Two cores: files in parallel would only fight over libtorch's threads.
    fileParallelism: false,
  },
});
