import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { render, templateScope } from '../../src/template/index.ts';
import { repoRoot } from '../helpers/project.ts';

// The README's template table is an example: each row whose templates and values pair up is rendered.
const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');
const section = /## Templates\n([\s\S]*?)\n## /.exec(readme)?.[1] ?? '';
const rows = section
  .split('\n')
  .filter((line) => line.startsWith('| `'))
  .map((line) => line.replaceAll('\\|', '\u0001').split('|').slice(1, 3).map((cell) => [...cell.matchAll(/`([^`]+)`/g)].map((m) => m[1]!.replaceAll('\u0001', '|'))))
  .map(([templates, values]) => ({ templates: templates!.filter((t) => t.startsWith('{{')), values: values! }))
  .filter((r) => r.templates.length > 0 && (r.values.length === 1 || r.values.length === r.templates.length));

const scope = templateScope({
  interval: { start: new Date('2021-02-05T00:00:00Z'), end: new Date('2021-02-06T00:00:00Z') },
  prevDs: '2021-02-04',
  nextDs: '2021-02-06',
  params: { table: 'nps' },
  variable: () => null,
  dagId: 'nps',
  runType: 'scheduled',
  task: { taskId: 'load' },
});

describe("the README's template table", () => {
  it('has rows to check', () => {
    expect(rows.length).toBeGreaterThan(15);
  });

  it.each(rows.flatMap((r) => r.templates.map((t, i) => [t, r.values.length === 1 ? r.values[0]! : r.values[i]!] as const)))('%s renders %s', (template, value) => {
    expect(render(template, scope, 'README')).toBe(value);
  });
});
