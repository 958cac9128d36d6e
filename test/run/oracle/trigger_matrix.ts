// Oracle fixture: the twin of trigger_matrix.py, written as a dagbox user would port it.
import { Dag, SkipError } from '../../../src/index.ts';
import type { TriggerRule } from '../../../src/index.ts';

const RULES: TriggerRule[] = ['all_success', 'all_failed', 'all_done', 'all_skipped', 'one_success', 'one_failed',
  'one_done', 'none_failed', 'none_failed_min_one_success', 'none_skipped', 'always'];
const COMBOS = [['ok', 'ok'], ['ok', 'fail'], ['ok', 'skip'], ['fail', 'fail'], ['fail', 'skip'],
  ['skip', 'skip'], ['uf', 'ok'], ['uf', 'skip'], ['uf', 'uf'], ['ok', 'uf']] as const;

const dag = new Dag({ id: 'trigger_matrix', schedule: '@daily', startDate: '2021-02-01', catchup: false });
const bodies = {
  ok: () => undefined,
  fail: () => {
    throw new Error('boom');
  },
  skip: () => {
    throw new SkipError('skip me');
  },
};
const rootFail = dag.task('root_fail', bodies.fail);
const producers = new Map<string, ReturnType<typeof dag.task>>();
for (const kind of ['ok', 'fail', 'skip', 'uf'] as const) {
  for (const n of [1, 2]) {
    if (kind === 'uf') producers.set(`uf${n}`, rootFail.to(dag.task(`p_uf${n}`, bodies.ok)));
    else producers.set(`${kind}${n}`, dag.task(`p_${kind}${n}`, bodies[kind]));
  }
}
for (const rule of RULES) {
  for (const [a, b] of COMBOS) {
    dag.task(`${rule}__${a}_${b}`, bodies.ok, { triggerRule: rule }).after(producers.get(`${a}1`)!, producers.get(`${b}2`)!);
  }
}

// A skip and a failure that the scheduler sees in different loops: the first one seen decides.
const deepA = dag.task('deep_a', bodies.ok);
const deepB = deepA.to(dag.task('deep_b', bodies.fail));
const waveSkipFirst = dag.task('wave_skip_first', bodies.ok).after(dag.task('early_skip', bodies.skip), deepB);
const deepD = dag.task('deep_c', bodies.ok).to(dag.task('deep_d', bodies.skip));
const waveFailFirst = dag.task('wave_fail_first', bodies.ok).after(dag.task('early_fail', bodies.fail), deepD);
dag.task('wave_none_failed', bodies.ok, { triggerRule: 'none_failed' }).after(waveSkipFirst, waveFailFirst);
dag.task('wave_one_success', bodies.ok, { triggerRule: 'one_success' }).after(waveSkipFirst, deepA);
export default dag;
