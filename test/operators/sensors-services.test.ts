import { PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Dag } from '../../src/dag/dag.ts';
import { s3KeySensor, sqlSensor } from '../../src/operators/index.ts';
import { startPipelineHarness, states, type PipelineHarness } from '../pipelines/harness.ts';

describe('sensors against the session S3 and MySQL', () => {
  let h: PipelineHarness;
  beforeAll(async () => {
    h = await startPipelineHarness();
  });
  afterAll(() => h?.close());
  beforeEach(() => h.reset());

  it('s3KeySensor sees the object a sibling task writes, and a wildcard key', async () => {
    const d = new Dag({ id: 's3_sensor', schedule: '@daily', startDate: '2021-01-01' });
    d.task('writer', async (ctx) => {
      await ctx.mysql().query('SELECT SLEEP(0.2)');
      await ctx.s3().send(new PutObjectCommand({ Bucket: ctx.bucket, Key: `landing/${ctx.ds}/orders.csv`, Body: 'id\n1\n' }));
    });
    d.task('wait_exact', s3KeySensor({ bucketKey: 'landing/{{ ds }}/orders.csv', pokeInterval: '5m', timeout: '1h' }));
    d.task('wait_glob', s3KeySensor({ bucketKey: 's3://_/landing/{{ ds }}/*.csv', wildcardMatch: true, pokeInterval: '5m', timeout: '1h' }));
    d.task('never', s3KeySensor({ bucketKey: 'landing/{{ ds }}/missing.csv', pokeInterval: '20m', timeout: '1h', softFail: true }));
    const [run] = await h.backfill(d, '2021-02-05', '2021-02-06');
    expect(states(run!)).toEqual({ writer: 'success', wait_exact: 'success', wait_glob: 'success', never: 'skipped' });
    const never = run!.tasks.find((t) => t.taskId === 'never')!;
    expect(never.error).toBe('Sensor has timed out; run duration of 4800 seconds exceeds the specified timeout of 3600.');
    expect(never.log.join('\n')).toMatch(/Poking for key : s3:\/\/\S+\/landing\/2021-02-05\/missing\.csv/);
  });

  it('sqlSensor pokes a templated query until its first cell is true, with the value bound', async () => {
    const d = new Dag({ id: 'sql_sensor', schedule: '@daily', startDate: '2021-01-01' });
    d.task('has_rows', sqlSensor({ connId: 'mysql', sql: "SELECT COUNT(*) FROM prod.nps WHERE DATE(created_at) = DATE('{{ ds }}')", timeout: '10m', softFail: true }));
    const [withRows] = await h.backfill(d, '2021-02-05', '2021-02-06');
    expect(states(withRows!)).toEqual({ has_rows: 'success' });
    const [empty] = await h.backfill(d, '2021-01-05', '2021-01-06');
    expect(states(empty!)).toEqual({ has_rows: 'skipped' });
  });
});
