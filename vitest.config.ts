import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Native work and the Python oracle take seconds, not milliseconds; files run in separate processes.
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // Two cores: files in parallel would only fight over libtorch's threads.
    fileParallelism: false,
  },
});
