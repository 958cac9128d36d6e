import { describe, expect, it } from 'vitest';
import { checkTemplate } from '../../src/template/index.ts';

const WHERE = 'task "extract" field "query"';

describe('checkTemplate: the static check run at DAG load time', () => {
  it('accepts every known name, macro and Variable without values', () => {
    const template =
      "SELECT '{{ ds }}', '{{ ds_nodash }}', '{{ ts }}', '{{ logical_date }}', '{{ execution_date }}', '{{ data_interval_start }}', " +
      "'{{ data_interval_end }}', '{{ prev_ds }}', '{{ next_ds }}', '{{ macros.ds_add(ds, -7) }}', '{{ var.value.anything_at_all }}', " +
      "'{{ var.json.cfg.deep }}', '{{ var.value.get(\"k\", 1) }}', '{{ params.table }}', \"{{ macros.ds_format(ds, '%Y-%m-%d', '%Y') }}\"";
    expect(checkTemplate(template, WHERE, { paramNames: ['table'] })).toEqual([]);
  });

  it('reports every unknown name with the place and a suggestion', () => {
    const problems = checkTemplate('{{ dss }} and {{ data_interval_ends }} and {{ ds }}', WHERE);
    expect(problems).toHaveLength(2);
    expect(problems[0]).toMatch(/^task "extract" field "query": unknown template variable "dss" in \{\{ dss \}\} \(did you mean "ds"\?\)/);
    expect(problems[1]).toContain('did you mean "data_interval_end"?');
  });

  it('checks params against the DAG\'s param names when given', () => {
    expect(checkTemplate('{{ params.tabel }}', WHERE, { paramNames: ['table', 'schema'] })).toEqual([
      `${WHERE}: unknown template variable "params.tabel" in {{ params.tabel }} (did you mean "params.table"?); the DAG's params are "table", "schema"`,
    ]);
    expect(checkTemplate('{{ params.x }}', WHERE, { paramNames: [] })[0]).toContain("the DAG has no params: add them to the DAG's params option");
    // Without paramNames any param is accepted; nested paths are only known at run time.
    expect(checkTemplate('{{ params.anything.deep }}', WHERE)).toEqual([]);
    expect(checkTemplate('{{ params.table.deep }}', WHERE, { paramNames: ['table'] })).toEqual([]);
  });

  it('reports syntax errors, wrong macro calls and malformed Variable reads', () => {
    expect(checkTemplate('{{ ds | uper }}', WHERE)[0]).toContain('unknown filter "uper"');
    expect(checkTemplate('{{ macros.ds_add(ds) }}', WHERE)[0]).toContain('takes 2 arguments, found 1');
    expect(checkTemplate('{{ macros.nope(ds) }}', WHERE)[0]).toContain('unknown macro "macros.nope"');
    expect(checkTemplate('{{ var.bucket }}', WHERE)[0]).toContain('Variables are read as var.value.KEY');
    expect(checkTemplate('{{ ds(1) }}', WHERE)[0]).toContain('ds(...) in {{ ds(1) }} cannot be called');
    expect(checkTemplate('SELECT {{ ds', WHERE)[0]).toContain('is never closed');
  });

  it('checks macro arguments too', () => {
    expect(checkTemplate('{{ macros.ds_add(dz, 1) }}', WHERE)[0]).toContain('unknown template variable "dz"');
  });

  it('a template without holes has no problems', () => {
    expect(checkTemplate('SELECT 1', WHERE)).toEqual([]);
  });

  it('knows names bound by for and set, and still reports unknown names inside blocks, filters and calls', () => {
    const ok = "{% for r in params.regions %}{% set t = 'stage_' ~ r %}{{ t }}{{ loop.index }}{% endfor %}{% if ti.xcom_pull(task_ids='x') %}{{ data_interval_start | ds_nodash }}{% endif %}{{ params.maybe | default('d') }}";
    expect(checkTemplate(ok, WHERE, { paramNames: ['regions'] })).toEqual([]);
    const problems = checkTemplate('{% for r in params.regions %}{{ rr }}{% endfor %}{% if dz %}{% endif %}{{ ds | ds_nodahs }}{{ t }}', WHERE, { paramNames: ['regions'] });
    expect(problems).toHaveLength(4);
    expect(problems[0]).toContain('unknown template variable "rr" in {{ rr }}');
    expect(problems[1]).toContain('unknown template variable "dz" in {% if dz %} (did you mean "ds"?)');
    expect(problems[2]).toContain('unknown filter "ds_nodahs" in {{ ds | ds_nodahs }} (did you mean "ds_nodash"?)');
    expect(problems[3]).toContain('unknown template variable "t"');
  });

  it('every name of the context is known at load time and present at run time', async () => {
    const { CONTEXT_NAMES, templateScope } = await import('../../src/template/index.ts');
    const scope = templateScope({ interval: { start: new Date('2021-02-05T00:00:00Z'), end: new Date('2021-02-06T00:00:00Z') }, params: {}, variable: () => null });
    expect(Object.keys(scope).sort()).toEqual([...CONTEXT_NAMES].sort());
    expect(checkTemplate(CONTEXT_NAMES.filter((n) => n !== 'var').map((n) => `{{ ${n} }}`).join(' '), WHERE)).toEqual([]);
  });
});
