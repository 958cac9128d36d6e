import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { Dag } from 'dagbox';
import { daily, fromCsv, insertRows, sourceRows, toCsv } from './_lib.ts';

/**
 * FAULTY (checks 1 and 2): the extract writes one fixed key, not one per ds, and the load
 * appends it. Re-runs append again; and the object left at the end depends on the run order.
 */
const dag = new Dag({ id: 's3_key_fixed', ...daily });
const KEY = 'nps/latest.csv';

const extract = dag.task('extract', async (ctx) => {
  const rows = await sourceRows(ctx);
  await ctx.s3().send(new PutObjectCommand({ Bucket: ctx.bucket, Key: KEY, Body: toCsv(rows), ContentType: 'text/csv' }));
  return rows.length;
});

const load = dag.task('load', async (ctx) => {
  const got = await ctx.s3().send(new GetObjectCommand({ Bucket: ctx.bucket, Key: KEY }));
  const rows = fromCsv(await got.Body!.transformToString());
  const wh = ctx.postgres();
  await wh.query('CREATE TABLE IF NOT EXISTS raw_data.nps_s3 (id INT, user_id INT, score SMALLINT, created_at TIMESTAMP)');
  if (rows.length === 0) return 0;
  const ins = insertRows('raw_data.nps_s3', ['id', 'user_id', 'score', 'created_at'], rows.map((r) => [r.id, r.user_id, r.score, r.created_at]));
  await wh.query(ins.text, ins.values);
  return rows.length;
});

extract.to(load);
export default dag;
