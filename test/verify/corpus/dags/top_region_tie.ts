import { Dag } from 'dagbox';
import { daily } from './_lib.ts';
import { loadDaySales, writeTopRegion } from './_sales.ts';

/**
 * FAULTY (nondeterministic ordering): the day's top region is `ORDER BY amount DESC LIMIT 1`, and
 * two regions tie every day. Postgres returns the first of the tie in the order it reads rows; on
 * Redshift the winner varies from run to run.
 */
const dag = new Dag({ id: 'top_region_tie', ...daily });

const load = dag.task('load_sales', (ctx) => loadDaySales(ctx));
const top = dag.task('top_region', (ctx) =>
  writeTopRegion(ctx, 'SELECT day, region, amount FROM raw_data.region_sales WHERE day = $1 ORDER BY amount DESC LIMIT 1'),
);

load.to(top);
export default dag;
