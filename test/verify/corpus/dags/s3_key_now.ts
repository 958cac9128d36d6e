import { PutObjectCommand } from '@aws-sdk/client-s3';
import { Dag } from 'dagbox';
import { daily, sourceRows, toCsv } from './_lib.ts';

/**
 * FAULTY (check 1): the export's key holds the wall-clock time, not the run's ds, so every run
 * leaves one more object behind.
 */
const dag = new Dag({ id: 's3_key_now', ...daily });

dag.task('export', async (ctx) => {
  const rows = await sourceRows(ctx);
  const key = `exports/nps_${ctx.dsNodash}_${Date.now()}.csv`;
  await ctx.s3().send(new PutObjectCommand({ Bucket: ctx.bucket, Key: key, Body: toCsv(rows), ContentType: 'text/csv' }));
});

export default dag;
