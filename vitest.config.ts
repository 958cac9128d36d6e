import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'src/**/*.test.ts'],
    // Guards far above the expected seconds: two full suites may share the two cores.
    testTimeout: 300_000,
    hookTimeout: 300_000,
    // Spawned CLI processes and real database servers share two cores.
    maxWorkers: 2,
    reporters: ['default', './test/summary-reporter.ts'],
  },
});
