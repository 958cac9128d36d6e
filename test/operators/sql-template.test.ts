import { describe, expect, it } from 'vitest';
import { bindSql, bindSqlTemplate, type SqlParameters } from '../../src/template/sql-template.ts';
import { renderParts, templateScope } from '../../src/template/index.ts';
import type { Dialect } from '../../src/sql/sql-lexer.ts';

const variables: Record<string, string> = { evil: "'); DROP TABLE x; --", api_token: 's3cr3t-token' };
const scope = templateScope({
  interval: { start: new Date('2021-02-05T00:00:00Z'), end: new Date('2021-02-06T00:00:00Z') },
  prevDs: '2021-02-04',
  nextDs: '2021-02-06',
  params: { table: 'raw_data.nps', limit: 10, region: 'seoul', schema: 'raw_data', spaced: 'seoul; DROP TABLE t', note: '! OR 1=1' },
  variable: (key) => {
    if (!Object.hasOwn(variables, key)) throw new Error(`Variable "${key}" is not defined`);
    return variables[key];
  },
});
const WHERE = 'task "t", field "sql"';
const render = (template: string) => renderParts(template, scope, WHERE);
const mask = (text: string) => text.replaceAll('s3cr3t-token', '***');
const bind = (sql: string, dialect: Dialect, parameters?: SqlParameters) => bindSqlTemplate(sql, { dialect, render, parameters, where: WHERE, mask });

describe('bindSqlTemplate: templated values reach SQL as bound parameters', () => {
  it("the course's DATE('{{ ds }}') becomes DATE(?) with ds bound", () => {
    expect(bind("SELECT * FROM prod.nps WHERE DATE(created_at) = DATE('{{ ds }}')", 'mysql')).toEqual([
      { text: 'SELECT * FROM prod.nps WHERE DATE(created_at) = DATE(?)', values: ['2021-02-05'] },
    ]);
    expect(bind("SELECT 1 WHERE d = '{{ ds }}'", 'postgres')).toEqual([{ text: 'SELECT 1 WHERE d = $1', values: ['2021-02-05'] }]);
  });

  it('a value that looks like SQL is bound as text, never spliced', () => {
    expect(bind("INSERT INTO t VALUES ('{{ var.value.evil }}')", 'postgres')).toEqual([{ text: 'INSERT INTO t VALUES ($1)', values: ["'); DROP TABLE x; --"] }]);
  });

  it('a literal mixing text and templates is one parameter; typed literals become casts', () => {
    expect(bind("SELECT '{{ ds }} 00:00:00', DATE '{{ ds }}', TIMESTAMP WITH TIME ZONE '{{ data_interval_end }}'", 'postgres')).toEqual([
      { text: 'SELECT $1, CAST($2 AS date), CAST($3 AS timestamp with time zone)', values: ['2021-02-05 00:00:00', '2021-02-05', '2021-02-06T00:00:00+00:00'] },
    ]);
    expect(bind("SELECT TIMESTAMP '{{ ds }}'", 'mysql')).toEqual([{ text: 'SELECT CAST(? AS DATETIME(6))', values: ['2021-02-05'] }]);
  });

  it('outside quotes, only identifiers and numbers are written into the SQL; anything else is refused', () => {
    expect(bind('SELECT * FROM {{ params.table }} LIMIT {{ params.limit }}', 'postgres')).toEqual([{ text: 'SELECT * FROM raw_data.nps LIMIT 10', values: [] }]);
    expect(() => bind('SELECT * FROM t WHERE d = {{ ds }}', 'postgres')).toThrow(
      `task "t", field "sql": {{ ds }} is outside quotes, where SQL cannot take a bound value, and it renders to "2021-02-05", which could change the statement; quote it`,
    );
    expect(() => bind('SELECT {{ var.value.evil }}', 'mysql')).toThrow('which could change the statement');
  });

  it("UNLOAD's query text takes only dates, numbers and names; its S3 URL is bound", () => {
    expect(bind("UNLOAD ('select * from t where d = ''{{ ds }}''') TO 's3://_/t/{{ ds }}/'", 'postgres')).toEqual([
      { text: "UNLOAD ('select * from t where d = ''2021-02-05''') TO $1", values: ['s3://_/t/2021-02-05/'] },
    ]);
    expect(() => bind("UNLOAD ('select ''{{ var.value.evil }}''') TO 's3://_/x'", 'postgres')).toThrow("inside UNLOAD's query text");
  });

  it("the SQL's own placeholders: Postgres $n first, then the template's; MySQL ? in order; :name with an object", () => {
    expect(bind("SELECT $2, '{{ ds }}', $1", 'postgres', ['a', 'b'])).toEqual([{ text: 'SELECT $1, $3, $2', values: ['b', 'a', '2021-02-05'] }]);
    expect(bind("SELECT ?, '{{ ds }}', ?", 'mysql', ['a', 'b'])).toEqual([{ text: 'SELECT ?, ?, ?', values: ['a', '2021-02-05', 'b'] }]);
    expect(bind('SELECT x::text FROM t WHERE a = :a AND b = :b', 'postgres', { a: 1, b: 'two' })).toEqual([{ text: 'SELECT x::text FROM t WHERE a = $1 AND b = $2', values: [1, 'two'] }]);
    expect(() => bind('SELECT :missing', 'mysql', { a: 1 })).toThrow('the SQL uses :missing, which parameters does not have (it has "a")');
    expect(() => bind('SELECT ?, ?', 'mysql', ['only one'])).toThrow('1 parameter(s) were given');
  });

  it('splits statements at top-level semicolons; every statement sees the same parameters, as in Airflow', () => {
    expect(bind("DELETE FROM t WHERE d = '{{ ds }}'; INSERT INTO t SELECT ';', ?", 'mysql', ['x'])).toEqual([
      { text: 'DELETE FROM t WHERE d = ?', values: ['2021-02-05'] },
      { text: "INSERT INTO t SELECT ';', ?", values: ['x'] },
    ]);
  });

  it('refuses templates in E-strings and reports template syntax errors with the place', () => {
    expect(() => bind("SELECT E'{{ ds }}'", 'postgres')).toThrow('is not a plain');
    expect(() => bind('SELECT {{ ds', 'postgres')).toThrow('task "t", field "sql": cannot read the template');
  });

  it('a hole glued to a name renders as name text, as Jinja renders it (issue 20: it ran as part_0)', () => {
    expect(bind('CREATE TABLE public.part_{{ ds_nodash }} (a int); INSERT INTO public.part_{{ ds_nodash }} VALUES (1)', 'postgres')).toEqual([
      { text: 'CREATE TABLE public.part_20210205 (a int)', values: [] },
      { text: 'INSERT INTO public.part_20210205 VALUES (1)', values: [] },
    ]);
    expect(bind('SELECT * FROM {{ params.schema }}.events_{{ ds_nodash }} JOIN stage_{{ params.region }} USING (id)', 'mysql')).toEqual([
      { text: 'SELECT * FROM raw_data.events_20210205 JOIN stage_seoul USING (id)', values: [] },
    ]);
    expect(bind('CREATE TABLE #stage_{{ ds_nodash }} (LIKE t); DROP TABLE IF EXISTS x_{{ ds_nodash }}_{{ params.region }}', 'postgres').map((s) => s.text)).toEqual([
      'CREATE TABLE #stage_20210205 (LIKE t)',
      'DROP TABLE IF EXISTS x_20210205_seoul',
    ]);
  });

  it('a value glued to a name that is not a name fragment is refused, naming the hole, the name and the value (masked)', () => {
    expect(() => bind('DROP TABLE stage_{{ params.spaced }}', 'postgres')).toThrow(
      `${WHERE}: {{ params.spaced }} is part of the name stage_{{ params.spaced }} and renders to "seoul; DROP TABLE t", which is not a name fragment`,
    );
    expect(() => bind('SELECT * FROM {{ params.table }}.t', 'postgres')).toThrow('is part of the name {{ params.table }}.t and renders to "raw_data.nps"');
    expect(() => bind('SELECT * FROM t_{{ var.value.api_token }}', 'mysql')).toThrow('renders to "***"');
  });

  it('a hole inside a comment is refused on every dialect, so MySQL executable comments cannot run a value (issue 15)', () => {
    for (const dialect of ['mysql', 'postgres'] as const) {
      expect(() => bind('DELETE FROM t WHERE id = 10 /*{{ params.note }}*/', dialect)).toThrow('{{ params.note }} is inside a SQL comment');
      expect(() => bind('SELECT 1 -- for {{ ds }}', dialect)).toThrow('is inside a SQL comment');
    }
    expect(() => bind('SELECT 1 # {{ ds }}', 'mysql')).toThrow('is inside a SQL comment');
    expect(bind('SELECT 1 {# for {{ ds }} #}', 'mysql')).toEqual([{ text: 'SELECT 1', values: [] }]);
  });

  it("MySQL's executable comments are SQL: values inside them are bound like anywhere else", () => {
    expect(bind("SELECT 1 /*!50000 , '{{ ds }}' */ /*M!100100 , '{{ ds }}' */", 'mysql')).toEqual([{ text: 'SELECT 1 /*!50000 , ? */ /*M!100100 , ? */', values: ['2021-02-05', '2021-02-05'] }]);
    expect(() => bind('SELECT 1 /*! , {{ params.note }} */', 'mysql')).toThrow('is outside quotes');
  });

  it('one rendering serves the statements and the displayed text', () => {
    const { statements, rendered } = bindSql("CREATE TABLE t_{{ ds_nodash }} AS SELECT '{{ ds }}' AS d", { dialect: 'postgres', render, where: WHERE });
    expect(rendered).toBe("CREATE TABLE t_20210205 AS SELECT '2021-02-05' AS d");
    expect(statements).toEqual([{ text: 'CREATE TABLE t_20210205 AS SELECT $1 AS d', values: ['2021-02-05'] }]);
  });

  it('values made by statements, filters and arithmetic are bound like any other', () => {
    const sql = "{% for r in ['a', 'b'] %}INSERT INTO t_{{ data_interval_start | ds_nodash }} VALUES ('{{ r | upper }}', '{{ (data_interval_start - macros.timedelta(days=1)) | ds }}');{% endfor %}";
    expect(bind(sql, 'postgres')).toEqual([
      { text: 'INSERT INTO t_20210205 VALUES ($1, $2)', values: ['A', '2021-02-04'] },
      { text: 'INSERT INTO t_20210205 VALUES ($1, $2)', values: ['B', '2021-02-04'] },
    ]);
  });
});
