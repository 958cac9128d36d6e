import { describe, expect, it } from 'vitest';
import { isS3Copy, parseCopy, postgresCopySql } from '../../src/warehouse/copy-command.ts';
import { planRedshift } from '../../src/warehouse/redshift-session.ts';
import { translateText } from '../../src/warehouse/redshift-translate.ts';
import { lexSql, splitStatements, stringValue } from '../../src/sql/sql-lexer.ts';
import { parseUnload, unloadKey } from '../../src/warehouse/unload-command.ts';

const pg = (text: string) => lexSql(text, 'postgres');
const translate = (text: string) => translateText(pg(text));

describe('lexSql', () => {
  it('gives the text back token by token, and never splits inside literals, identifiers or comments', () => {
    const text = "select 'a;b', \"c;d\", $$e;f$$, E'g\\';h' -- i;j\n/* k; /* nested; */ l; */ from t; select 2";
    expect(pg(text).map((t) => t.text).join('')).toBe(text);
    expect(splitStatements(pg(text)).map((s) => s.text.trim())).toEqual([text.split('from t;')[0] + 'from t', 'select 2']);
  });

  it('knows MySQL: backslash escapes, "strings", `identifiers`, # comments and ? placeholders', () => {
    const tokens = lexSql("select 'it\\'s', \"x;y\", `a;b` # c; d\n, ?", 'mysql');
    expect(tokens.filter((t) => t.kind === 'string').map((t) => stringValue(t, 'mysql'))).toEqual(["it's", 'x;y']);
    expect(tokens.filter((t) => t.kind === 'quoted').map((t) => t.text)).toEqual(['`a;b`']);
    expect(tokens.filter((t) => t.kind === 'param')).toHaveLength(1);
    expect(splitStatements(tokens)).toHaveLength(1);
  });

  it('reads literal values: doubled quotes, E-string escapes, dollar quotes', () => {
    const values = pg("'it''s' E'a\\nb' $tag$x'y$tag$").filter((t) => t.kind === 'string').map((t) => stringValue(t, 'postgres'));
    expect(values).toEqual(["it's", 'a\nb', "x'y"]);
  });
});

describe('Redshift statements rewritten for Postgres', () => {
  // Changed by issue 11: the wall clock is dagbox's (a shiftable clock in the dagbox schema).
  it('GETDATE(), SYSDATE and NVL, outside literals only', () => {
    expect(translate("select getdate(), sysdate, nvl(a, 'getdate()') from t")).toBe("select dagbox.getdate(), dagbox.sysdate(), COALESCE(a, 'getdate()') from t");
  });

  it('#temp tables: CREATE TABLE #x, SELECT ... INTO #x, and references', () => {
    expect(translate('CREATE TABLE #Stage (LIKE raw_data.nps INCLUDING DEFAULTS)')).toBe('CREATE TEMP TABLE "#stage" (LIKE raw_data.nps INCLUDING DEFAULTS)');
    expect(translate('create temp table #s as select 1')).toBe('create temp table "#s" as select 1');
    expect(translate('SELECT * INTO #top FROM t; INSERT INTO #top SELECT 1; DROP TABLE #top')).toBe('SELECT * INTO TEMP "#top" FROM t; INSERT INTO "#top" SELECT 1; DROP TABLE "#top"');
  });

  it('drops DISTSTYLE, DISTKEY, SORTKEY, ENCODE and BACKUP in CREATE TABLE, but not columns so named', () => {
    expect(translate('CREATE TABLE t (id INT ENCODE az64 DISTKEY, backup INT, encode INT) DISTSTYLE KEY DISTKEY(id) INTERLEAVED SORTKEY (id, backup) BACKUP NO')).toBe(
      'CREATE TABLE t (id INT, backup INT, encode INT)',
    );
  });

  it('plans: plain SQL as is, rewritten SQL, and COPY/UNLOAD for emulation', () => {
    expect(planRedshift('select 1', [])).toEqual({ kind: 'as-is' });
    expect(planRedshift('select getdate()', []).kind).toBe('rewritten');
    expect(planRedshift("copy t from 's3://b/k' csv", []).kind).toBe('emulated');
    expect(planRedshift('copy t from $1 csv', ['s3://b/k']).kind).toBe('emulated');
    expect(planRedshift("unload ('select 1') to 's3://b/k'", []).kind).toBe('emulated');
    expect(planRedshift('copy t from stdin', []).kind).toBe('as-is');
    expect(isS3Copy(pg('copy t from stdin'), [])).toBe(false);
  });
});

describe('COPY and UNLOAD options', () => {
  it('reads a COPY with every supported option into the Postgres COPY it runs', () => {
    const copy = parseCopy(pg(`COPY raw_data.nps (id, "Score") FROM $1 IAM_ROLE 'arn' REGION 'ap-northeast-2' FORMAT AS CSV QUOTE AS '''' DELIMITER AS ';' IGNOREHEADER 2 NULL AS 'n/a' GZIP COMPUPDATE OFF STATUPDATE OFF DATEFORMAT 'auto'`), ['s3://_/x/']);
    expect(copy).toMatchObject({ target: 'raw_data.nps', columns: ['id', '"Score"'], source: 's3://_/x/', format: 'csv', quote: "'", delimiter: ';', ignoreHeader: 2, nullAs: 'n/a', gzip: true });
    expect(postgresCopySql(copy)).toBe(`COPY raw_data.nps (id, "Score") FROM STDIN WITH (FORMAT csv, DELIMITER ';', QUOTE '''', NULL 'n/a')`);
  });

  it('refuses options that would change the data, naming them, and sources that are not S3', () => {
    expect(() => parseCopy(pg("COPY t FROM 's3://b/k' CSV FILLRECORD"), [])).toThrow("COPY: option FILLRECORD is not supported by dagbox's Redshift stand-in");
    expect(() => parseCopy(pg("COPY t FROM 's3://b/k' FORMAT AS AVRO 'auto'"), [])).toThrow('option FORMAT AS AVRO is not supported');
    expect(() => parseCopy(pg("COPY t FROM '/tmp/x.csv' CSV"), [])).toThrow("loads only from S3, but the source is \"/tmp/x.csv\"");
    expect(() => parseCopy(pg("COPY t FROM 's3://b/k' CSV IGNOREHEADER 'x'"), [])).toThrow('IGNOREHEADER takes a whole number');
    expect(() => parseCopy(pg("COPY t FROM 's3://b/k' DELIMITER ',,'"), [])).toThrow('DELIMITER must be one character');
  });

  it('reads UNLOAD and names its file as Redshift does', () => {
    const unload = parseUnload(pg("UNLOAD ('select * from t where d = ''x''') TO 's3://_/out/t_' FORMAT CSV HEADER ALLOWOVERWRITE GZIP EXTENSION 'csv'"), []);
    expect(unload).toMatchObject({ query: "select * from t where d = 'x'", format: 'csv', header: true, allowOverwrite: true, gzip: true, delimiter: ',' });
    expect(unloadKey(unload, 'out/t_')).toBe('out/t_0000_part_00.csv.gz');
    expect(unloadKey({ ...unload, parallel: false, gzip: false, extension: null }, 'out/t_')).toBe('out/t_000');
    expect(() => parseUnload(pg("UNLOAD ($1) TO 's3://b/k'"), ['select 1'])).toThrow("UNLOAD's query is SQL text, so it cannot be a bound value");
    expect(() => parseUnload(pg("UNLOAD ('select 1') TO 's3://b/k' MANIFEST"), [])).toThrow('option MANIFEST is not supported');
  });
});

describe('the Redshift dialect, as text', () => {
  it('casts a literal or bound date argument of DATEADD/DATEDIFF/DATE_PART, so that Postgres can pick the overload', () => {
    expect(translate("select dateadd(d, 1, $1), datediff(month, '2021-01-31', $2), date_part(dow, $1)")).toBe(
      "select dagbox.dateadd('day', 1, $1::timestamp), dagbox.datediff('month', '2021-01-31'::timestamp, $2::timestamp), date_part('dow', $1::timestamp)",
    );
  });

  it('leaves text inside literals, quoted names and comments alone, and refuses what Redshift refuses', () => {
    expect(translate("select 'nvl2(a)' /* top 3 */ from t -- qualify")).toBe("select 'nvl2(a)' /* top 3 */ from t -- qualify");
    expect(() => translate('insert into t values (1) on conflict do nothing')).toThrow(/Redshift rejects INSERT \.\.\. ON CONFLICT/);
    expect(() => translate("select 'on conflict' from t")).not.toThrow();
  });

  it('plans a text once: the same text gives the same cached translation', () => {
    expect(planRedshift('select nvl(a, 1) from t', [])).toEqual({ kind: 'rewritten', text: 'select COALESCE(a, 1) from t' });
    expect(planRedshift('select nvl(a, 1) from t', [])).toEqual({ kind: 'rewritten', text: 'select COALESCE(a, 1) from t' });
    expect(planRedshift('truncate t', []).kind).toBe('emulated');
  });
});
