import { describe, expect, it } from 'vitest';
import { createConnections } from '../../src/config/connections.ts';
import { createVariables, parseEnvValue } from '../../src/config/variables.ts';
import { maskerFor } from '../../src/run/index.ts';

describe('createVariables', () => {
  it('reads config values as given and lets DAGBOX_VAR_<KEY> override them, parsed as JSON', () => {
    const vars = createVariables(
      { region: 'kr', limits: { rows: 1 }, version: '1.10' },
      { DAGBOX_VAR_LIMITS: '{"rows": 10, "tables": ["a"]}', DAGBOX_VAR_NEW_ONE: '42', DAGBOX_VAR_FLAG: 'true', OTHER: 'x' },
    );
    expect(vars.get('region')).toBe('kr');
    expect(vars.get('limits')).toEqual({ rows: 10, tables: ['a'] });
    expect(vars.get('version')).toBe('1.10');
    expect(vars.get('new_one')).toBe(42);
    expect(vars.get('NEW_ONE')).toBe(42);
    expect(vars.get('flag')).toBe(true);
    expect(vars.has('other')).toBe(false);
    expect(vars.keys()).toEqual(['flag', 'limits', 'new_one', 'region', 'version']);
  });

  it("reads Airflow's AIRFLOW_VAR_<KEY> too, and DAGBOX_VAR_<KEY> wins when both are set", () => {
    const vars = createVariables(
      { region: 'kr' },
      { AIRFLOW_VAR_REGION: 'us', AIRFLOW_VAR_SLACK_WEBHOOK: 'http://127.0.0.1:9/hook', AIRFLOW_VAR_LIMIT: '5', DAGBOX_VAR_LIMIT: '7' },
    );
    expect(vars.get('region')).toBe('us');
    expect(vars.get('slack_webhook')).toBe('http://127.0.0.1:9/hook');
    expect(vars.get('limit')).toBe(7);
    expect(vars.keys()).toEqual(['limit', 'region', 'slack_webhook']);
  });

  it('keeps environment text that JSON would change', () => {
    expect(parseEnvValue('1.10')).toBe('1.10');
    expect(parseEnvValue('007')).toBe('007');
    expect(parseEnvValue('2021-02-05')).toBe('2021-02-05');
    expect(parseEnvValue('"quoted"')).toBe('quoted');
    expect(parseEnvValue('{not json')).toBe('{not json');
    expect(parseEnvValue('-3.5')).toBe(-3.5);
  });

  it('returns the fallback for a missing key, else throws a sentence saying how to set it', () => {
    const vars = createVariables({}, {});
    expect(vars.get('missing', 'default')).toBe('default');
    expect(() => vars.get('slack_webhook')).toThrow(
      'variable "slack_webhook" is not set: add it to dagbox.config.ts variables or set DAGBOX_VAR_SLACK_WEBHOOK',
    );
  });
});

describe('createConnections', () => {
  it('reads config URIs and objects, AIRFLOW_CONN_ and DAGBOX_CONN_ (which wins), ids lower-case', () => {
    const conns = createConnections(
      { warehouse: 'postgres://etl:pw1@127.0.0.1:5439/dev', s3: { connId: 'ignored', connType: 'aws', host: null, port: null, login: 'key', password: 'sec', schema: null, extra: {} } },
      {
        AIRFLOW_CONN_SOURCE: 'mysql://root:airflow@127.0.0.1:3306/prod',
        AIRFLOW_CONN_WAREHOUSE: 'postgres://etl:pw2@10.0.0.1:5439/dev',
        DAGBOX_CONN_WAREHOUSE: 'postgres://etl:pw3@127.0.0.1:5440/dev',
        DAGBOX_CONN_API: '{"conn_type": "http", "host": "api.local", "extra": {"api_key": "k-1"}}',
      },
    );
    expect(conns.get('source')).toMatchObject({ connId: 'source', connType: 'mysql', password: 'airflow', schema: 'prod' });
    expect(conns.get('warehouse')).toMatchObject({ password: 'pw3', port: 5440 });
    expect(conns.get('WAREHOUSE').password).toBe('pw3');
    expect(conns.get('s3')).toMatchObject({ connId: 's3', login: 'key' });
    expect(conns.list().map((c) => c.connId)).toEqual(['api', 's3', 'source', 'warehouse']);
    const masker = maskerFor(createVariables({}, {}), conns);
    expect(masker.mask('pw3 airflow sec k-1 pw1')).toBe('*** *** *** *** pw1');
  });

  it('names DAGBOX_CONN_<ID> when a connection is missing', () => {
    const conns = createConnections({ source: 'mysql://a:b@h/db' }, {});
    expect(() => conns.get('warehouse')).toThrow(
      'connection "warehouse" is not defined (known connections: source): add it to dagbox.config.ts connections or set DAGBOX_CONN_WAREHOUSE=type://login:password@host:port/schema',
    );
  });

  it('says which environment variable holds a broken URI', () => {
    expect(() => createConnections({}, { DAGBOX_CONN_BAD: 'not a uri' })).toThrow(/environment variable DAGBOX_CONN_BAD does not hold a valid connection/);
  });

  it('lets services add connections', () => {
    const conns = createConnections({}, {});
    conns.add({ connId: 'mysql_local', connType: 'mysql', host: '127.0.0.1', port: 3307, login: 'root', password: 'gen', schema: null, extra: {} });
    expect(conns.has('mysql_local')).toBe(true);
  });
});
