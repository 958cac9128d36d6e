import { afterAll, describe, expect, it } from 'vitest';
import { dagbox } from '../helpers/cli.ts';
import { dagboxImport, tempProject } from '../helpers/project.ts';

// Issue 15: `tasks render` printed a secret Variable in clear text, in text and --json output.
const project = tempProject({
  'package.json': '{ "type": "module" }',
  'dags/render_me.ts': `import { Dag, sql } from '${dagboxImport}';
const dag = new Dag({ id: 'render_me', schedule: '@daily', startDate: '2021-02-01', params: { region: 'seoul' } });
dag.task('load', sql({
  connId: 'redshift',
  sql: "INSERT INTO stage_{{ params.region }}_{{ ds_nodash }} VALUES ('{{ var.value.api_token }}', '{{ conn.source_db.password }}', '{{ conn.source_db.host }}')",
}));
dag.task('bad', sql({ connId: 'redshift', sql: 'SELECT * FROM t_{{ var.value.api_token }}' }));
dag.task('bad_attr', sql({ connId: 'redshift', sql: "SELECT '{{ var.value.api_token.upper_case }}'" }));
dag.task('from_file', sql({ connId: 'mysql', sql: [new URL('sql/part.sql', import.meta.url), "SELECT '{{ params.region }}'"] }));
export default dag;
`,
  'dags/sql/part.sql': "{# one partition per day #}\nCREATE TABLE prod.part_{{ ds_nodash }} (id INT);\n",
});
afterAll(() => project.remove());
const env = { DAGBOX_VAR_API_TOKEN: 'tok-0123-secret', DAGBOX_CONN_SOURCE_DB: 'mysql://etl:pw-s3cret-42@127.0.0.1:3306/prod' };
const run = (...args: string[]) => dagbox(args, { cwd: project.dir, env });

describe('dagbox tasks render', () => {
  it('shows SQL as it runs (names from templates filled in) with secret Variables and connection passwords masked', async () => {
    const text = await run('tasks', 'render', 'render_me', 'load', '2021-02-05');
    expect(text.stderr).toBe('');
    expect(text.code).toBe(0);
    expect(text.stdout).toContain("INSERT INTO stage_seoul_20210205 VALUES ('***', '***', '127.0.0.1')");
    const json = await run('tasks', 'render', 'render_me', 'load', '2021-02-05', '--json');
    expect(json.code).toBe(0);
    expect((JSON.parse(json.stdout) as { fields: { sql: string } }).fields.sql).toBe("INSERT INTO stage_seoul_20210205 VALUES ('***', '***', '127.0.0.1')");
    for (const out of [text.stdout, json.stdout]) {
      expect(out).not.toContain('tok-0123-secret');
      expect(out).not.toContain('pw-s3cret-42');
    }
  });

  it('refuses, as a run would, a value that cannot be written into a name, with the value masked', async () => {
    const r = await run('tasks', 'render', 'render_me', 'bad', '2021-02-05');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/dags\/render_me\.ts:\d+: task "bad" of DAG "render_me", field "sql": \{\{ var\.value\.api_token \}\} is part of the name t_\{\{ var\.value\.api_token \}\} and renders to "\*\*\*"/);
    expect(r.stderr + r.stdout).not.toContain('tok-0123-secret');
    expect(r.stderr).not.toContain('    at ');
    const attr = await run('tasks', 'render', 'render_me', 'bad_attr', '2021-02-05');
    expect(attr.code).toBe(1);
    expect(attr.stderr).toContain('var.value.api_token is the string "***", not an object');
  });

  it('reads a .sql file given as a URL, as the run does, and renders each item of a list', async () => {
    const r = await run('tasks', 'render', 'render_me', 'from_file', '2021-02-05', '--json');
    expect(r.stderr).toBe('');
    expect((JSON.parse(r.stdout) as { fields: { sql: string[] } }).fields.sql).toEqual(['\nCREATE TABLE prod.part_20210205 (id INT);\n', "SELECT 'seoul'"]);
  });
});
