import { describe, expect, it } from 'vitest';
import { render, templateScope, TemplateError, type TemplateScope } from '../../src/template/index.ts';

const WHERE = 'task "load" field "sql"';

function scope(overrides: { params?: Record<string, unknown>; vars?: Record<string, unknown>; prevDs?: string | null; nextDs?: string | null } = {}): TemplateScope {
  const vars = overrides.vars ?? { bucket: 'raw-data', config: { region: 'ap-northeast-2', tables: ['nps'] } };
  return templateScope({
    interval: { start: new Date('2021-02-05T00:00:00Z'), end: new Date('2021-02-06T00:00:00Z') },
    prevDs: overrides.prevDs === undefined ? '2021-02-04' : overrides.prevDs,
    nextDs: overrides.nextDs === undefined ? '2021-02-06' : overrides.nextDs,
    params: overrides.params ?? { table: 'nps', schema: 'raw_data', load: { method: 'UPSERT', keys: ['id'] }, limit: 100 },
    variable: (key) => {
      if (!Object.hasOwn(vars, key)) throw new Error(`Variable "${key}" is not defined; set DAGBOX_VAR_${key.toUpperCase()}`);
      return vars[key];
    },
  });
}

const r = (template: string, s: TemplateScope = scope()): string => render(template, s, WHERE);

function renderError(template: string, s: TemplateScope = scope()): TemplateError {
  try {
    render(template, s, WHERE);
  } catch (error) {
    expect(error).toBeInstanceOf(TemplateError);
    return error as TemplateError;
  }
  throw new Error(`expected ${template} to fail`);
}

describe('every variable', () => {
  it.each([
    ['ds', '2021-02-05'],
    ['ds_nodash', '20210205'],
    ['ts', '2021-02-05T00:00:00+00:00'],
    ['logical_date', '2021-02-05T00:00:00+00:00'],
    ['execution_date', '2021-02-05T00:00:00+00:00'],
    ['data_interval_start', '2021-02-05T00:00:00+00:00'],
    ['data_interval_end', '2021-02-06T00:00:00+00:00'],
    ['prev_ds', '2021-02-04'],
    ['next_ds', '2021-02-06'],
  ])('{{ %s }} renders %s', (name, value) => {
    expect(r(`{{ ${name} }}`)).toBe(value);
  });

  it('execution_date is an alias of logical_date', () => {
    const s = scope();
    expect(s.execution_date).toBe(s.logical_date);
  });

  it('a null prev_ds / next_ds renders as Python\'s "None", as in Airflow, never as an empty string', () => {
    expect(r('{{ prev_ds }}|{{ next_ds }}', scope({ prevDs: null, nextDs: null }))).toBe('None|None');
  });

  it("the course's incremental query", () => {
    expect(r("SELECT * FROM prod.nps WHERE DATE(created_at) = DATE('{{ ds }}')")).toBe("SELECT * FROM prod.nps WHERE DATE(created_at) = DATE('2021-02-05')");
  });

  it('an S3 key built from several values', () => {
    expect(r('s3://{{ var.value.bucket }}/{{ params.schema }}/{{ params.table }}/{{ ds_nodash }}.csv')).toBe('s3://raw-data/raw_data/nps/20210205.csv');
  });
});

describe('params', () => {
  it('reads top-level and nested params, dotted or bracketed', () => {
    expect(r('{{ params.table }}')).toBe('nps');
    expect(r('{{ params.load.method }}')).toBe('UPSERT');
    expect(r("{{ params['load']['keys'][0] }}")).toBe('id');
    expect(r('{{ params.load.keys[0] }}')).toBe('id');
  });

  it("renders numbers with String() and lists and dicts as Python's repr, as Airflow; | tojson gives JSON", () => {
    expect(r('LIMIT {{ params.limit }}')).toBe('LIMIT 100');
    expect(r('{{ params.load }}')).toBe("{'method': 'UPSERT', 'keys': ['id']}");
    expect(r('{{ params.load.keys }}')).toBe("['id']");
    expect(r('{{ params.load | tojson }}')).toBe('{"keys": ["id"], "method": "UPSERT"}');
  });

  it('an unknown param names the place, the name and the nearest param', () => {
    const e = renderError('SELECT * FROM {{ params.tabel }}');
    expect(e.message).toContain(WHERE);
    expect(e.message).toContain('"params.tabel"');
    expect(e.message).toContain('did you mean "params.table"?');
    expect(e.where).toBe(WHERE);
    expect(e.unknownName).toBe('params.tabel');
    expect(e.expression).toBe('{{ params.tabel }}');
  });

  it('an unknown nested param suggests from its own level', () => {
    const e = renderError('{{ params.load.methd }}');
    expect(e.message).toContain('"params.load.methd"');
    expect(e.message).toContain('did you mean "params.load.method"?');
    expect(e.message).toContain('params.load has "method", "keys"');
  });

  it('reading into a string param is an error, not "undefined"', () => {
    const e = renderError('{{ params.table.name }}');
    expect(e.message).toContain('params.table is the string "nps", not an object');
  });
});

describe('Variables: var.value.KEY', () => {
  it('renders strings as they are and JSON values as JSON', () => {
    expect(r('{{ var.value.bucket }}')).toBe('raw-data');
    expect(r('{{ var.value.config }}')).toBe('{"region":"ap-northeast-2","tables":["nps"]}');
    expect(r('{{ var.json.config.region }}')).toBe('ap-northeast-2');
  });

  it('get() with a default', () => {
    expect(r("{{ var.value.get('missing', 'fallback') }}")).toBe('fallback');
    expect(r("{{ var.value.get('bucket') }}")).toBe('raw-data');
  });

  it('a missing Variable fails with the place and the store\'s own message', () => {
    const e = renderError('{{ var.value.api_host }}');
    expect(e.message).toBe(`${WHERE}: {{ var.value.api_host }} needs the Variable "api_host": Variable "api_host" is not defined; set DAGBOX_VAR_API_HOST`);
    expect(e.cause).toBeInstanceOf(Error);
  });
});

describe('macros', () => {
  it.each([
    ['{{ macros.ds_add(ds, 1) }}', '2021-02-06'],
    ['{{ macros.ds_add(ds, -1) }}', '2021-02-04'],
    ['{{ macros.ds_add(ds, -36) }}', '2020-12-31'],
    ["{{ macros.ds_add('2020-02-28', 1) }}", '2020-02-29'],
    ['{{ macros.ds_add(ds, 0) }}', '2021-02-05'],
    ["{{ macros.ds_format(ds, '%Y-%m-%d', '%Y%m%d') }}", '20210205'],
    ["{{ macros.ds_format(ds_nodash, '%Y%m%d', '%d/%m/%y') }}", '05/02/21'],
  ])('%s renders %s', (template, expected) => {
    expect(r(template)).toBe(expected);
  });

  it('wrong arguments fail with a sentence naming the macro', () => {
    expect(renderError("{{ macros.ds_add(ds, 'x') }}").message).toContain('macros.ds_add expects a whole number of days as its second argument, found "x"');
    expect(renderError('{{ macros.ds_add(ts, 1) }}').message).toContain('macros.ds_add expects a date string "YYYY-MM-DD"');
    expect(renderError('{{ macros.ds_add(ds) }}').message).toContain('macros.ds_add takes 2 arguments, found 1');
    expect(renderError("{{ macros.ds_format(ds, '%Y-%m-%d', '%Q') }}").message).toContain('does not support "%Q"');
  });

  it('macros take keyword arguments, as in Python', () => {
    expect(r('{{ macros.ds_add(ds, days=-1) }}')).toBe('2021-02-04');
    expect(r("{{ macros.ds_format(ds, input_format='%Y-%m-%d', output_format='%Y%m%d') }}")).toBe('20210205');
  });

  it('an unknown macro suggests the nearest', () => {
    const e = renderError('{{ macros.ds_ad(ds, 1) }}');
    expect(e.message).toContain('unknown macro "macros.ds_ad"');
    expect(e.message).toContain('did you mean "macros.ds_add"?');
  });

  it('a macro used without calling it says how to call it', () => {
    expect(renderError('{{ macros.ds_add }}').message).toContain('is a function: call it as macros.ds_add(ds, N)');
  });
});

describe('unknown names', () => {
  it('throw a TemplateError naming where, the name and a suggestion; never an empty string', () => {
    const e = renderError("WHERE d = '{{ dss }}'");
    expect(e.message).toMatch(/^task "load" field "sql": unknown template variable "dss" in \{\{ dss \}\} \(did you mean "ds"\?\); known names are ds, ds_nodash/);
    expect(e.unknownName).toBe('dss');
  });

  it('without a close name there is no suggestion, but the known names are listed', () => {
    const e = renderError('{{ watermark }}');
    expect(e.message).not.toContain('did you mean');
    expect(e.message).toContain('params.X, var.value.KEY');
  });

  it("a string has Python's string methods and no other attributes", () => {
    expect(renderError('{{ ds.year }}').message).toContain('unknown template variable "ds.year" in {{ ds.year }}; ds is the string "2021-02-05", not an object');
    expect(r("{{ ds.replace('-', '') }}")).toBe('20210205');
  });
});

describe('syntax', () => {
  it('whitespace inside the braces is optional', () => {
    for (const t of ['{{ds}}', '{{ ds }}', '{{   ds   }}', '{{\tds\n}}', '{{macros.ds_add( ds ,1 )}}']) {
      expect(r(t), t).toMatch(/^2021-02-0[56]$/);
    }
  });

  it('string literals, with "}}" inside them', () => {
    expect(r("{{ 'plain' }}")).toBe('plain');
    expect(r('{{ "double" }}')).toBe('double');
    expect(r("{{ '}}' }}")).toBe('}}');
    expect(r("{{ '{{ ds }}' }}")).toBe('{{ ds }}');
    expect(r("{{ 'it\\'s' }}")).toBe("it's");
  });

  it('text without holes is returned unchanged; single braces are text', () => {
    expect(r('SELECT 1')).toBe('SELECT 1');
    expect(r('{"a": {"b": 1}}')).toBe('{"a": {"b": 1}}');
    expect(r('')).toBe('');
  });

  it('values are not rendered twice: output containing {{ stays as it is', () => {
    const s = scope({ params: { tricky: '{{ ds }}' }, vars: { tpl: '{{ var.value.tpl }}' } });
    expect(r('{{ params.tricky }}', s)).toBe('{{ ds }}');
    expect(r('{{ var.value.tpl }}', s)).toBe('{{ var.value.tpl }}');
  });

  it('errors on an unclosed hole or block, unknown statements, filters and operands', () => {
    expect(renderError('SELECT {{ ds').message).toMatch(/"\{\{" at offset 7 is never closed by "\}\}"/);
    expect(renderError('{% if ds %}a').message).toContain('is never closed: add {% endif %}');
    expect(renderError('{% macro m() %}{% endmacro %}').message).toContain('the statement "macro" is not supported');
    expect(renderError('{{ ds | uper }}').message).toContain('unknown filter "uper" in {{ ds | uper }} (did you mean "upper"?)');
    expect(renderError('{{ ds + 1 }}').message).toContain('cannot apply "+" to the string "2021-02-05" and number 1');
    expect(renderError('{{ }}').message).toContain('the expression is empty');
    expect(renderError('{{ ds ds }}').message).toContain('unexpected "ds" after the expression');
  });

  it('every syntax error names the place', () => {
    expect(renderError('{{ ds ds }}').message.startsWith(`${WHERE}: cannot read the template {{ ds ds }}:`)).toBe(true);
  });
});
