import { describe, expect, it } from 'vitest';
import { Dag, chain } from '../../src/dag/dag.ts';
import { findCycle, validateDag } from '../../src/dag/validate.ts';
import { sql } from '../../src/operators/index.ts';

const opts = { schedule: '@daily', startDate: '2021-02-05' } as const;
const noop = () => {};

function edges(dag: Dag): string[] {
  dag.finalise();
  return [...dag.tasks.values()].flatMap((t) => [...t.downstream].map((d) => `${t.id}>>${d}`)).sort();
}

describe('Dag builder', () => {
  it('chains t1 >> t2 >> t3 with to(), which returns its argument', () => {
    const dag = new Dag({ id: 'linear', ...opts });
    const [a, b, c] = ['a', 'b', 'c'].map((id) => dag.task(id, noop));
    expect(a!.to(b!)).toBe(b);
    b!.to(c!);
    expect(edges(dag)).toEqual(['a>>b', 'b>>c']);
    expect(validateDag(dag)).toEqual([]);
  });

  it('fans out with a list and fans in with after()', () => {
    const dag = new Dag({ id: 'fan', ...opts });
    const start = dag.task('start', noop);
    const branches = [dag.task('x', noop), dag.task('y', noop)];
    start.to(branches);
    dag.task('end', noop).after(...branches);
    expect(edges(dag)).toEqual(['start>>x', 'start>>y', 'x>>end', 'y>>end']);
  });

  it('prefixes group task ids and resolves group edges to the group roots and leaves', () => {
    const dag = new Dag({ id: 'groups', ...opts });
    const start = dag.task('start', noop);
    const g = dag.group('transform');
    const clean = g.task('clean', noop);
    const inner = g.group('enrich');
    for (const source of ['geo', 'fx']) inner.task(source, noop).after(clean);
    const end = dag.task('end', noop);
    start.to(g).to(end);
    expect([...dag.tasks.keys()]).toEqual(['start', 'transform.clean', 'transform.enrich.geo', 'transform.enrich.fx', 'end']);
    expect(edges(dag)).toEqual([
      'start>>transform.clean',
      'transform.clean>>transform.enrich.fx',
      'transform.clean>>transform.enrich.geo',
      'transform.enrich.fx>>end',
      'transform.enrich.geo>>end',
    ]);
  });

  it("chain() wires Airflow's chain(a, [b, c], d)", () => {
    const dag = new Dag({ id: 'chain', ...opts });
    const [a, b, c, d] = ['a', 'b', 'c', 'd'].map((id) => dag.task(id, noop));
    chain(a!, [b!, c!], d!);
    expect(edges(dag)).toEqual(['a>>b', 'a>>c', 'b>>d', 'c>>d']);
  });

  it('accepts task ids as strings and setUpstream/setDownstream', () => {
    const dag = new Dag({ id: 'ids', ...opts });
    dag.task('a', noop).setDownstream('b');
    dag.task('b', noop);
    dag.task('c', noop).setUpstream('b');
    expect(edges(dag)).toEqual(['a>>b', 'b>>c']);
  });

  it('has no `then` method, so awaiting a task or a DAG does not hang', async () => {
    const dag = new Dag({ id: 'await', ...opts });
    const t = dag.task('a', noop);
    expect(await t).toBe(t);
    expect(await dag).toBe(dag);
  });

  it('rejects a dependency on a task of another DAG', () => {
    const one = new Dag({ id: 'one', ...opts });
    const two = new Dag({ id: 'two', ...opts });
    one.task('a', noop).to(two.task('b', noop));
    expect(validateDag(one).map((p) => p.message)).toEqual([
      'DAG "one": a dependency points at "b" of DAG "two"; tasks can only depend on tasks of the same DAG',
    ]);
  });

  it('rejects a task body that is neither a function nor an operator', () => {
    const dag = new Dag({ id: 'body', ...opts });
    dag.task('a', 'select 1' as never);
    expect(validateDag(dag).map((p) => p.message)).toEqual(['task "a" of DAG "body" needs an async function or an operator as its body, got string']);
  });

  it('finds a self-dependency as a cycle', () => {
    const dag = new Dag({ id: 'self', ...opts });
    const a = dag.task('a', noop);
    a.to(a);
    dag.finalise();
    expect(findCycle(dag)).toEqual(['a', 'a']);
  });

  it('finds no cycle in a diamond', () => {
    const dag = new Dag({ id: 'diamond', ...opts });
    const [a, b, c, d] = ['a', 'b', 'c', 'd'].map((id) => dag.task(id, noop));
    a!.to([b!, c!]);
    d!.after(b!, c!);
    dag.finalise();
    expect(findCycle(dag)).toBeNull();
  });

  it('names the cycle, not the tasks merely downstream of it', () => {
    const dag = new Dag({ id: 'tail', ...opts });
    const [a, b, c, d] = ['a', 'b', 'c', 'd'].map((id) => dag.task(id, noop));
    a!.to(b!).to(c!).to(b!);
    c!.to(d!);
    dag.finalise();
    expect(findCycle(dag)).toEqual(expect.arrayContaining(['b', 'c']));
    expect(findCycle(dag)).toHaveLength(3);
    expect(findCycle(dag)).not.toContain('d');
  });

  it('reports a template value inside a SQL comment when the DAG loads, with the task\'s line (issue 15)', () => {
    const dag = new Dag({ id: 'comments', ...opts, params: { note: 'x' } });
    dag.task('del', sql({ connId: 'mysql', sql: "DELETE FROM t WHERE id = 10 /*{{ params.note }}*/; {% if params.note %}SELECT 1 -- {{ ds }}\n{% endif %}" }));
    dag.task('ok', sql({ connId: 'redshift', sql: "SELECT '{{ ds }}' {# for {{ ds }} #} -- no value here" }));
    const problems = validateDag(dag);
    expect(problems.map((p) => p.message)).toEqual([
      expect.stringContaining('DAG "comments": task "del" field "sql": {{ params.note }} is inside a SQL comment'),
      expect.stringContaining('DAG "comments": task "del" field "sql": {{ ds }} is inside a SQL comment'),
    ]);
    expect(problems[0]!.location?.file).toMatch(/dag\.test\.ts$/);
  });

  it('reports bad limits', () => {
    const dag = new Dag({ id: 'limits', ...opts, maxActiveRuns: 0 });
    dag.task('a', noop);
    expect(validateDag(dag).map((p) => p.message)).toEqual(['DAG "limits": maxActiveRuns must be a positive integer, found 0']);
  });
});
