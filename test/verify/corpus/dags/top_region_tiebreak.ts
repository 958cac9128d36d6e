import { Dag } from 'dagbox';
import { daily } from './_lib.ts';
import { loadDaySales, writeTopRegion } from './_sales.ts';

/** CORRECT (the twin of top_region_tie): ties are broken by region, so the order rows are read in does not matter. */
const dag = new Dag({ id: 'top_region_tiebreak', ...daily });

const load = dag.task('load_sales', (ctx) => loadDaySales(ctx));
const top = dag.task('top_region', (ctx) =>
  writeTopRegion(ctx, 'SELECT day, region, amount FROM raw_data.region_sales WHERE day = $1 ORDER BY amount DESC, region LIMIT 1'),
);

load.to(top);
export default dag;
