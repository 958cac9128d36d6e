import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createConnections } from '../../src/config/connections.ts';
import { createVariables } from '../../src/config/variables.ts';
import { Dag } from '../../src/dag/dag.ts';
import { columnCheck, s3ToWarehouse, sql, sqlToS3, sqlToSql, tableCheck } from '../../src/operators/index.ts';
import { Masker, renderTaskFields } from '../../src/run/index.ts';
import { startPipelineHarness, states, type PipelineHarness } from '../pipelines/harness.ts';

// Issue 20: a hole glued to a name ran under a marker name (part_0) while `tasks render` showed
// part_20210205. Every operator with SQL fields is rendered as `tasks render` does, then run on
// the real servers, and the names shown are the names the databases saw.

let h: PipelineHarness;
beforeAll(async () => {
  h = await startPipelineHarness({ api_token: 'tok-s3cr3t-value' });
});
afterAll(async () => {
  await h?.close();
});
beforeEach(() => h.reset());

const INTERVAL = { start: new Date('2021-02-05T00:00:00Z'), end: new Date('2021-02-06T00:00:00Z') };
const PARAMS = { schema: 'raw_data', region: 'seoul', col: 'score', evil: 'x; DROP TABLE raw_data.nps' };

function shownFields(dag: Dag, taskId: string): Record<string, unknown> {
  const masker = new Masker();
  masker.add('tok-s3cr3t-value');
  return renderTaskFields(dag, taskId, INTERVAL, createVariables({ api_token: 'tok-s3cr3t-value' }, {}), { connections: createConnections({}, {}), masker });
}

describe('what tasks render shows is what runs, for every operator with SQL fields', () => {
  it('sql, sqlToS3, s3ToWarehouse, sqlToSql, columnCheck and tableCheck use the names tasks render shows', async () => {
    const dag = new Dag({ id: 'shown_is_run', schedule: '@daily', startDate: '2021-01-01', params: PARAMS });
    const make = dag.task(
      'make',
      sql({
        connId: 'redshift',
        sql: 'CREATE TABLE {{ params.schema }}.part_{{ ds_nodash }} (id int, score int); CREATE TABLE public.stage_{{ params.region }}_{{ ds_nodash }} (LIKE {{ params.schema }}.part_{{ ds_nodash }})',
      }),
    );
    const makeMysql = dag.task('make_mysql', sql({ connId: 'mysql', sql: 'CREATE TABLE prod.copy_{{ ds_nodash }} (id INT, score INT)' }));
    const extract = dag.task(
      'extract',
      sqlToS3({ sqlConnId: 'mysql', query: "SELECT id, score FROM prod.nps WHERE DATE(created_at) = DATE('{{ ds }}') ORDER BY id", s3Key: 'stage_{{ params.region }}/{{ ds_nodash }}.csv', replace: true }),
    );
    const load = dag.task('load', s3ToWarehouse({ schema: '{{ params.schema }}', table: 'part_{{ ds_nodash }}', s3Key: 'stage_{{ params.region }}/{{ ds_nodash }}.csv', copyOptions: ['CSV', 'IGNOREHEADER 1'] }));
    const back = dag.task('back', sqlToSql({ sourceConnId: 'redshift', destinationConnId: 'mysql', sql: 'SELECT id, {{ params.col }} FROM {{ params.schema }}.part_{{ ds_nodash }}', destinationTable: 'prod.copy_{{ ds_nodash }}', method: 'REPLACE' }));
    const columns = dag.task('columns', columnCheck({ connId: 'redshift', table: '{{ params.schema }}.part_{{ ds_nodash }}', columnMapping: { id: { null_check: { equal_to: 0 } } }, partitionClause: '{{ params.col }}_{{ ds_nodash }} IS NULL OR {{ params.col }} >= 0' }));
    const table = dag.task('table', tableCheck({ connId: 'mysql', table: 'prod.copy_{{ ds_nodash }}', checks: { some_rows: { checkStatement: 'COUNT(*) > 0' } }, partitionClause: 'id > 0' }));
    make.to(makeMysql).to(extract).to(load).to(back).to([columns, table]);

    expect(shownFields(dag, 'make').sql).toBe('CREATE TABLE raw_data.part_20210205 (id int, score int); CREATE TABLE public.stage_seoul_20210205 (LIKE raw_data.part_20210205)');
    expect(shownFields(dag, 'extract')).toMatchObject({ s3Key: 'stage_seoul/20210205.csv' });
    expect(shownFields(dag, 'load')).toMatchObject({ schema: 'raw_data', table: 'part_20210205' });
    expect(shownFields(dag, 'back')).toMatchObject({ sql: 'SELECT id, score FROM raw_data.part_20210205', destinationTable: 'prod.copy_20210205' });
    expect(shownFields(dag, 'columns')).toMatchObject({ table: 'raw_data.part_20210205', partitionClause: 'score_20210205 IS NULL OR score >= 0' });
    expect(shownFields(dag, 'table')).toMatchObject({ table: 'prod.copy_20210205' });

    // The columnCheck's partition names a column that does not exist: it must fail naming exactly that column.
    const [run] = await h.backfill(dag, '2021-02-05', '2021-02-06');
    expect(states(run!)).toEqual({ make: 'success', make_mysql: 'success', extract: 'success', load: 'success', back: 'success', columns: 'failed', table: 'success' });
    expect(run!.tasks.find((t) => t.taskId === 'columns')!.error).toContain('column "score_20210205" does not exist');

    const dayRows = await h.mysql("SELECT COUNT(*) AS n FROM prod.nps WHERE DATE(created_at) = '2021-02-05'");
    expect(await h.pg('SELECT COUNT(*) AS n FROM raw_data.part_20210205')).toEqual(dayRows);
    expect(await h.mysql('SELECT COUNT(*) AS n FROM prod.copy_20210205')).toEqual(dayRows);
    expect(await h.pg("SELECT to_regclass('public.stage_seoul_20210205') IS NOT NULL AS made")).toEqual([{ made: 't' }]);
    expect((await h.s3Text('stage_seoul/20210205.csv')).split('\n')[0]).toBe('id,score');
    // No name made of marker characters, as before the fix.
    expect(await h.pg("SELECT relname FROM pg_class WHERE relname ~ '[\\uE000-\\uE003]' OR relname ~ '^part_[0-9]$'")).toEqual([]);
  });

  it('a value that is not a name fragment is refused by tasks render and by the run alike, with the DAG file and line', async () => {
    const dag = new Dag({ id: 'shown_is_run_bad', schedule: '@daily', startDate: '2021-01-01', params: PARAMS });
    dag.task('drop', sql({ connId: 'redshift', sql: 'DROP TABLE IF EXISTS stage_{{ params.evil }}' }));
    dag.task('secret', sql({ connId: 'mysql', sql: 'SELECT * FROM t_{{ var.value.api_token }}_x' }));

    const line = /shown-is-run\.test\.ts:\d+: task "drop" of DAG "shown_is_run_bad", field "sql": \{\{ params\.evil \}\} is part of the name stage_\{\{ params\.evil \}\} and renders to "x; DROP TABLE raw_data\.nps", which is not a name fragment/;
    expect(() => shownFields(dag, 'drop')).toThrow(line);
    expect(() => shownFields(dag, 'secret')).toThrow('renders to "***"');

    const [run] = await h.backfill(dag, '2021-02-05', '2021-02-06');
    expect(states(run!)).toEqual({ drop: 'failed', secret: 'failed' });
    expect(run!.tasks.find((t) => t.taskId === 'drop')!.error).toMatch(line);
    const secret = run!.tasks.find((t) => t.taskId === 'secret')!;
    expect(secret.error).toContain('renders to "***"');
    expect(JSON.stringify(secret)).not.toContain('tok-s3cr3t-value');
    expect(await h.pg("SELECT to_regclass('raw_data.nps') IS NOT NULL AS present")).toEqual([{ present: 't' }]);
  });
});

describe('MySQL executable comments (issue 15)', () => {
  it('a hole in a comment is refused, so `/*{{ params.note }}*/` with note "! OR 1=1" deletes nothing on MariaDB', async () => {
    const before = await h.mysql('SELECT COUNT(*) AS n FROM prod.nps');
    const dag = new Dag({ id: 'exec_comment', schedule: '@daily', startDate: '2021-01-01', params: { note: '! OR 1=1' } });
    dag.task('delete', sql({ connId: 'mysql', sql: 'DELETE FROM prod.nps WHERE id = 10 /*{{ params.note }}*/' }));
    const [run] = await h.backfill(dag, '2021-02-05', '2021-02-06');
    expect(run!.tasks[0]!.state).toBe('failed');
    expect(run!.tasks[0]!.error).toContain('{{ params.note }} is inside a SQL comment');
    expect(await h.mysql('SELECT COUNT(*) AS n FROM prod.nps')).toEqual(before);
  });

  it('the text of /*! ... */ and /*M! ... */ is SQL to MariaDB, and values in it are bound', async () => {
    const run = await h.runOperator(sql({ connId: 'mysql', returnRows: true, sql: "SELECT 1 AS one /*!50000 , '{{ ds }}' AS d */ /*M!100100 , '{{ ds_nodash }}' AS m */" }));
    expect(run.error).toBeUndefined();
    expect(run.log).toContain('SELECT 1 AS one /*!50000 , ? AS d */ /*M!100100 , ? AS m */  [2 bound value(s)]');
    expect(run.value).toEqual([{ one: 1, d: '2021-02-05', m: '20210205' }]);
  });
});
