// Oracle fixture: the twin of mapping.py.
import { Dag, SkipError } from '../../../src/index.ts';

const dag = new Dag({ id: 'mapping', schedule: '@daily', startDate: '2021-02-01', catchup: false });
const noop = () => undefined;
const addOne = (_ctx: unknown, { x }: { x: number }) => x + 1;
const total = (_ctx: unknown, { values }: { values: number[] }) => values.reduce((a, b) => a + b, 0);
const mul = (_ctx: unknown, { x, y }: { x: number; y: number }) => x * y;

const addLiteral = dag.task('add_literal', addOne).expand({ x: [1, 2, 3] });
dag.task('sum_literal', total).with({ values: addLiteral.output });

const makeList = dag.task('make_list', () => [10, 20]);
const product = dag.task('mul', mul).partial({ y: 2 }).expand({ x: makeList.output });
dag.task('sum_product', total).with({ values: product.output });
dag.task('cross', mul).expand({ x: [1, 2], y: [3, 4, 5] });

const picked = dag.task('picky', (_ctx, { x }: { x: number }) => {
  if (x === 2) throw new Error('two');
  if (x === 3) throw new SkipError('three');
  return x;
}).expand({ x: [1, 2, 3, 4] });
picked.to(dag.task('after_picky', noop));
picked.to(dag.task('after_picky_done', noop, { triggerRule: 'all_done' }));
picked.to(dag.task('after_picky_one_failed', noop, { triggerRule: 'one_failed' }));

const nothing = dag.task('nothing', (): number[] => []);
const empty = dag.task('add_empty', addOne).expand({ x: nothing.output });
empty.to(dag.task('after_empty', noop));
empty.to(dag.task('after_empty_none_failed', noop, { triggerRule: 'none_failed' }));

const chooser = dag.branch('choose', () => 'mapped_chosen');
chooser.to([dag.task('mapped_chosen', addOne).expand({ x: [1, 2] }), dag.task('mapped_not', addOne).expand({ x: [1, 2] })]);

const brokenList = dag.task('broken_list', (): number[] => {
  throw new Error('no list');
});
dag.task('mapped_after_failure', addOne).expand({ x: brokenList.output }).to(dag.task('after_mapped_failure', noop, { triggerRule: 'all_done' }));
export default dag;
