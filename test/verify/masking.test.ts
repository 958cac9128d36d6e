import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { dagbox } from '../helpers/cli.ts';
import { tempProject } from '../helpers/project.ts';
import { servicesFlag } from './helpers.ts';

// Regression (issue 15): verification diffs printed table values in clear, so a secret Variable,
// a connection password or the session's generated Postgres password that a task wrote into a
// table showed in the terminal, .dagbox/reports/test.md, test.json and JUnit XML.

const SECRET_VAR = 'Tok3n-Var-S3cret';
const CONN_PASSWORD = 'Pa55-Conn-S3cret';

const project = tempProject({
  'dagbox.config.ts': `import { defineConfig } from 'DAGBOX';
export default defineConfig({
  variables: { partner_api_token: '${SECRET_VAR}' },
  connections: { partner_api: 'http://etl:${CONN_PASSWORD}@127.0.0.1:8080/v1' },
});
`,
  'fixtures/postgres/01-leak.sql': 'CREATE TABLE public.leak (ds text, token text, conn_pw text, session_pw text);\n',
  // Appends on every run: not idempotent, so the idempotency check prints the rows it added.
  'dags/leaky.ts': `import { Dag } from 'DAGBOX';
const dag = new Dag({ id: 'leaky', schedule: '@daily', startDate: '2021-02-01' });
dag.task('append', async (ctx) => {
  await ctx.postgres().query('INSERT INTO public.leak VALUES ($1, $2, $3, $4)', [
    ctx.ds,
    ctx.variables.get('partner_api_token'),
    ctx.connections.get('partner_api').password,
    ctx.connections.get('postgres').password,
  ]);
});
export default dag;
`,
});
afterAll(() => project.remove());

describe('verification diffs', () => {
  it('mask secret Variables, connection passwords and the session password in the terminal, test.md, test.json and JUnit', async () => {
    const r = await dagbox(['test', 'leaky', '--window', '2021-02-05..2021-02-06', '--no-faults', '--reporter', 'junit', '--output', 'out/junit.xml', '--services', servicesFlag], { cwd: project.dir });
    expect(r.code, r.stderr).toBe(1);
    const outputs = {
      terminal: r.stdout + r.stderr,
      'test.md': readFileSync(join(project.dir, '.dagbox/reports/test.md'), 'utf8'),
      'test.json': readFileSync(join(project.dir, '.dagbox/reports/test.json'), 'utf8'),
      junit: readFileSync(join(project.dir, 'out/junit.xml'), 'utf8'),
    };
    // The session password is generated per session; the diff's session_pw column must show *** only.
    const sessionPw = /postgres:\/\/dagbox:([^@]+)@/.exec(r.stderr)?.[1];
    expect(sessionPw).toBe('***');
    for (const [where, text] of Object.entries(outputs)) {
      expect(text, where).toContain('public.leak');
      expect(text, where).not.toContain(SECRET_VAR);
      expect(text, where).not.toContain(CONN_PASSWORD);
    }
    expect(outputs.terminal).toMatch(/only after +after +2021-02-05 +\*\*\* +\*\*\* +\*\*\*/);
    const json = JSON.parse(outputs['test.json']) as unknown;
    const values = JSON.stringify(json).match(/"session_pw":"[^"]*"/g) ?? [];
    expect(values.length).toBeGreaterThan(0);
    expect(new Set(values)).toEqual(new Set(['"session_pw":"***"']));
  });
});
