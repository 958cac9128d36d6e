import { isTrivia, leadingKeyword, type Token } from '../sql/sql-lexer.ts';

/**
 * A statement that Redshift itself rejects: the stand-in rejects it too, before Postgres sees it,
 * with what Redshift says and what to write instead. Without this a pipeline would pass locally
 * and fail in production.
 */
export class RedshiftRefusal extends Error {
  override name = 'RedshiftRefusal';
}

/** Postgres functions Redshift does not have, and what to write on Redshift. */
const REFUSED_FUNCTIONS: Record<string, string> = {
  STRING_AGG: "LISTAGG(expr, ',') WITHIN GROUP (ORDER BY ...)",
  ARRAY_AGG: "LISTAGG(expr, ',') WITHIN GROUP (ORDER BY ...), or a SUPER value",
  JSON_AGG: 'LISTAGG to build the text, or a SUPER value',
  JSONB_AGG: 'LISTAGG to build the text, or a SUPER value',
  JSON_BUILD_OBJECT: "'{...}' text with JSON_PARSE, or OBJECT(...) for SUPER",
  JSONB_BUILD_OBJECT: "'{...}' text with JSON_PARSE, or OBJECT(...) for SUPER",
  JSON_OBJECT_AGG: 'LISTAGG to build the text',
  TO_JSON: 'JSON_SERIALIZE on a SUPER value',
  TO_JSONB: 'JSON_SERIALIZE on a SUPER value',
  JSONB_EXTRACT_PATH_TEXT: 'JSON_EXTRACT_PATH_TEXT(varchar_column, \'key\', ...)',
  JSONB_ARRAY_LENGTH: 'JSON_ARRAY_LENGTH(varchar_column)',
  UNNEST: 'a join to a numbers table with SPLIT_PART, or SUPER unnesting (FROM t, t.super_column AS item)',
  CLOCK_TIMESTAMP: 'GETDATE() or SYSDATE',
  PG_SLEEP: 'nothing (Redshift cannot sleep in SQL)',
  REGEXP_MATCHES: 'REGEXP_SUBSTR(text, pattern)',
  REGEXP_SPLIT_TO_TABLE: 'SPLIT_PART(text, delimiter, n) over a numbers table',
  REGEXP_SPLIT_TO_ARRAY: 'SPLIT_PART(text, delimiter, n)',
  STRING_TO_ARRAY: 'SPLIT_PART(text, delimiter, n)',
  FORMAT: "the || operator or CONCAT(a, b)",
  NEXTVAL: 'an IDENTITY(1,1) column',
  CURRVAL: 'an IDENTITY(1,1) column',
  SETVAL: 'an IDENTITY(1,1) column',
  LASTVAL: 'an IDENTITY(1,1) column',
  EVERY: 'BOOL_AND(expr)',
  CORR: 'the formula over SUM/COUNT/STDDEV',
  COVAR_POP: 'the formula over SUM/COUNT',
  COVAR_SAMP: 'the formula over SUM/COUNT',
  JUSTIFY_DAYS: 'DATEADD/DATEDIFF',
  JUSTIFY_HOURS: 'DATEADD/DATEDIFF',
  JUSTIFY_INTERVAL: 'DATEADD/DATEDIFF',
  BIT_LENGTH: 'OCTET_LENGTH(text) * 8',
  OVERLAY: 'SUBSTRING and ||',
  ENCODE: 'TO_HEX or FROM_VARBYTE',
  CONVERT_FROM: 'a VARBYTE function (FROM_VARBYTE)',
  CONVERT_TO: 'a VARBYTE function (TO_VARBYTE)',
  DATE_BIN: "DATE_TRUNC('hour', ts) and DATEADD",
  GEN_RANDOM_UUID: 'MD5(RANDOM()::varchar) or a UUID made by the loader',
  ARRAY_LENGTH: 'GET_ARRAY_LENGTH on a SUPER array',
  TO_TSVECTOR: 'LIKE / ILIKE / REGEXP functions (Redshift has no full text search)',
  TO_TSQUERY: 'LIKE / ILIKE / REGEXP functions (Redshift has no full text search)',
  GENERATE_SUBSCRIPTS: 'a numbers table',
};

/** Postgres types Redshift has no column or cast type for, and what to use instead. */
const REFUSED_TYPES: Record<string, string> = {
  SERIAL: 'INT IDENTITY(1,1)',
  SERIAL4: 'INT IDENTITY(1,1)',
  BIGSERIAL: 'BIGINT IDENTITY(1,1)',
  SERIAL8: 'BIGINT IDENTITY(1,1)',
  SMALLSERIAL: 'SMALLINT IDENTITY(1,1)',
  SERIAL2: 'SMALLINT IDENTITY(1,1)',
  JSON: 'VARCHAR(MAX) with the JSON functions, or SUPER',
  JSONB: 'SUPER (with JSON_PARSE), or VARCHAR(MAX)',
  UUID: 'CHAR(36) or VARCHAR(36)',
  BYTEA: 'VARBYTE',
  MONEY: 'DECIMAL(19,4)',
  INET: 'VARCHAR(45)',
  CIDR: 'VARCHAR(49)',
  MACADDR: 'VARCHAR(17)',
  XML: 'VARCHAR(MAX)',
  TSVECTOR: 'VARCHAR',
  POINT: 'GEOMETRY',
  BIT: 'BOOLEAN or an integer',
  VARBIT: 'VARBYTE',
  CITEXT: 'VARCHAR (comparisons with ILIKE or LOWER)',
};

/** Aggregates that Redshift runs as window functions only with a frame clause when ORDER BY is given. */
const FRAMED_AGGREGATES = new Set([
  'SUM', 'AVG', 'COUNT', 'MIN', 'MAX', 'STDDEV', 'STDDEV_SAMP', 'STDDEV_POP', 'VARIANCE', 'VAR_SAMP', 'VAR_POP',
  'FIRST_VALUE', 'LAST_VALUE', 'NTH_VALUE',
]);

const CREATE_REFUSALS: Record<string, string> = {
  INDEX: 'Redshift has no indexes (CREATE INDEX): declare a SORTKEY (and a DISTKEY) in CREATE TABLE instead',
  UNIQUE: 'Redshift has no indexes (CREATE UNIQUE INDEX): declare a UNIQUE or PRIMARY KEY constraint, which Redshift keeps as information only, and de-duplicate in the load',
  SEQUENCE: 'Redshift has no sequences (CREATE SEQUENCE): use an IDENTITY(1,1) column',
  TRIGGER: 'Redshift has no triggers (CREATE TRIGGER): do the work in the pipeline',
  EXTENSION: 'Redshift has no extensions (CREATE EXTENSION)',
  TYPE: 'Redshift has no user-defined types (CREATE TYPE): use VARCHAR with a check in the pipeline',
  DOMAIN: 'Redshift has no domains (CREATE DOMAIN): use the base type',
  UNLOGGED: 'Redshift has no UNLOGGED tables: use CREATE TABLE ... BACKUP NO',
  RULE: 'Redshift has no rules (CREATE RULE)',
  TABLESPACE: 'Redshift has no tablespaces',
  POLICY: 'Redshift writes row-level security as CREATE RLS POLICY, which the stand-in does not emulate',
};

/** Statements Redshift does not have at all. */
const STATEMENT_REFUSALS: Record<string, string> = {
  DO: 'Redshift has no anonymous code blocks (DO $$ ... $$): create a stored procedure and CALL it',
  LISTEN: 'Redshift has no LISTEN/NOTIFY',
  NOTIFY: 'Redshift has no LISTEN/NOTIFY',
  CLUSTER: 'Redshift has no CLUSTER: declare a SORTKEY and run VACUUM SORT ONLY',
  REINDEX: 'Redshift has no indexes to REINDEX',
};

/**
 * Throw a {@link RedshiftRefusal} when Redshift would reject the statement; return otherwise.
 * Works on one statement's tokens, before translation.
 *
 * ```ts
 * refuseUnlessRedshift(lexSql('INSERT INTO t VALUES (1) ON CONFLICT DO NOTHING', 'postgres'));
 * // throws: Redshift rejects INSERT ... ON CONFLICT: ...
 * ```
 */
export function refuseUnlessRedshift(tokens: readonly Token[]): void {
  const sig = tokens.filter((t) => !isTrivia(t));
  const lead = leadingKeyword(tokens);
  const word = (i: number) => (sig[i]?.kind === 'word' ? sig[i]!.text.toUpperCase() : '');
  const punct = (i: number, text: string) => sig[i]?.kind === 'punct' && sig[i]!.text === text;
  const fail = (problem: string): never => {
    throw new RedshiftRefusal(`${problem}. (dagbox's stand-in refuses what Redshift refuses, so that this fails here and not in production.)`);
  };
  if (STATEMENT_REFUSALS[lead]) fail(STATEMENT_REFUSALS[lead]!);
  if (lead === 'CREATE') {
    let k = 1;
    if (word(k) === 'OR' && word(k + 1) === 'REPLACE') k += 2;
    const what = word(k);
    if (CREATE_REFUSALS[what] && !(what === 'UNIQUE' && word(k + 1) !== 'INDEX')) fail(CREATE_REFUSALS[what]!);
  }
  const creatingTable = lead === 'CREATE' && sig.some((t, i) => i < 6 && t.kind === 'word' && t.text.toUpperCase() === 'TABLE');
  const altering = lead === 'ALTER';
  let depth = 0;
  for (let i = 0; i < sig.length; i++) {
    const t = sig[i]!;
    if (t.kind === 'punct' && t.text === '(') depth++;
    if (t.kind === 'punct' && t.text === ')') depth--;
    const w = word(i);
    if (t.kind === 'punct' && t.text === '::') refuseType(word(i + 1), punct(i + 2, '[') || punct(i + 3, '['), fail);
    if (!w) continue;
    const call = punct(i + 1, '(') && !punct(i - 1, '.');
    if (call && REFUSED_FUNCTIONS[w]) fail(`Redshift has no function ${w}(): write ${REFUSED_FUNCTIONS[w]} instead`);
    if (w === 'ON' && word(i + 1) === 'CONFLICT') {
      fail('Redshift rejects INSERT ... ON CONFLICT (it has no enforced unique keys to conflict on): write MERGE INTO t USING stage ON ..., or DELETE FROM t USING stage WHERE ... followed by INSERT INTO t SELECT ... FROM stage, in one transaction');
    }
    if (w === 'RETURNING' && ['INSERT', 'UPDATE', 'DELETE', 'WITH'].includes(lead)) fail('Redshift has no RETURNING clause: read the rows with a SELECT after the statement');
    if (w === 'DISTINCT' && word(i + 1) === 'ON' && punct(i + 2, '(')) fail('Redshift has no SELECT DISTINCT ON (...): keep one row per key with ROW_NUMBER() OVER (PARTITION BY key ORDER BY ...) = 1 (in a subquery, or with QUALIFY)');
    if (w === 'LATERAL') fail('Redshift has no LATERAL joins: join to a subquery, or unnest SUPER values with FROM t, t.column AS item');
    if (w === 'VALUES' && punct(i - 1, '(') && ['FROM', 'JOIN'].includes(word(i - 2))) fail('Redshift cannot use a VALUES list as a table (FROM (VALUES ...)): use SELECT ... UNION ALL SELECT ..., or a table');
    if (w === 'FILTER' && punct(i + 1, '(') && word(i + 2) === 'WHERE' && punct(i - 1, ')')) fail('Redshift has no FILTER (WHERE ...) on aggregates: write SUM(CASE WHEN ... THEN x END) or COUNT(CASE WHEN ... THEN 1 END)');
    if (w === 'ARRAY' && punct(i + 1, '[')) fail("Redshift has no ARRAY[...] constructor: use ARRAY(...) for SUPER, or SPLIT_PART over text");
    if (w === 'FOR' && ['UPDATE', 'SHARE'].includes(word(i + 1)) && lead === 'SELECT') fail('Redshift has no SELECT ... FOR UPDATE / FOR SHARE: use LOCK table inside the transaction');
    if (w === 'TABLESAMPLE') fail('Redshift has no TABLESAMPLE: use ORDER BY RANDOM() LIMIT n');
    if (w === 'OVERRIDING') fail('Redshift has no OVERRIDING SYSTEM VALUE: declare the column GENERATED BY DEFAULT AS IDENTITY(1,1) to insert your own values');
    if (w === 'GENERATE_SERIES' && call && writesOrJoins(sig, lead)) {
      fail('Redshift runs generate_series() on the leader node only, so its rows cannot go into a table or be joined with one ("Specified types or functions not supported on Redshift tables"): use a numbers table, or a recursive CTE (WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 100))');
    }
    if (w === 'OVER' && punct(i + 1, '(') && punct(i - 1, ')')) refuseUnframedWindow(sig, i, fail);
    if ((creatingTable || altering) && depth >= 1 && (punct(i - 1, '(') || punct(i - 1, ',')) && sig[i + 1]) {
      if (w === 'EXCLUDE') fail('Redshift has no EXCLUDE constraints');
      if (!['PRIMARY', 'UNIQUE', 'FOREIGN', 'CONSTRAINT', 'LIKE'].includes(w)) refuseType(word(i + 1), punct(i + 2, '[') || punct(i + 5, '['), fail);
    }
    if (creatingTable && depth === 0 && (w === 'INHERITS' || (w === 'PARTITION' && word(i + 1) === 'BY'))) fail(`Redshift has no table ${w === 'INHERITS' ? 'inheritance (INHERITS)' : 'partitioning (PARTITION BY)'}: use one table with a SORTKEY on the partition column`);
    if (creatingTable && depth === 0 && w === 'ON' && word(i + 1) === 'COMMIT') fail('Redshift has no ON COMMIT clause: a temporary table lives until the session ends; DROP it when done');
    if (altering && w === 'ADD' && sig.slice(i + 1).some((x, j) => x.kind === 'punct' && x.text === ',' && word(i + 2 + j) === 'ADD')) fail('Redshift adds one column per ALTER TABLE ... ADD COLUMN statement: write one statement per column');
    if ((creatingTable || altering) && w === 'CHECK' && punct(i + 1, '(')) fail('Redshift has no CHECK constraints: check the rows in the pipeline (a dagbox data check)');
    if (altering && (w === 'ADD' || w === 'COLUMN') && (word(i + 1) === 'IF' || word(i + 2) === 'IF') && lead === 'ALTER') {
      const at = word(i + 1) === 'IF' ? i + 1 : i + 2;
      if (word(at + 1) === 'NOT' && word(at + 2) === 'EXISTS') fail('Redshift has no ALTER TABLE ... ADD COLUMN IF NOT EXISTS: check information_schema.columns first, or use CREATE TABLE IF NOT EXISTS with the column');
    }
  }
}

function refuseType(type: string, array: boolean, fail: (problem: string) => never): void {
  if (REFUSED_TYPES[type]) fail(`Redshift has no ${type} type: use ${REFUSED_TYPES[type]}`);
  if (array && type) fail(`Redshift has no array types (${type}[]): use SUPER, or one row per element`);
}

/** INSERT/CREATE/UPDATE/DELETE, SELECT ... INTO, or a FROM/JOIN naming a table next to generate_series(). */
function writesOrJoins(sig: readonly Token[], lead: string): boolean {
  if (lead !== 'SELECT' && lead !== 'WITH') return true;
  for (let i = 0; i < sig.length; i++) {
    const t = sig[i]!;
    if (t.kind !== 'word') continue;
    const w = t.text.toUpperCase();
    if (w === 'INTO') return true;
    if (w === 'JOIN') return true;
    if (w === 'FROM') {
      const next = sig[i + 1];
      if (next && (next.kind === 'word' || next.kind === 'quoted' || next.kind === 'temp') && next.text.toUpperCase() !== 'GENERATE_SERIES') return true;
    }
  }
  // A comma-separated FROM list with generate_series and a table.
  return sig.some((t, i) => t.kind === 'punct' && t.text === ',' && sig[i + 1]?.kind === 'word' && sig[i + 1]!.text.toUpperCase() === 'GENERATE_SERIES');
}

/** `agg(...) OVER (... ORDER BY ...)` without ROWS/RANGE: Redshift requires a frame for aggregates. */
function refuseUnframedWindow(sig: readonly Token[], over: number, fail: (problem: string) => never): void {
  // Find the function name before the argument list that ends just before OVER.
  let depth = 0;
  let j = over - 1;
  for (; j >= 0; j--) {
    const t = sig[j]!;
    if (t.kind === 'punct' && t.text === ')') depth++;
    if (t.kind === 'punct' && t.text === '(') depth--;
    if (depth === 0) break;
  }
  const name = sig[j - 1]?.kind === 'word' ? sig[j - 1]!.text.toUpperCase() : '';
  if (!FRAMED_AGGREGATES.has(name)) return;
  let ordered = false;
  let framed = false;
  depth = 0;
  for (let k = over + 1; k < sig.length; k++) {
    const t = sig[k]!;
    if (t.kind === 'punct' && t.text === '(') depth++;
    if (t.kind === 'punct' && t.text === ')' && --depth === 0) break;
    if (depth !== 1 || t.kind !== 'word') continue;
    const w = t.text.toUpperCase();
    if (w === 'ORDER') ordered = true;
    if (w === 'ROWS' || w === 'RANGE' || w === 'GROUPS') framed = true;
  }
  if (ordered && !framed) {
    fail(
      `Redshift requires a frame clause for the window aggregate ${name}(...) OVER (... ORDER BY ...) ("Aggregate window functions with an ORDER BY clause require a frame clause"): ` +
        'add ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW for a running value, or ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING for the whole partition',
    );
  }
}
