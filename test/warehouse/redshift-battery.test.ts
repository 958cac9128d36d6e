import type { FieldDef, Pool, QueryResult } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTryWarehouse } from '../../src/warehouse/warehouse-pool.ts';
import { startPipelineHarness, type PipelineHarness } from '../pipelines/harness.ts';

/**
 * Redshift statements with the result (or refusal) Redshift gives, each from the page of AWS's
 * Amazon Redshift Database Developer Guide it comes from, run on the Postgres stand-in through
 * ctx.warehouse(). Values are shown as Redshift's console shows them: timestamps as
 * `YYYY-MM-DD HH:MI:SS`, dates as `YYYY-MM-DD`, numbers as written.
 */
const DG = 'https://docs.aws.amazon.com/redshift/latest/dg/';

type Value = string | number | boolean | null;
interface Case {
  /** The guide's page (file name under DG). */
  doc: string;
  sql: string;
  /** Statements run first, on the same connection. */
  setup?: string[];
  rows?: Value[][];
  /** Column types, by Postgres name (bigint, integer, timestamp, date, double precision, numeric, ...). */
  types?: string[];
  columns?: string[];
  /** Redshift rejects the statement; the stand-in must say so, naming Redshift. */
  refused?: RegExp;
  /** Redshift runs it and fails with an error (not a refusal of the SQL itself). */
  error?: RegExp;
}

const CASES: Case[] = [
  // Date and time functions
  { doc: 'r_DATEADD_function.html', sql: "SELECT DATEADD(month, 18, '2008-02-28') AS v", rows: [['2009-08-28 00:00:00']], types: ['timestamp'] },
  { doc: 'r_DATEADD_function.html', sql: "SELECT DATEADD(m, 30, '2008-02-28') AS v", rows: [['2008-02-28 00:30:00']] },
  { doc: 'r_DATEADD_function.html', sql: "SELECT DATEADD(day, -1, '2021-02-05'::date) AS v", rows: [['2021-02-04 00:00:00']], types: ['timestamp'] },
  { doc: 'r_DATEADD_function.html', sql: "SELECT DATEADD(month, 1, '2008-01-31') AS v", rows: [['2008-02-29 00:00:00']] },
  { doc: 'r_DATEADD_function.html', sql: "SELECT DATEADD(hours, 36, '2021-02-05 10:00:00'::timestamp) AS v", rows: [['2021-02-06 22:00:00']] },
  { doc: 'r_Dateparts_for_datetime_functions.html', sql: "SELECT DATEADD(fortnight, 1, '2021-02-05'::date) AS v", refused: /not a Redshift date part/ },
  { doc: 'r_DATEDIFF_function.html', sql: "SELECT DATEDIFF(week, '2009-01-01', '2009-12-31') AS numweeks", rows: [[52]], types: ['bigint'] },
  { doc: 'r_DATEDIFF_function.html', sql: "SELECT DATEDIFF(day, '2021-02-01'::date, '2021-02-05'::date) AS v", rows: [[4]], types: ['bigint'] },
  { doc: 'r_DATEDIFF_function.html', sql: "SELECT DATEDIFF(month, '2021-01-31', '2021-02-01') AS v", rows: [[1]] },
  { doc: 'r_DATEDIFF_function.html', sql: "SELECT DATEDIFF(year, '2020-12-31 23:59:59', '2021-01-01') AS v", rows: [[1]] },
  { doc: 'r_DATEDIFF_function.html', sql: "SELECT DATEDIFF(hour, '2021-02-05 10:59:00', '2021-02-05 11:00:00') AS v", rows: [[1]] },
  { doc: 'r_DATEDIFF_function.html', sql: "SELECT DATEDIFF(qtr, '2021-03-31', '2021-04-01') AS v", rows: [[1]] },
  { doc: 'r_DATE_PART_function.html', sql: "SELECT DATE_PART(dow, '2021-02-05'::date) AS v", rows: [[5]] },
  { doc: 'r_DATE_PART_function.html', sql: "SELECT DATE_PART(w, '2021-02-05'::date) AS v", rows: [[5]] },
  { doc: 'r_DATE_TRUNC.html', sql: "SELECT DATE_TRUNC('month', '2021-02-05 10:11:12'::timestamp) AS v", rows: [['2021-02-01 00:00:00']] },
  { doc: 'r_TRUNC_date.html', sql: "SELECT TRUNC('2021-02-05 10:11:12'::timestamp) AS v", rows: [['2021-02-05']], types: ['date'] },
  { doc: 'r_EXTRACT_function.html', sql: "SELECT EXTRACT(year FROM '2021-02-05'::date) AS v", rows: [[2021]] },
  { doc: 'r_ADD_MONTHS.html', sql: "SELECT ADD_MONTHS('2008-03-31', 1) AS v", rows: [['2008-04-30 00:00:00']] },
  { doc: 'r_LAST_DAY.html', sql: "SELECT LAST_DAY('2021-02-05'::date) AS v", rows: [['2021-02-28']], types: ['date'] },
  { doc: 'r_MONTHS_BETWEEN_function.html', sql: "SELECT MONTHS_BETWEEN('1969-03-18', '1969-01-18') AS v", rows: [[2]] },
  { doc: 'r_NEXT_DAY.html', sql: "SELECT NEXT_DAY('2014-08-20', 'Tuesday') AS v", rows: [['2014-08-26']] },
  { doc: 'r_CONVERT_TIMEZONE.html', sql: "SELECT CONVERT_TIMEZONE('UTC', 'Asia/Seoul', '2021-02-05 00:00:00'::timestamp) AS v", rows: [['2021-02-05 09:00:00']] },
  { doc: 'r_CONVERT_TIMEZONE.html', sql: "SELECT CONVERT_TIMEZONE('America/New_York', '2021-07-01 12:00:00'::timestamp) AS v", rows: [['2021-07-01 08:00:00']] },
  { doc: 'r_GETDATE.html', sql: "SELECT GETDATE() = DATE_TRUNC('second', GETDATE()) AS v", rows: [[true]] },
  { doc: 'r_GETDATE.html', sql: 'SELECT GETDATE() AS v', types: ['timestamp'] },
  { doc: 'r_SYSDATE.html', sql: "SELECT DATE_TRUNC('day', SYSDATE) <= SYSDATE AS v", rows: [[true]] },
  { doc: 'r_CURRENT_DATE_function.html', sql: 'SELECT CURRENT_DATE = TRUNC(GETDATE()) AS v', rows: [[true]] },
  { doc: 'r_DATE_CMP.html', sql: "SELECT DATE_CMP('2021-02-05', '2021-02-06') AS v", rows: [[-1]] },

  // Null handling and conditional expressions
  { doc: 'r_NVL_function.html', sql: "SELECT NVL(NULL, 'x') AS v", rows: [['x']] },
  { doc: 'r_NVL_function.html', sql: 'SELECT COALESCE(NULL, NULL, 3) AS v', rows: [[3]] },
  { doc: 'r_NVL2.html', sql: "SELECT NVL2('a', 'not null', 'null') AS v", rows: [['not null']] },
  { doc: 'r_NVL2.html', sql: 'SELECT NVL2(NULL, 1, 2) AS v', rows: [[2]] },
  { doc: 'r_DECODE_expression.html', sql: "SELECT DECODE(2, 1, 'one', 2, 'two', 'other') AS v", rows: [['two']] },
  { doc: 'r_DECODE_expression.html', sql: "SELECT DECODE(NULL, NULL, 'is null', 'other') AS v", rows: [['is null']] },
  { doc: 'r_DECODE_expression.html', sql: "SELECT DECODE(3, 1, 'one') AS v", rows: [[null]] },
  { doc: 'r_NULLIF_function.html', sql: "SELECT NULLIF('a', 'a') AS v", rows: [[null]] },
  { doc: 'r_GREATEST_LEAST.html', sql: 'SELECT GREATEST(1, 5, 3) AS v, LEAST(4, 2) AS w', rows: [[5, 2]] },
  { doc: 'r_CASE_function.html', sql: "SELECT CASE WHEN 1 > 2 THEN 'a' ELSE 'b' END AS v", rows: [['b']] },

  // String functions
  { doc: 'r_LEN.html', sql: "SELECT LEN('français') AS v", rows: [[8]], types: ['integer'] },
  { doc: 'r_OCTET_LENGTH.html', sql: "SELECT OCTET_LENGTH('français') AS v", rows: [[9]] },
  { doc: 'r_CHARINDEX.html', sql: "SELECT CHARINDEX('dog', 'fish dog cat') AS v", rows: [[6]], types: ['integer'] },
  { doc: 'r_STRPOS.html', sql: "SELECT STRPOS('dogfish', 'fish') AS v", rows: [[4]] },
  { doc: 'r_POSITION.html', sql: "SELECT POSITION('fish' IN 'dogfish') AS v", rows: [[4]] },
  { doc: 'r_LEFT.html', sql: "SELECT LEFT('Chicago', 3) AS v", rows: [['Chi']] },
  { doc: 'r_LEFT.html', sql: "SELECT LEFT('2021-02-05 10:11:12'::timestamp, 10) AS v", rows: [['2021-02-05']] },
  { doc: 'r_REGEXP_REPLACE.html', sql: "SELECT REGEXP_REPLACE('aaa', 'a', 'b') AS v", rows: [['bbb']] },
  { doc: 'r_REGEXP_SUBSTR.html', sql: "SELECT REGEXP_SUBSTR('Seattle, WA', '[A-Z]{2}') AS v", rows: [['WA']] },
  { doc: 'r_SPLIT_PART.html', sql: "SELECT SPLIT_PART('abc$def$ghi', '$', 2) AS v", rows: [['def']] },
  { doc: 'r_STRTOL.html', sql: "SELECT STRTOL('ff', 16) AS v", rows: [[255]], types: ['bigint'] },
  { doc: 'r_CONCAT.html', sql: "SELECT CONCAT('a', 'b') AS v, 'a' || 'b' || 'c' AS w", rows: [['ab', 'abc']] },
  { doc: 'r_INITCAP.html', sql: "SELECT INITCAP('hello world') AS v", rows: [['Hello World']] },
  { doc: 'r_LPAD.html', sql: "SELECT LPAD('7', 3, '0') AS v", rows: [['007']] },
  { doc: 'r_REPLICATE.html', sql: "SELECT REPLICATE('ab', 3) AS v", rows: [['ababab']] },
  { doc: 'r_REVERSE.html', sql: "SELECT REVERSE('abc') AS v", rows: [['cba']] },
  { doc: 'r_TRANSLATE.html', sql: "SELECT TRANSLATE('mint tea', 'inea', 'osin') AS v", rows: [['most tin']] },
  { doc: 'r_BTRIM.html', sql: "SELECT BTRIM('xyzaxyzbxyzcxyz', 'xyz') AS v", rows: [['axyzbxyzc']] },
  { doc: 'r_MD5.html', sql: "SELECT MD5('Amazon Redshift') AS v", rows: [['f7415e33f972c03abd4f3fed36748f7a']] },
  { doc: 'r_patternmatching_conditions.html', sql: "SELECT 'Abc' ILIKE 'a%' AS v, 'abc' SIMILAR TO 'a%' AS w", rows: [[true, true]] },

  // JSON and SUPER
  { doc: 'JSON_EXTRACT_PATH_TEXT.html', sql: `SELECT JSON_EXTRACT_PATH_TEXT('{"f2":{"f3":1},"f4":{"f5":99,"f6":"star"}}', 'f4', 'f6') AS v`, rows: [['star']] },
  {
    doc: 'JSON_EXTRACT_PATH_TEXT.html',
    setup: ['CREATE TABLE b_json (doc VARCHAR(200))', `INSERT INTO b_json VALUES ('{"a":{"b":"x"}}')`],
    sql: "SELECT JSON_EXTRACT_PATH_TEXT(doc, 'a', 'b') AS v FROM b_json",
    rows: [['x']],
  },
  { doc: 'JSON_ARRAY_LENGTH.html', sql: `SELECT JSON_ARRAY_LENGTH('[11,12,13,{"f1":21,"f2":[25,26]},14]') AS v`, rows: [[5]] },
  { doc: 'JSON_EXTRACT_ARRAY_ELEMENT_TEXT.html', sql: "SELECT JSON_EXTRACT_ARRAY_ELEMENT_TEXT('[111,112,113]', 2) AS v", rows: [['113']] },
  { doc: 'IS_VALID_JSON.html', sql: `SELECT IS_VALID_JSON('{"a":2}') AS v, IS_VALID_JSON('{"a":2') AS w`, rows: [[true, false]] },
  { doc: 'r_SUPER_type.html', setup: ['CREATE TABLE b_super (s SUPER)', `INSERT INTO b_super VALUES (JSON_PARSE('{"a":1}'))`], sql: 'SELECT COUNT(*) AS v FROM b_super', rows: [[1]] },

  // Numbers
  { doc: 'r_ROUND.html', sql: 'SELECT ROUND(2.3456::double precision, 2) AS v', rows: [[2.35]], types: ['double precision'] },
  { doc: 'r_ROUND.html', sql: 'SELECT ROUND(28.05) AS v', rows: [[28]] },
  { doc: 'r_TRUNC.html', sql: 'SELECT TRUNC(111.86) AS v', rows: [[111]] },
  { doc: 'r_arithmetic_operators.html', sql: 'SELECT 7 / 2 AS v', rows: [[3]] },
  { doc: 'r_CAST_function.html', sql: "SELECT CONVERT(integer, '42') AS v, CAST('5' AS INT) + 1 AS w", rows: [[42, 6]] },
  { doc: 'r_Numeric_types201.html', setup: ['CREATE TABLE b_num (n NUMERIC)', 'INSERT INTO b_num VALUES (1.5)'], sql: 'SELECT n AS v FROM b_num', rows: [[2]] },

  // Aggregates
  { doc: 'r_AVG.html', sql: 'SELECT AVG(x) AS v FROM (SELECT 1 AS x UNION ALL SELECT 2) t', rows: [[1]], types: ['bigint'] },
  { doc: 'r_AVG.html', sql: 'SELECT AVG(x::double precision) AS v FROM (SELECT 1 AS x UNION ALL SELECT 2) t', rows: [[1.5]], types: ['double precision'] },
  { doc: 'r_AVG.html', setup: ['CREATE TABLE b_dec (d DEC(5,2))', 'INSERT INTO b_dec VALUES (1.00), (2.00), (2.00)'], sql: 'SELECT AVG(d) AS v FROM b_dec', rows: [['1.67']] },
  { doc: 'r_SUM.html', sql: 'SELECT SUM(x) AS v FROM (SELECT 1 AS x UNION ALL SELECT 2) t', rows: [[3]], types: ['bigint'] },
  { doc: 'r_COUNT.html', sql: 'SELECT COUNT(*) AS v FROM (SELECT 1 AS x UNION ALL SELECT 2) t', rows: [[2]], types: ['bigint'] },
  { doc: 'r_COUNT.html', sql: 'SELECT APPROXIMATE COUNT(DISTINCT x) AS v FROM (SELECT 1 AS x UNION ALL SELECT 1 UNION ALL SELECT 2) t', rows: [[2]] },
  { doc: 'r_MEDIAN.html', sql: 'SELECT MEDIAN(x) AS v FROM (SELECT 1 AS x UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4) t', rows: [[2.5]] },
  { doc: 'r_PERCENTILE_CONT.html', sql: 'SELECT PERCENTILE_CONT(0.5) WITHIN GROUP (ORDER BY x) AS v FROM (SELECT 1 AS x UNION ALL SELECT 4) t', rows: [[2.5]] },
  { doc: 'r_LISTAGG.html', sql: "SELECT LISTAGG(x, ',') WITHIN GROUP (ORDER BY x) AS v FROM (SELECT 'b' AS x UNION ALL SELECT 'a' UNION ALL SELECT 'c') t", rows: [['a,b,c']] },
  { doc: 'r_LISTAGG.html', sql: "SELECT LISTAGG(x) WITHIN GROUP (ORDER BY x DESC) AS v FROM (SELECT 'b' AS x UNION ALL SELECT 'a') t", rows: [['ba']] },
  { doc: 'r_LISTAGG.html', sql: "SELECT LISTAGG(DISTINCT x, ',') WITHIN GROUP (ORDER BY x) AS v FROM (SELECT 'b' AS x UNION ALL SELECT 'a' UNION ALL SELECT 'a') t", rows: [['a,b']] },
  {
    doc: 'r_LISTAGG.html',
    setup: ['CREATE TABLE b_lg (g INT, x VARCHAR(10))', "INSERT INTO b_lg VALUES (1, 'a'), (1, 'b'), (2, 'c')"],
    sql: "SELECT g, LISTAGG(x, '|') WITHIN GROUP (ORDER BY x) AS v FROM b_lg GROUP BY g ORDER BY g",
    rows: [[1, 'a|b'], [2, 'c']],
  },
  { doc: 'r_BOOL_AND.html', sql: 'SELECT BOOL_AND(x > 0) AS v FROM (SELECT 1 AS x UNION ALL SELECT 2) t', rows: [[true]] },

  // Window functions
  { doc: 'r_WF_ROW_NUMBER.html', sql: 'SELECT x, ROW_NUMBER() OVER (ORDER BY x DESC) AS r FROM (SELECT 1 AS x UNION ALL SELECT 2) t ORDER BY x', rows: [[1, 2], [2, 1]] },
  { doc: 'r_Window_function_synopsis.html', sql: 'SELECT SUM(x) OVER (ORDER BY x) AS v FROM (SELECT 1 AS x) t', refused: /frame clause/ },
  { doc: 'r_Window_function_synopsis.html', sql: 'SELECT SUM(x) OVER (ORDER BY x ROWS UNBOUNDED PRECEDING) AS v FROM (SELECT 1 AS x UNION ALL SELECT 2) t ORDER BY v', rows: [[1], [3]] },
  { doc: 'r_WF_SUM.html', sql: 'SELECT SUM(x) OVER (PARTITION BY g) AS v FROM (SELECT 1 AS g, 1 AS x UNION ALL SELECT 1, 2) t', rows: [[3], [3]] },
  { doc: 'r_WF_LAG.html', sql: 'SELECT LAG(x) OVER (ORDER BY x) AS v FROM (SELECT 1 AS x UNION ALL SELECT 2) t ORDER BY x', rows: [[null], [1]] },
  { doc: 'r_WF_first_value.html', sql: 'SELECT FIRST_VALUE(x) OVER (ORDER BY x ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) AS v FROM (SELECT 1 AS x UNION ALL SELECT 2) t', rows: [[1], [1]] },

  // Query syntax
  { doc: 'r_TOP_clause.html', sql: 'SELECT TOP 2 x FROM (SELECT 1 AS x UNION ALL SELECT 2 UNION ALL SELECT 3) t ORDER BY x DESC', rows: [[3], [2]] },
  { doc: 'r_QUALIFY_clause.html', sql: 'SELECT x, r FROM (SELECT 1 AS x, 1 AS r UNION ALL SELECT 2, 2) t QUALIFY r = 1', rows: [[1, 1]] },
  { doc: 'r_QUALIFY_clause.html', sql: 'SELECT g, x FROM (SELECT 1 AS g, 1 AS x UNION ALL SELECT 1, 2 UNION ALL SELECT 2, 5) t QUALIFY ROW_NUMBER() OVER (PARTITION BY g ORDER BY x DESC) = 1 ORDER BY g', rows: [[1, 2], [2, 5]] },
  { doc: 'r_UNION.html', sql: 'SELECT 1 AS v UNION ALL SELECT 2 MINUS SELECT 2', rows: [[1]] },
  { doc: 'r_FROM_clause30.html', sql: 'SELECT x AS v FROM (SELECT 1 AS x)', rows: [[1]] },
  { doc: 'r_FROM_clause30.html', sql: 'SELECT COUNT(*) AS v FROM (SELECT 1 AS x) JOIN (SELECT 1 AS y) ON x = y', rows: [[1]] },
  { doc: 'r_names.html', sql: 'SELECT "UserId" AS v FROM (SELECT 5 AS userid) t', rows: [[5]] },
  { doc: 'r_names.html', sql: 'SELECT 1 AS "Total"', rows: [[1]], columns: ['total'] },
  { doc: 'r_WITH_clause.html', sql: 'WITH a AS (SELECT 1 AS x) SELECT x AS v FROM a', rows: [[1]] },
  { doc: 'r_SELECT_INTO.html', setup: ['SELECT 1 AS x INTO #b_into'], sql: 'SELECT x AS v FROM #b_into', rows: [[1]] },

  // Tables, types and constraints
  {
    doc: 'r_CREATE_TABLE_NEW.html',
    setup: ['CREATE TABLE b_phys (id INT ENCODE az64 DISTKEY, at TIMESTAMP DEFAULT GETDATE()) DISTSTYLE KEY COMPOUND SORTKEY (id)', 'INSERT INTO b_phys (id) VALUES (1)'],
    sql: 'SELECT id, at IS NOT NULL AS stamped FROM b_phys',
    rows: [[1, true]],
  },
  { doc: 'r_CREATE_TABLE_NEW.html', setup: ['CREATE TABLE #b_temp (id INT)', 'INSERT INTO #b_temp VALUES (7)'], sql: 'SELECT id FROM #b_temp', rows: [[7]] },
  { doc: 'r_CREATE_TABLE_NEW.html', setup: ['CREATE TABLE b_id (id INT IDENTITY(1,1), v VARCHAR(5))', "INSERT INTO b_id (v) VALUES ('a')", "INSERT INTO b_id (v) VALUES ('b')"], sql: 'SELECT id, v FROM b_id ORDER BY id', rows: [[1, 'a'], [2, 'b']] },
  { doc: 'r_CREATE_TABLE_NEW.html', setup: ['CREATE TABLE b_id2 (id INT IDENTITY(1,1), v VARCHAR(5))'], sql: "INSERT INTO b_id2 (id, v) VALUES (5, 'x')", error: /identity|DEFAULT/i },
  { doc: 'r_CREATE_TABLE_NEW.html', setup: ['CREATE TABLE b_id3 (id INT GENERATED BY DEFAULT AS IDENTITY(1,1), v VARCHAR(5))', "INSERT INTO b_id3 (id, v) VALUES (5, 'x')"], sql: 'SELECT id FROM b_id3', rows: [[5]] },
  {
    doc: 'r_Character_types.html',
    setup: ['CREATE TABLE b_max (v VARCHAR(MAX), t TEXT, n VARCHAR)'],
    sql: "SELECT column_name, character_maximum_length FROM information_schema.columns WHERE table_name = 'b_max' ORDER BY ordinal_position",
    rows: [['v', 65535], ['t', 256], ['n', 256]],
  },
  { doc: 'r_Character_types.html', setup: ['CREATE TABLE b_bytes (v VARCHAR(3))'], sql: "INSERT INTO b_bytes VALUES ('가나')", error: /3 bytes|too long/ },
  { doc: 'r_Character_types.html', setup: ['CREATE TABLE b_bytes2 (v VARCHAR(6))', "INSERT INTO b_bytes2 VALUES ('가나')"], sql: 'SELECT v FROM b_bytes2', rows: [['가나']] },
  { doc: 'r_Character_types.html', setup: ['CREATE TABLE b_bytes3 (c CHAR(2))'], sql: "INSERT INTO b_bytes3 VALUES ('가')", error: /2 bytes|too long/ },
  { doc: 't_Defining_constraints.html', setup: ['CREATE TABLE b_pk (id INT PRIMARY KEY, v INT)', 'INSERT INTO b_pk VALUES (1, 1)', 'INSERT INTO b_pk VALUES (1, 2)'], sql: 'SELECT COUNT(*) AS v FROM b_pk', rows: [[2]] },
  { doc: 't_Defining_constraints.html', setup: ['CREATE TABLE b_uq (id INT, v INT, UNIQUE (v))', 'INSERT INTO b_uq VALUES (1, 1), (2, 1)'], sql: 'SELECT COUNT(*) AS v FROM b_uq', rows: [[2]] },
  {
    doc: 't_Defining_constraints.html',
    setup: ['CREATE TABLE b_parent (id INT PRIMARY KEY)', 'CREATE TABLE b_child (id INT, parent_id INT REFERENCES b_parent (id), FOREIGN KEY (id) REFERENCES b_parent (id))', 'INSERT INTO b_child VALUES (1, 99)'],
    sql: 'SELECT COUNT(*) AS v FROM b_child',
    rows: [[1]],
  },
  { doc: 't_Defining_constraints.html', setup: ['CREATE TABLE b_nn (id INT NOT NULL)'], sql: 'INSERT INTO b_nn VALUES (NULL)', error: /null/i },
  { doc: 'r_ALTER_TABLE.html', setup: ['CREATE TABLE b_alter (id INT)', 'ALTER TABLE b_alter ADD PRIMARY KEY (id)', 'INSERT INTO b_alter VALUES (1), (1)'], sql: 'SELECT COUNT(*) AS v FROM b_alter', rows: [[2]] },
  { doc: 'r_ALTER_TABLE.html', setup: ['CREATE TABLE b_add (id INT)', 'ALTER TABLE b_add ADD COLUMN v VARCHAR(10) DEFAULT \'x\'', 'INSERT INTO b_add (id) VALUES (1)'], sql: 'SELECT v FROM b_add', rows: [['x']] },
  { doc: 'r_ALTER_TABLE.html', setup: ['CREATE TABLE b_add2 (id INT)'], sql: 'ALTER TABLE b_add2 ADD COLUMN a INT, ADD COLUMN b INT', refused: /one column per/ },
  { doc: 'r_CREATE_TABLE_AS.html', setup: ['CREATE TABLE b_ctas AS SELECT 1 AS x'], sql: 'SELECT x FROM b_ctas', rows: [[1]] },
  { doc: 'r_CREATE_TABLE_NEW.html', setup: ['CREATE TABLE b_base (id INT, v VARCHAR(3))', 'CREATE TABLE b_like (LIKE b_base)'], sql: 'SELECT COUNT(*) AS v FROM b_like', rows: [[0]] },
  { doc: 'r_CREATE_VIEW.html', setup: ['CREATE TABLE public.b_vbase (id INT)', 'INSERT INTO public.b_vbase VALUES (3)', 'CREATE VIEW b_view AS SELECT id FROM public.b_vbase WITH NO SCHEMA BINDING'], sql: 'SELECT id FROM b_view', rows: [[3]] },

  // Data manipulation and transactions
  {
    doc: 'r_MERGE.html',
    setup: ['CREATE TABLE b_tgt (id INT, v INT)', 'CREATE TABLE b_src (id INT, v INT)', 'INSERT INTO b_tgt VALUES (1, 1), (1, 1), (2, 2)', 'INSERT INTO b_src VALUES (1, 10), (3, 30)', 'MERGE INTO b_tgt USING b_src ON b_tgt.id = b_src.id REMOVE DUPLICATES'],
    sql: 'SELECT id, v FROM b_tgt ORDER BY id',
    rows: [[1, 10], [2, 2], [3, 30]],
  },
  {
    doc: 'r_MERGE.html',
    setup: [
      'CREATE TABLE b_tgt2 (id INT, v INT)', 'CREATE TABLE b_src2 (id INT, v INT)', 'INSERT INTO b_tgt2 VALUES (1, 1)', 'INSERT INTO b_src2 VALUES (1, 10), (3, 30)',
      'MERGE INTO b_tgt2 USING b_src2 ON b_tgt2.id = b_src2.id WHEN MATCHED THEN UPDATE SET v = b_src2.v WHEN NOT MATCHED THEN INSERT VALUES (b_src2.id, b_src2.v)',
    ],
    sql: 'SELECT id, v FROM b_tgt2 ORDER BY id',
    rows: [[1, 10], [3, 30]],
  },
  {
    doc: 'r_TRUNCATE.html',
    setup: ['CREATE TABLE b_tr (x INT)', 'BEGIN', 'INSERT INTO b_tr VALUES (1)', 'TRUNCATE b_tr', 'INSERT INTO b_tr VALUES (2)', 'ROLLBACK'],
    sql: 'SELECT x FROM b_tr',
    rows: [[2]],
  },
  {
    doc: 'r_TRUNCATE.html',
    setup: ['CREATE TABLE b_tr2 (x INT)', 'INSERT INTO b_tr2 VALUES (1)', 'BEGIN', 'TRUNCATE b_tr2', 'ROLLBACK'],
    sql: 'SELECT COUNT(*) AS v FROM b_tr2',
    rows: [[0]],
  },
  { doc: 'r_DELETE.html', setup: ['CREATE TABLE b_del (x INT)', 'INSERT INTO b_del VALUES (1)', 'BEGIN', 'DELETE FROM b_del', 'ROLLBACK'], sql: 'SELECT COUNT(*) AS v FROM b_del', rows: [[1]] },
  {
    doc: 'r_DELETE.html',
    setup: ['CREATE TABLE b_d1 (id INT)', 'CREATE TABLE b_d2 (id INT)', 'INSERT INTO b_d1 VALUES (1), (2)', 'INSERT INTO b_d2 VALUES (1)', 'DELETE FROM b_d1 USING b_d2 WHERE b_d1.id = b_d2.id'],
    sql: 'SELECT id FROM b_d1',
    rows: [[2]],
  },
  {
    doc: 'r_UPDATE.html',
    setup: ['CREATE TABLE b_u1 (id INT, v INT)', 'CREATE TABLE b_u2 (id INT, v INT)', 'INSERT INTO b_u1 VALUES (1, 0)', 'INSERT INTO b_u2 VALUES (1, 9)', 'UPDATE b_u1 SET v = b_u2.v FROM b_u2 WHERE b_u1.id = b_u2.id'],
    sql: 'SELECT v FROM b_u1',
    rows: [[9]],
  },
  {
    doc: 'r_ALTER_TABLE_APPEND.html',
    setup: ['CREATE TABLE b_ap_t (id INT)', 'CREATE TABLE b_ap_s (id INT)', 'INSERT INTO b_ap_s VALUES (1), (2)', 'ALTER TABLE b_ap_t APPEND FROM b_ap_s'],
    sql: 'SELECT (SELECT COUNT(*) FROM b_ap_t) AS moved, (SELECT COUNT(*) FROM b_ap_s) AS left_behind',
    rows: [[2, 0]],
  },
  { doc: 'r_INSERT_30.html', setup: ['CREATE TABLE b_ins (id INT, v VARCHAR(3))', "INSERT INTO b_ins VALUES (1, 'a'), (2, 'b')"], sql: 'SELECT COUNT(*) AS v FROM b_ins', rows: [[2]] },
  { doc: 'r_INSERT_30.html', setup: ['CREATE TABLE b_ins2 (id INT PRIMARY KEY)'], sql: 'INSERT INTO b_ins2 VALUES (1) ON CONFLICT DO NOTHING', refused: /ON CONFLICT.*MERGE/ },
  { doc: 'r_INSERT_30.html', setup: ['CREATE TABLE b_ins3 (id INT)'], sql: 'INSERT INTO b_ins3 VALUES (1) RETURNING id', refused: /RETURNING/ },
  { doc: 'r_query_group.html', sql: "SET query_group TO 'etl'", rows: [] },
  { doc: 'r_VACUUM_command.html', setup: ['CREATE TABLE b_vac (id INT)'], sql: 'VACUUM DELETE ONLY b_vac', rows: [] },
  { doc: 'r_ANALYZE.html', setup: ['CREATE TABLE b_an (id INT)'], sql: 'ANALYZE b_an', rows: [] },
  { doc: 'r_generate_series_function.html', sql: 'SELECT * FROM generate_series(1, 3) ORDER BY 1', rows: [[1], [2], [3]] },

  // What Redshift refuses
  { doc: 'c_unsupported-postgresql-datatypes.html', sql: 'CREATE TABLE b_serial (id SERIAL)', refused: /SERIAL.*IDENTITY/ },
  { doc: 'c_unsupported-postgresql-datatypes.html', sql: 'CREATE TABLE b_bigserial (id BIGSERIAL, v INT)', refused: /IDENTITY/ },
  { doc: 'c_unsupported-postgresql-datatypes.html', sql: 'CREATE TABLE b_jsonb (doc JSONB)', refused: /JSONB/ },
  { doc: 'c_unsupported-postgresql-datatypes.html', sql: 'CREATE TABLE b_uuid (id UUID)', refused: /UUID/ },
  { doc: 'c_unsupported-postgresql-datatypes.html', sql: 'CREATE TABLE b_arr (ids INT[])', refused: /array/ },
  { doc: 'c_unsupported-postgresql-datatypes.html', sql: "SELECT '{}'::json AS v", refused: /JSON/ },
  { doc: 'c_unsupported-postgresql-features.html', setup: ['CREATE TABLE b_ix (id INT)'], sql: 'CREATE INDEX b_ix_id ON b_ix (id)', refused: /indexes.*SORTKEY/ },
  { doc: 'c_unsupported-postgresql-features.html', sql: 'CREATE SEQUENCE b_seq', refused: /IDENTITY/ },
  { doc: 'c_unsupported-postgresql-features.html', sql: 'CREATE TABLE b_chk (id INT CHECK (id > 0))', refused: /CHECK/ },
  { doc: 'c_unsupported-postgresql-features.html', sql: 'SELECT * FROM (VALUES (1), (2)) AS t (x)', refused: /VALUES/ },
  { doc: 'c_unsupported-postgresql-features.html', sql: 'SELECT ARRAY[1, 2] AS v', refused: /ARRAY/ },
  { doc: 'c_unsupported-postgresql-features.html', setup: ['CREATE TABLE b_trg (id INT)'], sql: 'CREATE TRIGGER t BEFORE INSERT ON b_trg FOR EACH ROW EXECUTE FUNCTION f()', refused: /triggers/ },
  { doc: 'c_unsupported-postgresql-features.html', sql: 'CREATE TABLE b_part (id INT, d DATE) PARTITION BY RANGE (d)', refused: /partitioning/ },
  { doc: 'c_unsupported-postgresql-functions.html', sql: "SELECT string_agg(x, ',') AS v FROM (SELECT 'a' AS x) t", refused: /LISTAGG/ },
  { doc: 'c_unsupported-postgresql-functions.html', sql: 'SELECT array_agg(x) AS v FROM (SELECT 1 AS x) t', refused: /ARRAY_AGG/ },
  { doc: 'c_unsupported-postgresql-functions.html', setup: ['CREATE TABLE b_gs (i INT)'], sql: 'INSERT INTO b_gs SELECT i FROM generate_series(1, 3) i', refused: /leader node/ },
  { doc: 'c_unsupported-postgresql-functions.html', sql: "SELECT format('%s', 1) AS v", refused: /FORMAT/ },
  { doc: 'c_unsupported-postgresql-functions.html', sql: 'SELECT clock_timestamp() AS v', refused: /GETDATE/ },
  { doc: 'c_unsupported-postgresql-functions.html', sql: "SELECT nextval('s') AS v", refused: /IDENTITY/ },
  { doc: 'c_unsupported-postgresql-functions.html', sql: "SELECT * FROM regexp_matches('abc', 'b')", refused: /REGEXP_SUBSTR/ },
  { doc: 'r_SELECT_synopsis.html', sql: 'SELECT DISTINCT ON (x) x FROM (SELECT 1 AS x) t', refused: /DISTINCT ON/ },
  { doc: 'r_FROM_clause30.html', sql: 'SELECT * FROM (SELECT 1 AS x) a, LATERAL (SELECT a.x AS y) b', refused: /LATERAL/ },
  { doc: 'r_SELECT_synopsis.html', sql: 'SELECT COUNT(*) FILTER (WHERE x > 1) AS v FROM (SELECT 1 AS x) t', refused: /FILTER/ },
  { doc: 'r_SELECT_synopsis.html', setup: ['CREATE TABLE b_fu (id INT)'], sql: 'SELECT id FROM b_fu FOR UPDATE', refused: /FOR UPDATE/ },
  { doc: 'c_unsupported-postgresql-features.html', sql: 'DO $$ BEGIN END $$', refused: /stored procedure/ },
];

/** Values as Redshift's console prints them. */
function show(value: unknown, field: FieldDef): Value {
  if (value === null || value === undefined) return null;
  if (value instanceof Date) {
    const pad = (n: number, w = 2) => String(n).padStart(w, '0');
    const day = `${value.getFullYear()}-${pad(value.getMonth() + 1)}-${pad(value.getDate())}`;
    if (field.dataTypeID === DATE) return day;
    const ms = value.getMilliseconds();
    return `${day} ${pad(value.getHours())}:${pad(value.getMinutes())}:${pad(value.getSeconds())}${ms ? `.${pad(ms, 3)}` : ''}`;
  }
  if (typeof value === 'boolean' || typeof value === 'number') return value;
  if (typeof value === 'string' && NUMERIC_TYPES.has(field.dataTypeID) && field.dataTypeID !== NUMERIC) return Number(value);
  if (typeof value === 'string' && field.dataTypeID === NUMERIC && /^-?\d+$/.test(value)) return Number(value);
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}

const DATE = 1082;
const NUMERIC = 1700;
const NUMERIC_TYPES = new Set([20, 21, 23, 700, 701, 1700]);
const TYPE_NAMES: Record<number, string> = {
  16: 'boolean', 20: 'bigint', 21: 'smallint', 23: 'integer', 25: 'text', 700: 'real', 701: 'double precision', 1043: 'character varying',
  1082: 'date', 1114: 'timestamp', 1184: 'timestamptz', 1700: 'numeric', 3802: 'jsonb',
};

let h: PipelineHarness;
let warehouse: Pool;
beforeAll(async () => {
  h = await startPipelineHarness();
  warehouse = h.session.hooks().warehouse!();
});
afterAll(() => h?.close());

describe('a battery of Redshift statements, each with the result or refusal Redshift gives', () => {
  it('holds at least 100 statements, each citing its page of the Redshift Database Developer Guide', () => {
    expect(CASES.length).toBeGreaterThanOrEqual(100);
    for (const c of CASES) expect(c.doc, c.sql).toMatch(/^[\w-]+\.html$/);
  });

  it.each(CASES.map((c, i) => [i + 1, c] as const))('%i: %s', async (_n, c) => {
    const scope = openTryWarehouse(warehouse);
    try {
      for (const statement of c.setup ?? []) await scope.pool.query(statement);
      const run = scope.pool.query({ text: c.sql, rowMode: 'array' }) as unknown as Promise<QueryResult<unknown[]>>;
      const where = `${c.sql}\n(${DG}${c.doc})`;
      if (c.refused) {
        await expect(run, where).rejects.toThrow(/Redshift/);
        await expect(run, where).rejects.toThrow(c.refused);
        return;
      }
      if (c.error) {
        await expect(run, where).rejects.toThrow(c.error);
        return;
      }
      const result = await run;
      if (c.rows) expect(result.rows.map((row) => row.map((v, k) => show(v, result.fields[k]!))), where).toEqual(c.rows);
      if (c.types) expect(result.fields.map((f) => TYPE_NAMES[f.dataTypeID] ?? String(f.dataTypeID)), where).toEqual(c.types);
      if (c.columns) expect(result.fields.map((f) => f.name), where).toEqual(c.columns);
    } finally {
      await scope.close();
    }
  });
});
