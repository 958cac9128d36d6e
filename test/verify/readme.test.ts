import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { createHarness, type Harness, type HarnessOptions } from 'dagbox/testing';
import { repoRoot } from '../helpers/project.ts';
import { servicesFlag } from './helpers.ts';

// The README's vitest example, run as written against dags/ and fixtures/ of this repo, so it cannot rot.

it('the README example of the vitest API runs and passes', async () => {
  const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');
  const block = /\*\*In vitest\.\*\*[\s\S]*?```ts\n([\s\S]*?)```/.exec(readme)?.[1];
  const body = block && /test\('[^']*', async \(\) => \{\n([\s\S]*)\n\}\);/.exec(block)?.[1];
  expect(body, 'the README has a vitest example').toBeTruthy();
  const started: Harness[] = [];
  const create = async (options: HarnessOptions) => {
    const h = await createHarness({ ...options, cwd: repoRoot, services: servicesFlag });
    started.push(h);
    return h;
  };
  // `await using` is TypeScript here; run the same statements with the harness closed below.
  const AsyncFunction = Object.getPrototypeOf(async () => {}).constructor as new (...args: string[]) => (...a: unknown[]) => Promise<void>;
  const example = new AsyncFunction('createHarness', 'expect', body!.replace('await using h =', 'const h ='));
  try {
    await example(create, expect);
  } finally {
    for (const h of started) await h.close();
  }
  expect(started).toHaveLength(1);
});
