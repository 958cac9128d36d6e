// Oracle fixture: the twin of short_circuit.py.
import { Dag } from '../../../src/index.ts';

const dag = new Dag({ id: 'short_circuit', schedule: '@daily', startDate: '2021-02-01', catchup: false });
const noop = () => undefined;

dag.shortCircuit('passes', () => [1]).to(dag.task('after_pass', noop));

const stops = dag.shortCircuit('stops', () => []);
const g = dag.group('g');
g.task('a', noop).to(g.task('b', noop, { triggerRule: 'all_done' }));
stops.to(g).to(dag.task('stops_end', noop, { triggerRule: 'all_done' }));

const soft = dag.shortCircuit('soft_stop', () => 0, { ignoreDownstreamTriggerRules: false });
const h = dag.group('h');
h.task('c', noop).to(h.task('d', noop, { triggerRule: 'all_done' })).to(h.task('e', noop));
soft.to(h);
dag.task('soft_end', noop, { triggerRule: 'none_failed' }).after(h, dag.task('other', noop));

dag.shortCircuit('by_ds', (ctx) => ctx.ds.endsWith('5')).to(dag.task('on_fifth', noop));
export default dag;
