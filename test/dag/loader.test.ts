import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { formatLoadError, loadDags } from '../../src/dag/loader.ts';
import { tempProject } from '../helpers/project.ts';

const good = (id: string) => `import { Dag } from 'DAGBOX';
const dag = new Dag({ id: '${id}', schedule: '@daily', startDate: '2021-02-05' });
dag.task('a', () => 1).to(dag.task('b', () => 2));
export default dag;
`;

async function load(files: Record<string, string>) {
  using p = tempProject(files);
  const bag = await loadDags(join(p.dir, 'dags'));
  return { ...bag, messages: bag.errors.map((e) => formatLoadError({ ...e, file: e.file.slice(p.dir.length + 1) })) };
}

describe('loadDags', () => {
  it('loads default and named exports, and skips helper files starting with _', async () => {
    const bag = await load({
      'dags/one.ts': good('one'),
      'dags/many.ts': `import { Dag } from 'DAGBOX';
export const a = new Dag({ id: 'many_a', schedule: null, startDate: '2021-01-01' });
export const b = new Dag({ id: 'many_b', schedule: '0 2 * * *', startDate: '2021-01-01' });
a.task('x', () => {}); b.task('y', () => {});`,
      'dags/_helpers.ts': 'export const notADag = 1;',
    });
    expect(bag.errors).toEqual([]);
    expect(bag.dags.map((d) => d.dag.id).sort()).toEqual(['many_a', 'many_b', 'one']);
  });

  it('reports a file that does not compile with file:line, and still loads the others', async () => {
    const bag = await load({ 'dags/good.ts': good('good'), 'dags/broken.ts': "import { Dag } from 'DAGBOX';\n\nconst x = ;\n" });
    expect(bag.dags.map((d) => d.dag.id)).toEqual(['good']);
    expect(bag.messages).toEqual([expect.stringMatching(/^dags\/broken\.ts:3:\d+: does not compile: /)]);
  });

  it('reports an import of a missing module at the import line', async () => {
    const bag = await load({ 'dags/imp.ts': `import { Dag } from 'DAGBOX';\nimport { helper } from './nowhere.ts';\nexport default helper;\n` });
    expect(bag.messages).toEqual([expect.stringMatching(/^dags\/imp\.ts:2: imports a module that cannot be found: .*nowhere\.ts/)]);
  });

  it('reports an error thrown while the file loads, at the throwing line', async () => {
    const bag = await load({ 'dags/throws.ts': `import { Dag } from 'DAGBOX';\n\nthrow new Error('no config for region');\n` });
    expect(bag.messages).toEqual(['dags/throws.ts:3:7: failed while loading: no config for region']);
  });

  it('reports a file that exports no DAG', async () => {
    const bag = await load({ 'dags/empty.ts': 'export const x = 1;\n' });
    expect(bag.messages[0]).toMatch(/^dags\/empty\.ts: exports no DAG/);
  });

  it('prints the path of a cycle found by Kahn\'s algorithm', async () => {
    const bag = await load({
      'dags/cycle.ts': `import { Dag } from 'DAGBOX';
const dag = new Dag({ id: 'cyclic', schedule: '@daily', startDate: '2021-02-05' });
const start = dag.task('start', () => {});
const a = dag.task('a', () => {});
const b = dag.task('b', () => {});
const c = dag.task('c', () => {});
start.to(a).to(b).to(c).to(a);
export default dag;
`,
    });
    expect(bag.dags).toEqual([]);
    expect(bag.messages).toHaveLength(1);
    expect(bag.messages[0]).toMatch(/^dags\/cycle\.ts:\d+:\d+: DAG "cyclic" has a cycle: (a -> b -> c -> a|b -> c -> a -> b|c -> a -> b -> c)$/);
  });

  it('reports a DAG id defined in two files, naming the first', async () => {
    const bag = await load({ 'dags/a.ts': good('same'), 'dags/b.ts': good('same') });
    expect(bag.dags.map((d) => d.file.endsWith('a.ts'))).toEqual([true]);
    expect(bag.messages).toEqual([expect.stringMatching(/^dags\/b\.ts:2: DAG id "same" is already defined in .*a\.ts:2; DAG ids must be unique/)]);
  });

  it('reports a task id defined twice, at the second definition', async () => {
    const bag = await load({
      'dags/dup.ts': `import { Dag } from 'DAGBOX';
const dag = new Dag({ id: 'dup', schedule: '@daily', startDate: '2021-02-05' });
dag.task('load', () => {});
dag.task('load', () => {});
export default dag;
`,
    });
    expect(bag.messages).toEqual(['dags/dup.ts:4:5: task id "load" is defined twice in DAG "dup"']);
  });

  it('reports a dependency on an unknown task and suggests the nearest name', async () => {
    const bag = await load({
      'dags/nps.ts': `import { Dag } from 'DAGBOX';
const dag = new Dag({ id: 'nps', schedule: '@daily', startDate: '2021-02-05' });
dag.task('extract', () => {});
const load = dag.task('load', () => {});
load.after('extarct');
export default dag;
`,
    });
    expect(bag.messages).toEqual(['dags/nps.ts:5:6: DAG "nps": task "load" depends on "extarct", which is not defined (did you mean "extract"?)']);
  });

  it("reports an invalid cron with cron-parser's reason and the DAG", async () => {
    const bag = await load({
      'dags/cron.ts': `import { Dag } from 'DAGBOX';
const dag = new Dag({ id: 'bad_cron', schedule: '0 25 * * *', startDate: '2021-02-05' });
dag.task('a', () => {});
export default dag;
`,
    });
    expect(bag.messages).toHaveLength(1);
    expect(bag.messages[0]).toMatch(/^dags\/cron\.ts:2:\d+: DAG "bad_cron": .*0 25 \* \* \*.*/);
  });

  it('reports a missing and an invalid startDate', async () => {
    const bag = await load({
      'dags/nostart.ts': `import { Dag } from 'DAGBOX';
// @ts-expect-error startDate is required
const dag = new Dag({ id: 'no_start', schedule: '@daily' });
dag.task('a', () => {});
export default dag;
`,
      'dags/badstart.ts': `import { Dag } from 'DAGBOX';
const dag = new Dag({ id: 'bad_start', schedule: '@daily', startDate: '2021-02-31' });
dag.task('a', () => {});
export default dag;
`,
    });
    expect(bag.messages).toEqual([
      expect.stringMatching(/^dags\/badstart\.ts:2:\d+: DAG "bad_start": startDate is invalid: .*2021-02-31/),
      expect.stringMatching(/^dags\/nostart\.ts:3:\d+: DAG "no_start" has no startDate: add one/),
    ]);
  });

  it('reports an unknown template variable in an operator field, naming task and field', async () => {
    const bag = await load({
      'dags/tpl.ts': `import { Dag } from 'DAGBOX';
const dag = new Dag({ id: 'tpl', schedule: '@daily', startDate: '2021-02-05', params: { table: 'nps' } });
const echo = (args: { sql: string }) => ({ kind: 'echo', args, templateFields: ['sql'] as const, execute: () => args.sql });
dag.task('ok', echo({ sql: 'select * from {{ params.table }} where d = {{ ds }}' }));
dag.task('bad', echo({ sql: 'select * from t where d = {{ dss }}' }));
export default dag;
`,
    });
    expect(bag.messages).toHaveLength(1);
    expect(bag.messages[0]).toMatch(/^dags\/tpl\.ts:5:\d+: DAG "tpl": .*task "bad" field "sql".*dss/);
  });
});
