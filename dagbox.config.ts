import { defineConfig } from 'dagbox';

/**
 * The example project's settings. The fixtures hold February 2021 data, so the simulated clock
 * stands just after it: `dagbox dev` and `dagbox test` run the intervals the fixtures cover.
 */
export default defineConfig({
  now: '2021-02-09',
  window: 3,
});
