import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { Dag } from 'dagbox';
import { daily, fromCsv, insertRows, toCsv, type NpsRow } from './_lib.ts';

/**
 * CORRECT: a full refresh. The extract writes the whole source to one object per ds (a re-run
 * overwrites it), and the load replaces the whole table from it inside one transaction.
 */
const dag = new Dag({ id: 'replace_tx', ...daily });

const extract = dag.task('extract', async (ctx) => {
  const [rows] = await ctx.mysql().query("SELECT id, user_id, score, DATE_FORMAT(created_at, '%Y-%m-%d %H:%i:%s') AS created_at FROM prod.nps ORDER BY id");
  await ctx.s3().send(new PutObjectCommand({ Bucket: ctx.bucket, Key: `nps/${ctx.ds}.csv`, Body: toCsv(rows as NpsRow[]), ContentType: 'text/csv' }));
  return (rows as NpsRow[]).length;
});

const load = dag.task('load', async (ctx) => {
  const got = await ctx.s3().send(new GetObjectCommand({ Bucket: ctx.bucket, Key: `nps/${ctx.ds}.csv` }));
  const rows = fromCsv(await got.Body!.transformToString());
  const client = await ctx.postgres().connect();
  try {
    await client.query('CREATE TABLE IF NOT EXISTS raw_data.nps_full (id INT PRIMARY KEY, user_id INT, score SMALLINT, created_at TIMESTAMP)');
    await client.query('BEGIN');
    await client.query('DELETE FROM raw_data.nps_full');
    if (rows.length > 0) {
      const ins = insertRows('raw_data.nps_full', ['id', 'user_id', 'score', 'created_at'], rows.map((r) => [r.id, r.user_id, r.score, r.created_at]));
      await client.query(ins.text, ins.values);
    }
    ctx.faultPoint('before-commit', { rows: rows.length });
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    throw error;
  } finally {
    client.release();
  }
});

extract.to(load);
export default dag;
