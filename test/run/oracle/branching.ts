// Oracle fixture: the twin of branching.py.
import { Dag } from '../../../src/index.ts';

const dag = new Dag({ id: 'branching', schedule: '@daily', startDate: '2021-02-01', catchup: false });
const empty = (id: string, triggerRule?: Parameters<typeof dag.task>[2]) => dag.task(id, () => undefined, triggerRule);

const byDay = dag.branch('by_day', (ctx) => (Number(ctx.ds.slice(-2)) % 2 === 0 ? 'even_day' : 'odd_day'));
const evenDay = empty('even_day');
const oddDay = empty('odd_day');
const afterEven = empty('after_even');
byDay.to([evenDay, oddDay]);
evenDay.to(afterEven);
empty('join_default').after(afterEven, oddDay);
empty('join_min_one', { triggerRule: 'none_failed_min_one_success' }).after(afterEven, oddDay);
empty('join_one_success', { triggerRule: 'one_success' }).after(afterEven, oddDay);

const toEmpty = dag.branch('to_empty', () => ['task1']);
const task1 = empty('task1');
const join = empty('join');
toEmpty.to(task1).to(join);
toEmpty.to(join);

const noneChosen = dag.branch('none_chosen', () => null);
const ncA = empty('nc_a');
noneChosen.to([ncA, empty('nc_b')]);
ncA.to([empty('nc_all_skipped', { triggerRule: 'all_skipped' }), empty('nc_none_skipped', { triggerRule: 'none_skipped' })]);

const toGroup = dag.branch('to_group', () => 'grp.first');
const grp = dag.group('grp');
grp.task('first', () => undefined).to(grp.task('second', () => undefined));
const other = dag.group('other');
other.task('o1', () => undefined).to(other.task('o2', () => undefined));
toGroup.to([grp, other]);
empty('after_groups', { triggerRule: 'none_failed_min_one_success' }).after(grp, other);
export default dag;
