import { describe, expect, it } from 'vitest';
import { bindSqlTemplate, type SqlParameters } from '../../src/operators/sql-template.ts';
import type { Dialect } from '../../src/sql/sql-lexer.ts';

const values: Record<string, string> = {
  '{{ ds }}': '2021-02-05',
  '{{ data_interval_end }}': '2021-02-06T00:00:00+00:00',
  '{{ params.table }}': 'raw_data.nps',
  '{{ params.limit }}': '10',
  '{{ var.value.evil }}': "'); DROP TABLE x; --",
};
const render = (hole: string) => {
  if (!(hole in values)) throw new Error(`unknown ${hole}`);
  return values[hole]!;
};
const bind = (sql: string, dialect: Dialect, parameters?: SqlParameters) => bindSqlTemplate(sql, { dialect, render, parameters, where: 'task "t", field "sql"' });

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
});
