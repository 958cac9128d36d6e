// The README's "Branches, skips, mapping and sensors" example, loaded as a DAG file and run.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { loadDags } from '../src/dag/loader.ts';
import { runDagRun } from '../src/run/index.ts';
import { repoRoot, tempProject } from './helpers/project.ts';
import { day, testEnv } from './run/helpers.ts';

it("the README's branch / mapping / sensor example runs with the states it describes", async () => {
  const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');
  const code = /## Branches, skips, mapping and sensors[\s\S]*?```ts\n([\s\S]*?)```/.exec(readme)?.[1];
  expect(code).toContain('dags/orders.ts');
  using p = tempProject({ 'dags/orders.ts': code!.replaceAll("from 'dagbox'", "from 'DAGBOX'") });
  const bag = await loadDags(join(p.dir, 'dags'));
  expect(bag.errors).toEqual([]);
  const dag = bag.dags[0]!.dag;
  const key = (t: { taskId: string; mapIndex?: number }) => (t.mapIndex === undefined ? t.taskId : `${t.taskId}[${t.mapIndex}]`);
  const statesOn = async (ds: string) => {
    const run = await runDagRun(dag, day(ds), testEnv({ onEvent: undefined }));
    return Object.fromEntries(run.tasks.map((t) => [key(t), t.state]));
  };
  // 2021-02-08 is a Monday: the full load; 2021-02-06 has no orders: incremental skips itself.
  expect(await statesOn('2021-02-08')).toEqual({
    list_files: 'success', 'size[0]': 'success', 'size[1]': 'success', total: 'success', pick: 'success',
    full_load: 'success', incremental: 'skipped', report: 'success', settle: 'success', archive: 'success',
  });
  expect(await statesOn('2021-02-06')).toMatchObject({ full_load: 'skipped', incremental: 'skipped', report: 'skipped', settle: 'success', archive: 'skipped' });
  expect(await statesOn('2021-02-05')).toMatchObject({ full_load: 'skipped', incremental: 'success', report: 'success', archive: 'success' });
});
