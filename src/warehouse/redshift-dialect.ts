import type { ClientBase } from 'pg';

/**
 * The Redshift functions the Postgres stand-in gets from a `dagbox` schema, and the session
 * settings that make a warehouse connection speak Redshift.
 *
 * Functions are the cleanest way where Postgres has no such function (DATEADD, LEN, CHARINDEX,
 * CONVERT_TIMEZONE, ...) or answers differently for the same argument types: `dagbox` comes before
 * `pg_catalog` in the warehouse's search_path, so `dagbox.avg(integer)` (BIGINT, as Redshift),
 * `dagbox.round(double precision, int)`, `dagbox.left(timestamp, int)`, `dagbox.trunc(timestamp)`
 * and `dagbox.regexp_replace(text, text, text)` (every match, as Redshift) win over Postgres's own
 * for exactly those argument types and leave every other call alone. `ctx.postgres()` keeps the
 * plain search_path and plain Postgres answers.
 *
 * The wall clock (GETDATE(), SYSDATE, now(), CURRENT_TIMESTAMP, CURRENT_DATE) reads
 * `dagbox.clock_shift`, an interval a session may set, so that verification can run an interval
 * again at another wall-clock time.
 *
 * Informational keys: an event trigger turns every PRIMARY KEY and UNIQUE constraint created in
 * the database into a record that Postgres keeps but does not enforce (its index stays in the
 * catalog, marked neither ready nor valid, so it is never filled or read), as Redshift keeps them: declared, shown in the catalog (UPSERT defaults, diffs and key checks
 * read them), never enforced. FOREIGN KEY / REFERENCES clauses are dropped by the translation
 * (Postgres cannot reference a key whose index is not unique). NOT NULL
 * stays enforced. This needs a superuser (dagbox's own servers are); elsewhere keys stay enforced
 * and the README says so.
 */

/** Bumped when {@link DIALECT_SQL} changes, so that an older install is replaced. */
export const DIALECT_VERSION = 6;

/** The warehouse session's search_path: Redshift's default, with dagbox's functions before pg_catalog's. */
export const WAREHOUSE_SEARCH_PATH = '"$user", public, dagbox, pg_catalog';

const DIALECT_SQL = String.raw`
CREATE SCHEMA IF NOT EXISTS dagbox;
COMMENT ON SCHEMA dagbox IS 'Redshift functions for dagbox''s Postgres stand-in (version ${DIALECT_VERSION})';

CREATE OR REPLACE FUNCTION dagbox.clock_shift() RETURNS interval LANGUAGE sql STABLE PARALLEL SAFE AS
$f$ SELECT coalesce(nullif(current_setting('dagbox.clock_shift', true), ''), '0')::interval $f$;
CREATE OR REPLACE FUNCTION dagbox.getdate() RETURNS timestamp LANGUAGE sql STABLE PARALLEL SAFE AS
$f$ SELECT date_trunc('second', statement_timestamp() + dagbox.clock_shift())::timestamp $f$;
CREATE OR REPLACE FUNCTION dagbox.sysdate() RETURNS timestamp LANGUAGE sql STABLE PARALLEL SAFE AS
$f$ SELECT (pg_catalog.transaction_timestamp() + dagbox.clock_shift())::timestamp $f$;
CREATE OR REPLACE FUNCTION dagbox.now() RETURNS timestamptz LANGUAGE sql STABLE PARALLEL SAFE AS
$f$ SELECT pg_catalog.transaction_timestamp() + dagbox.clock_shift() $f$;
CREATE OR REPLACE FUNCTION dagbox."current_date"() RETURNS date LANGUAGE sql STABLE PARALLEL SAFE AS
$f$ SELECT (pg_catalog.transaction_timestamp() + dagbox.clock_shift())::date $f$;

-- Redshift's date parts, with their abbreviations (m is minute, as on Redshift).
CREATE OR REPLACE FUNCTION dagbox.datepart_name(part text) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $f$
SELECT CASE lower(trim(part))
  WHEN 'millennium' THEN 'millennium' WHEN 'millennia' THEN 'millennium' WHEN 'mil' THEN 'millennium' WHEN 'mils' THEN 'millennium'
  WHEN 'century' THEN 'century' WHEN 'centuries' THEN 'century' WHEN 'c' THEN 'century' WHEN 'cent' THEN 'century' WHEN 'cents' THEN 'century'
  WHEN 'decade' THEN 'decade' WHEN 'decades' THEN 'decade' WHEN 'dec' THEN 'decade' WHEN 'decs' THEN 'decade'
  WHEN 'year' THEN 'year' WHEN 'years' THEN 'year' WHEN 'y' THEN 'year' WHEN 'yr' THEN 'year' WHEN 'yrs' THEN 'year'
  WHEN 'quarter' THEN 'quarter' WHEN 'quarters' THEN 'quarter' WHEN 'qtr' THEN 'quarter' WHEN 'qtrs' THEN 'quarter'
  WHEN 'month' THEN 'month' WHEN 'months' THEN 'month' WHEN 'mon' THEN 'month' WHEN 'mons' THEN 'month'
  WHEN 'week' THEN 'week' WHEN 'weeks' THEN 'week' WHEN 'w' THEN 'week'
  WHEN 'day' THEN 'day' WHEN 'days' THEN 'day' WHEN 'd' THEN 'day'
  WHEN 'dayofweek' THEN 'dow' WHEN 'dow' THEN 'dow' WHEN 'dw' THEN 'dow' WHEN 'weekday' THEN 'dow'
  WHEN 'dayofyear' THEN 'doy' WHEN 'doy' THEN 'doy' WHEN 'dy' THEN 'doy' WHEN 'yearday' THEN 'doy'
  WHEN 'hour' THEN 'hour' WHEN 'hours' THEN 'hour' WHEN 'h' THEN 'hour' WHEN 'hr' THEN 'hour' WHEN 'hrs' THEN 'hour'
  WHEN 'minute' THEN 'minute' WHEN 'minutes' THEN 'minute' WHEN 'm' THEN 'minute' WHEN 'min' THEN 'minute' WHEN 'mins' THEN 'minute'
  WHEN 'second' THEN 'second' WHEN 'seconds' THEN 'second' WHEN 's' THEN 'second' WHEN 'sec' THEN 'second' WHEN 'secs' THEN 'second'
  WHEN 'millisecond' THEN 'milliseconds' WHEN 'milliseconds' THEN 'milliseconds' WHEN 'ms' THEN 'milliseconds' WHEN 'msec' THEN 'milliseconds'
  WHEN 'msecs' THEN 'milliseconds' WHEN 'msecond' THEN 'milliseconds' WHEN 'mseconds' THEN 'milliseconds' WHEN 'millisec' THEN 'milliseconds'
  WHEN 'millisecs' THEN 'milliseconds' WHEN 'millisecon' THEN 'milliseconds'
  WHEN 'microsecond' THEN 'microseconds' WHEN 'microseconds' THEN 'microseconds' WHEN 'microsec' THEN 'microseconds' WHEN 'microsecs' THEN 'microseconds'
  WHEN 'microsecond' THEN 'microseconds' WHEN 'usecond' THEN 'microseconds' WHEN 'useconds' THEN 'microseconds' WHEN 'us' THEN 'microseconds'
  WHEN 'usec' THEN 'microseconds' WHEN 'usecs' THEN 'microseconds'
  WHEN 'epoch' THEN 'epoch' WHEN 'timezone' THEN 'timezone' WHEN 'timezone_hour' THEN 'timezone_hour' WHEN 'timezone_minute' THEN 'timezone_minute'
END $f$;

CREATE OR REPLACE FUNCTION dagbox.datepart_checked(part text, fn text) RETURNS text LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $f$
DECLARE name text := dagbox.datepart_name(part);
BEGIN
  IF name IS NULL THEN
    RAISE EXCEPTION '%: "%" is not a Redshift date part', fn, part USING HINT = 'Use year, quarter, month, week, day, hour, minute, second, millisecond or microsecond (or an abbreviation: y, qtr, mon, w, d, h, m, s, ms, us).';
  END IF;
  RETURN name;
END $f$;

CREATE OR REPLACE FUNCTION dagbox.dateadd(part text, n bigint, ts timestamp) RETURNS timestamp LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $f$
SELECT CASE dagbox.datepart_checked(part, 'DATEADD')
  WHEN 'millennium' THEN ts + make_interval(years => (n * 1000)::int)
  WHEN 'century' THEN ts + make_interval(years => (n * 100)::int)
  WHEN 'decade' THEN ts + make_interval(years => (n * 10)::int)
  WHEN 'year' THEN ts + make_interval(years => n::int)
  WHEN 'quarter' THEN ts + make_interval(months => (n * 3)::int)
  WHEN 'month' THEN ts + make_interval(months => n::int)
  WHEN 'week' THEN ts + make_interval(weeks => n::int)
  WHEN 'day' THEN ts + make_interval(days => n::int)
  WHEN 'dow' THEN ts + make_interval(days => n::int)
  WHEN 'doy' THEN ts + make_interval(days => n::int)
  WHEN 'hour' THEN ts + n * interval '1 hour'
  WHEN 'minute' THEN ts + n * interval '1 minute'
  WHEN 'second' THEN ts + n * interval '1 second'
  WHEN 'milliseconds' THEN ts + n * interval '1 millisecond'
  WHEN 'microseconds' THEN ts + n * interval '1 microsecond'
END $f$;
CREATE OR REPLACE FUNCTION dagbox.dateadd(part text, n bigint, ts timestamptz) RETURNS timestamptz LANGUAGE sql STABLE PARALLEL SAFE AS
$f$ SELECT dagbox.dateadd(part, n, ts::timestamp)::timestamptz $f$;
CREATE OR REPLACE FUNCTION dagbox.dateadd(part text, n bigint, d date) RETURNS timestamp LANGUAGE sql IMMUTABLE PARALLEL SAFE AS
$f$ SELECT dagbox.dateadd(part, n, d::timestamp) $f$;
CREATE OR REPLACE FUNCTION dagbox.dateadd(part text, n bigint, t time) RETURNS time LANGUAGE sql IMMUTABLE PARALLEL SAFE AS
$f$ SELECT dagbox.dateadd(part, n, '2000-01-01'::date + t)::time $f$;

-- DATEDIFF counts the boundaries of the part crossed between the two values, as Redshift does.
CREATE OR REPLACE FUNCTION dagbox.datediff(part text, a timestamp, b timestamp) RETURNS bigint LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $f$
SELECT CASE dagbox.datepart_checked(part, 'DATEDIFF')
  WHEN 'millennium' THEN (floor((extract(year FROM b) - 1) / 1000) - floor((extract(year FROM a) - 1) / 1000))::bigint
  WHEN 'century' THEN (floor((extract(year FROM b) - 1) / 100) - floor((extract(year FROM a) - 1) / 100))::bigint
  WHEN 'decade' THEN (floor(extract(year FROM b) / 10) - floor(extract(year FROM a) / 10))::bigint
  WHEN 'year' THEN (extract(year FROM b) - extract(year FROM a))::bigint
  WHEN 'quarter' THEN ((extract(year FROM b) * 4 + extract(quarter FROM b)) - (extract(year FROM a) * 4 + extract(quarter FROM a)))::bigint
  WHEN 'month' THEN ((extract(year FROM b) * 12 + extract(month FROM b)) - (extract(year FROM a) * 12 + extract(month FROM a)))::bigint
  WHEN 'week' THEN ((date_trunc('week', b)::date - date_trunc('week', a)::date) / 7)::bigint
  WHEN 'day' THEN (b::date - a::date)::bigint
  WHEN 'dow' THEN (b::date - a::date)::bigint
  WHEN 'doy' THEN (b::date - a::date)::bigint
  WHEN 'hour' THEN (extract(epoch FROM date_trunc('hour', b) - date_trunc('hour', a)) / 3600)::bigint
  WHEN 'minute' THEN (extract(epoch FROM date_trunc('minute', b) - date_trunc('minute', a)) / 60)::bigint
  WHEN 'second' THEN extract(epoch FROM date_trunc('second', b) - date_trunc('second', a))::bigint
  WHEN 'milliseconds' THEN (extract(epoch FROM date_trunc('milliseconds', b) - date_trunc('milliseconds', a)) * 1000)::bigint
  WHEN 'microseconds' THEN (extract(epoch FROM b - a) * 1000000)::bigint
END $f$;
CREATE OR REPLACE FUNCTION dagbox.datediff(part text, a timestamptz, b timestamptz) RETURNS bigint LANGUAGE sql STABLE PARALLEL SAFE AS
$f$ SELECT dagbox.datediff(part, a::timestamp, b::timestamp) $f$;
CREATE OR REPLACE FUNCTION dagbox.datediff(part text, a date, b date) RETURNS bigint LANGUAGE sql IMMUTABLE PARALLEL SAFE AS
$f$ SELECT dagbox.datediff(part, a::timestamp, b::timestamp) $f$;
CREATE OR REPLACE FUNCTION dagbox.datediff(part text, a time, b time) RETURNS bigint LANGUAGE sql IMMUTABLE PARALLEL SAFE AS
$f$ SELECT dagbox.datediff(part, '2000-01-01'::date + a, '2000-01-01'::date + b) $f$;

CREATE OR REPLACE FUNCTION dagbox.trunc(ts timestamp) RETURNS date LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $f$ SELECT ts::date $f$;
CREATE OR REPLACE FUNCTION dagbox.trunc(ts timestamptz) RETURNS date LANGUAGE sql STABLE PARALLEL SAFE AS $f$ SELECT ts::date $f$;
CREATE OR REPLACE FUNCTION dagbox.add_months(d timestamp, n bigint) RETURNS timestamp LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $f$
SELECT CASE WHEN d::date = (date_trunc('month', d) + interval '1 month - 1 day')::date
  THEN (date_trunc('month', d + make_interval(months => n::int)) + interval '1 month - 1 day')::date + d::time
  ELSE d + make_interval(months => n::int) END $f$;
CREATE OR REPLACE FUNCTION dagbox.last_day(d timestamp) RETURNS date LANGUAGE sql IMMUTABLE PARALLEL SAFE AS
$f$ SELECT (date_trunc('month', d) + interval '1 month - 1 day')::date $f$;
CREATE OR REPLACE FUNCTION dagbox.months_between(a timestamp, b timestamp) RETURNS double precision LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $f$
SELECT CASE WHEN extract(day FROM a) = extract(day FROM b) OR (a::date = dagbox.last_day(a) AND b::date = dagbox.last_day(b))
  THEN ((extract(year FROM a) * 12 + extract(month FROM a)) - (extract(year FROM b) * 12 + extract(month FROM b)))::double precision
  ELSE ((extract(year FROM a) * 12 + extract(month FROM a)) - (extract(year FROM b) * 12 + extract(month FROM b))
        + (extract(day FROM a) - extract(day FROM b)) / 31.0)::double precision END $f$;
CREATE OR REPLACE FUNCTION dagbox.next_day(d timestamp, day text) RETURNS date LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $f$
SELECT d::date + 1 + ((array_position(ARRAY['su','mo','tu','we','th','fr','sa'], lower(left(trim(day), 2))) - 1 - extract(dow FROM d + interval '1 day')::int + 7) % 7) $f$;
CREATE OR REPLACE FUNCTION dagbox.date_cmp(a date, b date) RETURNS integer LANGUAGE sql IMMUTABLE PARALLEL SAFE AS
$f$ SELECT CASE WHEN a < b THEN -1 WHEN a > b THEN 1 ELSE 0 END $f$;
CREATE OR REPLACE FUNCTION dagbox.timestamp_cmp(a timestamp, b timestamp) RETURNS integer LANGUAGE sql IMMUTABLE PARALLEL SAFE AS
$f$ SELECT CASE WHEN a < b THEN -1 WHEN a > b THEN 1 ELSE 0 END $f$;
CREATE OR REPLACE FUNCTION dagbox.convert_timezone(source text, target text, ts timestamp) RETURNS timestamp LANGUAGE sql STABLE PARALLEL SAFE AS
$f$ SELECT (ts AT TIME ZONE source) AT TIME ZONE target $f$;
CREATE OR REPLACE FUNCTION dagbox.convert_timezone(target text, ts timestamp) RETURNS timestamp LANGUAGE sql STABLE PARALLEL SAFE AS
$f$ SELECT (ts AT TIME ZONE 'UTC') AT TIME ZONE target $f$;
CREATE OR REPLACE FUNCTION dagbox.convert_timezone(target text, ts timestamptz) RETURNS timestamp LANGUAGE sql STABLE PARALLEL SAFE AS
$f$ SELECT ts AT TIME ZONE target $f$;

-- Redshift casts to VARCHAR implicitly where a string function takes a date or a number.
CREATE OR REPLACE FUNCTION dagbox.left(v timestamp, n integer) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $f$ SELECT pg_catalog.left(v::text, n) $f$;
CREATE OR REPLACE FUNCTION dagbox.left(v timestamptz, n integer) RETURNS text LANGUAGE sql STABLE PARALLEL SAFE AS $f$ SELECT pg_catalog.left(v::text, n) $f$;
CREATE OR REPLACE FUNCTION dagbox.left(v date, n integer) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $f$ SELECT pg_catalog.left(v::text, n) $f$;
CREATE OR REPLACE FUNCTION dagbox.left(v bigint, n integer) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $f$ SELECT pg_catalog.left(v::text, n) $f$;
CREATE OR REPLACE FUNCTION dagbox.left(v numeric, n integer) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $f$ SELECT pg_catalog.left(v::text, n) $f$;
CREATE OR REPLACE FUNCTION dagbox.right(v timestamp, n integer) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $f$ SELECT pg_catalog.right(v::text, n) $f$;
CREATE OR REPLACE FUNCTION dagbox.right(v date, n integer) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $f$ SELECT pg_catalog.right(v::text, n) $f$;
CREATE OR REPLACE FUNCTION dagbox.right(v bigint, n integer) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $f$ SELECT pg_catalog.right(v::text, n) $f$;
CREATE OR REPLACE FUNCTION dagbox.substring(v timestamp, a integer, n integer) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $f$ SELECT pg_catalog.substr(v::text, a, n) $f$;
CREATE OR REPLACE FUNCTION dagbox.substring(v date, a integer, n integer) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $f$ SELECT pg_catalog.substr(v::text, a, n) $f$;
CREATE OR REPLACE FUNCTION dagbox.substring(v bigint, a integer, n integer) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $f$ SELECT pg_catalog.substr(v::text, a, n) $f$;
CREATE OR REPLACE FUNCTION dagbox.round(v double precision, n integer) RETURNS double precision LANGUAGE sql IMMUTABLE PARALLEL SAFE AS
$f$ SELECT pg_catalog.round(v::numeric, n)::double precision $f$;
CREATE OR REPLACE FUNCTION dagbox.round(v real, n integer) RETURNS real LANGUAGE sql IMMUTABLE PARALLEL SAFE AS
$f$ SELECT pg_catalog.round(v::numeric, n)::real $f$;
CREATE OR REPLACE FUNCTION dagbox.len(v text) RETURNS integer LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $f$ SELECT pg_catalog.length(v) $f$;
CREATE OR REPLACE FUNCTION dagbox.len(v character) RETURNS integer LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $f$ SELECT pg_catalog.length(v) $f$;
CREATE OR REPLACE FUNCTION dagbox.textlen(v text) RETURNS integer LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $f$ SELECT pg_catalog.length(v) $f$;
CREATE OR REPLACE FUNCTION dagbox.charindex(needle text, haystack text) RETURNS integer LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $f$ SELECT pg_catalog.strpos(haystack, needle) $f$;
CREATE OR REPLACE FUNCTION dagbox.strtol(v text, base integer) RETURNS bigint LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $f$
DECLARE result bigint := 0; digit int; ch text; body text := lower(trim(v)); negative boolean := false;
BEGIN
  IF body IS NULL THEN RETURN NULL; END IF;
  IF left(body, 1) = '-' THEN negative := true; body := substr(body, 2); END IF;
  IF base = 16 AND left(body, 2) = '0x' THEN body := substr(body, 3); END IF;
  FOREACH ch IN ARRAY regexp_split_to_array(body, '') LOOP
    digit := strpos('0123456789abcdefghijklmnopqrstuvwxyz', ch) - 1;
    IF digit < 0 OR digit >= base THEN EXIT; END IF;
    result := result * base + digit;
  END LOOP;
  RETURN CASE WHEN negative THEN -result ELSE result END;
END $f$;
CREATE OR REPLACE FUNCTION dagbox.replicate(v text, n integer) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $f$ SELECT pg_catalog.repeat(v, n) $f$;
CREATE OR REPLACE FUNCTION dagbox.regexp_replace(v text, pattern text) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS
$f$ SELECT pg_catalog.regexp_replace(v, pattern, '', 'g') $f$;
CREATE OR REPLACE FUNCTION dagbox.regexp_replace(v text, pattern text, replacement text) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS
$f$ SELECT pg_catalog.regexp_replace(v, pattern, replacement, 'g') $f$;
CREATE OR REPLACE FUNCTION dagbox.dexp(v double precision) RETURNS double precision LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $f$ SELECT pg_catalog.exp(v) $f$;
CREATE OR REPLACE FUNCTION dagbox.dlog1(v double precision) RETURNS double precision LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $f$ SELECT pg_catalog.ln(v) $f$;
CREATE OR REPLACE FUNCTION dagbox.dlog10(v double precision) RETURNS double precision LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $f$ SELECT pg_catalog.log(v) $f$;

-- JSON on VARCHAR, and SUPER as jsonb.
CREATE OR REPLACE FUNCTION dagbox.json_extract_path_text(doc text, VARIADIC path text[]) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS
$f$ SELECT pg_catalog.json_extract_path_text(doc::json, VARIADIC path) $f$;
CREATE OR REPLACE FUNCTION dagbox.json_extract_array_element_text(doc text, i integer) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS
$f$ SELECT doc::json ->> i $f$;
CREATE OR REPLACE FUNCTION dagbox.json_array_length(doc text) RETURNS integer LANGUAGE sql IMMUTABLE PARALLEL SAFE AS
$f$ SELECT pg_catalog.json_array_length(doc::json) $f$;
CREATE OR REPLACE FUNCTION dagbox.is_valid_json(doc text) RETURNS boolean LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $f$
BEGIN PERFORM doc::json; RETURN doc IS NULL OR left(ltrim(doc), 1) = '{'; EXCEPTION WHEN others THEN RETURN false; END $f$;
CREATE OR REPLACE FUNCTION dagbox.is_valid_json_array(doc text) RETURNS boolean LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $f$
BEGIN PERFORM doc::json; RETURN doc IS NULL OR left(ltrim(doc), 1) = '['; EXCEPTION WHEN others THEN RETURN false; END $f$;
CREATE OR REPLACE FUNCTION dagbox.json_parse(doc text) RETURNS jsonb LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $f$ SELECT doc::jsonb $f$;
CREATE OR REPLACE FUNCTION dagbox.json_serialize(doc jsonb) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $f$ SELECT doc::text $f$;

-- AVG of integers is a BIGINT, truncated, on Redshift.
CREATE OR REPLACE FUNCTION dagbox.int_avg_final(state bigint[]) RETURNS bigint LANGUAGE sql IMMUTABLE PARALLEL SAFE AS
$f$ SELECT CASE WHEN state[1] = 0 THEN NULL ELSE state[2] / state[1] END $f$;
CREATE OR REPLACE FUNCTION dagbox.int8_avg_step(state numeric[], v bigint) RETURNS numeric[] LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS
$f$ SELECT ARRAY[state[1] + 1, state[2] + v] $f$;
CREATE OR REPLACE FUNCTION dagbox.int8_avg_final(state numeric[]) RETURNS bigint LANGUAGE sql IMMUTABLE PARALLEL SAFE AS
$f$ SELECT CASE WHEN state[1] = 0 THEN NULL ELSE trunc(state[2] / state[1])::bigint END $f$;
DROP AGGREGATE IF EXISTS dagbox.avg(smallint);
DROP AGGREGATE IF EXISTS dagbox.avg(integer);
DROP AGGREGATE IF EXISTS dagbox.avg(bigint);
CREATE AGGREGATE dagbox.avg(smallint) (SFUNC = int2_avg_accum, STYPE = bigint[], FINALFUNC = dagbox.int_avg_final, INITCOND = '{0,0}', COMBINEFUNC = int4_avg_combine, PARALLEL = SAFE);
CREATE AGGREGATE dagbox.avg(integer) (SFUNC = int4_avg_accum, STYPE = bigint[], FINALFUNC = dagbox.int_avg_final, INITCOND = '{0,0}', COMBINEFUNC = int4_avg_combine, PARALLEL = SAFE);
CREATE AGGREGATE dagbox.avg(bigint) (SFUNC = dagbox.int8_avg_step, STYPE = numeric[], FINALFUNC = dagbox.int8_avg_final, INITCOND = '{0,0}');
-- AVG of a DECIMAL keeps the argument's scale on Redshift (AVG of DEC(5,2) is DEC(38,2)). Values of
-- scale 0 (x::numeric) keep Postgres's fraction: how Redshift rounds DEC(38,0) is not emulated.
CREATE OR REPLACE FUNCTION dagbox.numeric_avg_step(state numeric[], v numeric) RETURNS numeric[] LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS
$f$ SELECT ARRAY[state[1] + 1, state[2] + v, greatest(state[3], scale(v))] $f$;
CREATE OR REPLACE FUNCTION dagbox.numeric_avg_final(state numeric[]) RETURNS numeric LANGUAGE sql IMMUTABLE PARALLEL SAFE AS
$f$ SELECT CASE WHEN state[1] = 0 THEN NULL WHEN state[3] = 0 THEN state[2] / state[1] ELSE round(state[2] / state[1], state[3]::int) END $f$;
DROP AGGREGATE IF EXISTS dagbox.avg(numeric);
CREATE AGGREGATE dagbox.avg(numeric) (SFUNC = dagbox.numeric_avg_step, STYPE = numeric[], FINALFUNC = dagbox.numeric_avg_final, INITCOND = '{0,0,0}');
CREATE OR REPLACE FUNCTION dagbox.median_final(state double precision[]) RETURNS double precision LANGUAGE sql IMMUTABLE PARALLEL SAFE AS
$f$ SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY v) FROM unnest(state) AS v $f$;
DROP AGGREGATE IF EXISTS dagbox.median(double precision);
CREATE AGGREGATE dagbox.median(double precision) (SFUNC = array_append, STYPE = double precision[], FINALFUNC = dagbox.median_final, INITCOND = '{}');

-- Keys as Redshift keeps them: declared, not enforced.
CREATE OR REPLACE FUNCTION dagbox.informational_keys() RETURNS event_trigger LANGUAGE plpgsql AS $f$
DECLARE cmd record;
BEGIN
  FOR cmd IN SELECT objid FROM pg_event_trigger_ddl_commands() WHERE classid = 'pg_catalog.pg_class'::regclass AND object_type = 'table' LOOP
    -- The key's index stays (foreign keys may reference it) but is never filled or read.
    UPDATE pg_catalog.pg_index i SET indisready = false, indisvalid = false
      FROM pg_catalog.pg_constraint c
     WHERE c.conrelid = cmd.objid AND c.contype IN ('p', 'u') AND c.conindid = i.indexrelid AND i.indisready;
  END LOOP;
END $f$;
`;

const EVENT_TRIGGER_SQL = `
DROP EVENT TRIGGER IF EXISTS dagbox_informational_keys;
CREATE EVENT TRIGGER dagbox_informational_keys ON ddl_command_end
  WHEN TAG IN ('CREATE TABLE', 'ALTER TABLE', 'CREATE TABLE AS', 'SELECT INTO')
  EXECUTE FUNCTION dagbox.informational_keys();`;

/**
 * One statement that installs (or upgrades) the dagbox schema in the connected database unless
 * this version is there, under an advisory lock so that connections opening at once install it
 * once. The event trigger is skipped, not failed, without superuser rights.
 */
export const INSTALL_DIALECT_SQL = `DO $install$
BEGIN
  IF coalesce(obj_description(to_regnamespace('dagbox'), 'pg_namespace'), '') LIKE '%(version ${DIALECT_VERSION})' THEN RETURN; END IF;
  PERFORM pg_advisory_xact_lock(7368412901);
  IF coalesce(obj_description(to_regnamespace('dagbox'), 'pg_namespace'), '') LIKE '%(version ${DIALECT_VERSION})' THEN RETURN; END IF;
  EXECUTE ${dollar(DIALECT_SQL)};
  BEGIN
    EXECUTE ${dollar(EVENT_TRIGGER_SQL)};
  EXCEPTION WHEN insufficient_privilege THEN
    RAISE NOTICE 'dagbox: keys stay enforced (creating an event trigger needs a superuser)';
  END;
END $install$`;

/** The statement a warehouse connection runs first: Redshift's search_path with dagbox's functions, UTC. */
export const SESSION_SETUP_SQL = `SET search_path TO ${WAREHOUSE_SEARCH_PATH}; SET TimeZone TO 'UTC'`;

/**
 * Make a connection speak Redshift: install the dagbox schema when the database lacks it, and set
 * the session's search_path. Every warehouse connection runs this once, before anything else.
 */
export async function prepareWarehouseSession(client: ClientBase): Promise<void> {
  // One round trip: every task try opens a connection of its own.
  await client.query(`${INSTALL_DIALECT_SQL};\n${SESSION_SETUP_SQL}`);
}

function dollar(text: string): string {
  return `$body$${text}$body$`;
}
