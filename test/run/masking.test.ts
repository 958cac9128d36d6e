import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { isSensitiveName, Masker, RunStore, runDagRun } from '../../src/run/index.ts';
import { sensitiveValues, createVariables } from '../../src/config/variables.ts';
import { dag, day, testEnv } from './helpers.ts';

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

describe('isSensitiveName', () => {
  it('recognises the sensitive fragments in any case and spelling', () => {
    for (const name of ['password', 'DB_PASSWORD', 'client_secret', 'slackToken', 'api_key', 'apiKey', 'API-KEY', 'APIKEY', 'privateKey', 'passphrase', 'passwd', 'Authorization', 'access_token']) {
      expect(isSensitiveName(name), name).toBe(true);
    }
    for (const name of ['host', 'bucket', 'login', 'keyspace', 'region']) expect(isSensitiveName(name), name).toBe(false);
  });
});

describe('Masker', () => {
  it('masks the longest secret first, URL-encoded forms too, and ignores secrets under 3 characters', () => {
    const m = new Masker();
    m.add('abc');
    m.add('abcdef');
    m.add('p@ss word');
    m.add('x');
    m.add(null);
    expect(m.mask('abcdef abc p@ss word p%40ss%20word x')).toBe('*** *** *** *** x');
  });
  it('handles regex metacharacters in secrets', () => {
    const m = new Masker();
    m.add('a.b*c(');
    expect(m.mask('aXb a.b*c(')).toBe('aXb ***');
  });
});

describe('sensitiveValues', () => {
  it('takes whole sensitive variables and sensitive keys nested in JSON values', () => {
    const vars = createVariables({ slack_token: 'xoxb-1', region: 'kr', service: { name: 'n', api_key: 'k-123', nested: [{ password: 'pw1' }] } }, {});
    expect(sensitiveValues(vars).sort()).toEqual(['k-123', 'pw1', 'xoxb-1']);
  });
});

describe('masking in a run', () => {
  it('replaces a connection password and a sensitive variable by *** in result log, events, errors and the store file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'dagbox-mask-'));
    dirs.push(dir);
    const store = await RunStore.open(dir);
    const env = testEnv({
      connections: { warehouse: 'postgres://etl:Hunter2pw@127.0.0.1:5439/dev' },
      variables: { region: 'ap-northeast-2' },
      env: { DAGBOX_VAR_SLACK_TOKEN: 'xoxb-secret-token', DAGBOX_CONN_SOURCE: 'mysql://root:Sup3rS3cret@127.0.0.1/prod' },
      store,
    });
    const d = dag('masked');
    d.task('leaky', (ctx) => {
      const c = ctx.connections.get('warehouse');
      ctx.log.info(`connecting with ${c.password} to ${c.host}`);
      ctx.log.warn(`token ${String(ctx.variables.get('slack_token'))} in ${String(ctx.variables.get('region'))}`);
      throw new Error(`auth failed for ${ctx.connections.get('source').password}`);
    });
    const run = await runDagRun(d, day('2021-02-05'), env);
    const everything = [
      run.tasks[0]!.log.join('\n'),
      run.tasks[0]!.error ?? '',
      run.error ?? '',
      JSON.stringify(env.events),
      await readFile(join(dir, 'runs', 'masked', 'manual__2021-02-05T00_00_00+00_00.json'), 'utf8'),
    ].join('\n');
    for (const secret of ['Hunter2pw', 'xoxb-secret-token', 'Sup3rS3cret']) expect(everything).not.toContain(secret);
    expect(run.tasks[0]!.log[0]).toMatch(/INFO - connecting with \*\*\* to 127\.0\.0\.1$/);
    expect(run.tasks[0]!.log[1]).toMatch(/WARNING - token \*\*\* in ap-northeast-2$/);
    expect(run.tasks[0]!.error).toBe('auth failed for ***');
    const logEvent = env.events.find((e) => e.type === 'log');
    expect(logEvent).toMatchObject({ level: 'info', line: 'connecting with *** to 127.0.0.1' });
  });
});
