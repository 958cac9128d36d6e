import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { dagbox } from '../helpers/cli.ts';
import { tempProject } from '../helpers/project.ts';

const project = tempProject({
  'dags/branchy.ts': `import { Dag } from 'DAGBOX';
const dag = new Dag({ id: 'branchy', schedule: '@daily', startDate: '2021-02-05' });
const files = dag.task('list_files', () => ['a.csv', 'bb.csv', 'ccc.csv']);
const size = dag.task('size', (ctx, { name }: { name: string }) => name.length).expand({ name: files.output });
const pick = dag.branch('pick', () => 'small');
size.to(pick).to([dag.task('small', () => {}), dag.task('large', () => {})]);
export default dag;
`,
});
afterAll(() => project.remove());
const run = (...args: string[]) => dagbox(args, { cwd: project.dir });

describe('skipped and mapped task instances on the command line', () => {
  it('tasks list and dags show mark mapped and branch tasks', async () => {
    const list = await run('tasks', 'list', 'branchy');
    expect(list.stdout).toMatch(/size\[\]\s+python mapped over name <- list_files/);
    expect(list.stdout).toMatch(/pick\s+branch <- size/);
    const show = await run('dags', 'show', 'branchy');
    expect(show.stdout).toContain('size[]');
    expect(show.stdout).toContain('pick <branch>');
  });

  it('dags test shows each map index and the skipped branch, and the history keeps map indexes', async () => {
    const r = await run('dags', 'test', 'branchy', '2021-02-05', '--services', 'none');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/size\[3\] ✔✔✔/);
    expect(r.stdout).toMatch(/large ⤼/);
    expect(r.stdout).toContain('1 skipped)');
    const dir = join(project.dir, '.dagbox', 'runs');
    const files = readdirSync(dir, { recursive: true }).map(String).filter((f) => f.endsWith('.json'));
    const text = files.map((f) => readFileSync(join(dir, f), 'utf8')).join('\n');
    expect(text).toContain('"mapIndex": 2');
    expect(text).toMatch(/"taskId": "large",[\s\S]*?"state": "skipped"/);
  });
});
