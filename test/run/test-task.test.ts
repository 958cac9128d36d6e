import { describe, expect, it } from 'vitest';
import { renderTaskFields, testTask } from '../../src/run/index.ts';
import { createVariables } from '../../src/config/variables.ts';
import { dag, day, op, testEnv } from './helpers.ts';

describe('testTask (tasks test)', () => {
  it('runs one task without its upstream, once, without callbacks, and records nothing', async () => {
    const ran: string[] = [];
    let failureCalled = false;
    const d = dag();
    const up = d.task('up', () => void ran.push('up'));
    d.task('down', (ctx) => {
      ran.push(`down ${ctx.ds} ${ctx.runId}`);
      throw new Error('nope');
    }, { retries: 3, onFailure: () => void (failureCalled = true), dependsOnPast: true }).after(up);
    const result = await testTask(d, 'down', day('2021-02-05'), testEnv());
    expect(ran).toEqual(['down 2021-02-05 test__2021-02-05T00:00:00+00:00']);
    expect(result).toMatchObject({ taskId: 'down', state: 'failed', tryNumber: 1, error: 'nope' });
    expect(failureCalled).toBe(false);
  });

  it('names the nearest task id when the task does not exist', async () => {
    const d = dag();
    d.task('extract', () => {});
    await expect(testTask(d, 'extrat', day('2021-02-05'), testEnv())).rejects.toThrow(/has no task "extrat" \(did you mean "extract"\?\)/);
  });
});

describe('renderTaskFields (tasks render)', () => {
  it("renders an operator's templateFields deep inside arrays and objects, and nothing for a function task", () => {
    const d = dag('r', { params: { table: 'nps' } });
    d.task('op', op({
      kind: 'sqlToS3',
      args: { query: "SELECT * FROM {{ params.table }} WHERE DATE(created_at) = DATE('{{ ds }}')", s3: { key: 'nps/{{ ds_nodash }}.csv', tags: ['{{ var.value.env }}'] }, replace: true },
      templateFields: ['query', 's3'],
      execute: () => {},
    }));
    d.task('fn', () => {});
    const vars = createVariables({ env: 'dev' }, {});
    expect(renderTaskFields(d, 'op', day('2021-02-05'), vars)).toEqual({
      query: "SELECT * FROM nps WHERE DATE(created_at) = DATE('2021-02-05')",
      s3: { key: 'nps/20210205.csv', tags: ['dev'] },
    });
    expect(renderTaskFields(d, 'fn', day('2021-02-05'), vars)).toEqual({});
  });
});
