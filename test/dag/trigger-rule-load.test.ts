import { expect, it } from 'vitest';
import { join } from 'node:path';
import { formatLoadError, loadDags } from '../../src/dag/loader.ts';
import { tempProject } from '../helpers/project.ts';

it('reports an unknown trigger rule as a load error at the task, with the nearest rule', async () => {
  using p = tempProject({
    'dags/rules.ts': `import { Dag } from 'DAGBOX';
const dag = new Dag({ id: 'rules', schedule: '@daily', startDate: '2021-02-05' });
dag.task('extract', () => {});
dag.task('alert', () => {}, { triggerRule: 'one_faild' as never }).after('extract');
export default dag;
`,
  });
  const bag = await loadDags(join(p.dir, 'dags'));
  expect(bag.dags).toHaveLength(0);
  expect(bag.errors.map((e) => formatLoadError({ ...e, file: e.file.slice(p.dir.length + 1) }))).toEqual([
    'dags/rules.ts:4:5: DAG "rules": task "alert" has trigger rule "one_faild" (did you mean "one_failed"?); expected one of ' +
      'all_success, all_failed, all_done, all_skipped, one_success, one_failed, one_done, none_failed, none_failed_min_one_success, none_skipped, always',
  ]);
});

it('reports an unknown trigger rule in defaultArgs at every task it reaches', async () => {
  using p = tempProject({
    'dags/defaults.ts': `import { Dag } from 'DAGBOX';
const dag = new Dag({ id: 'defaults', schedule: '@daily', startDate: '2021-02-05', defaultArgs: { triggerRule: 'bogus' as never } });
dag.task('a', () => {});
export default dag;
`,
  });
  const bag = await loadDags(join(p.dir, 'dags'));
  expect(bag.errors.map((e) => e.message)).toEqual([expect.stringContaining('DAG "defaults": task "a" has trigger rule "bogus"')]);
  expect(bag.errors[0]!.line).toBe(3);
});
