import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { dagbox, exampleProject, stopChild } from './helpers/cli.ts';
import { repoRoot } from './helpers/project.ts';

const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');

/** Every `npx dagbox ...` command in the README's sh blocks, comments stripped. */
function readmeCommands(): string[][] {
  const blocks = [...readme.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]!);
  return blocks
    .flatMap((b) => b.split('\n'))
    .map((line) => line.replace(/\s#.*$/, '').trim())
    .filter((line) => line.includes('npx dagbox '))
    // Words as a shell splits them: a '...' argument (a JSON --conf) is one word, without its quotes.
    .map((line) => [...line.slice(line.indexOf('npx dagbox ') + 'npx dagbox '.length).matchAll(/'([^']*)'|(\S+)/g)].map((m) => m[1] ?? m[2]!));
}

describe('README', () => {
  it('has the two-command quick start', () => {
    const quick = /## Quick start[\s\S]*?```sh\n([\s\S]*?)```/.exec(readme)?.[1]?.trim().split('\n');
    expect(quick).toEqual(['npm ci && npx dagbox dev --watch', 'npm test']);
    const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    expect(pkg.scripts.test).toBe('vitest run');
  });

  it('every dagbox command it shows runs and exits 0 on the example project', async () => {
    using project = exampleProject();
    const commands = readmeCommands();
    expect(commands.length).toBeGreaterThan(10);
    for (const args of commands) {
      if (args.includes('--watch')) continue; // run below, as a long-lived process
      const r = await dagbox(args, { cwd: project.dir });
      expect(r.code, `dagbox ${args.join(' ')}\n${r.stdout}\n${r.stderr}`).toBe(0);
    }
  }, 300_000);

  it("the quick start's `dagbox dev --watch` starts, runs the example DAGs and stops cleanly", async () => {
    using project = exampleProject();
    const child = spawn(process.execPath, [join(repoRoot, 'bin/dagbox.js'), 'dev', '--watch'], { cwd: project.dir, env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    try {
      for (let i = 0; i < 3_000 && !output.includes('watching'); i++) await new Promise((r) => setTimeout(r, 100));
      expect(output).toContain('watching');
      expect(output).toMatch(/example_linear 20\d\d-\d\d-\d\d success/);
      expect(output).not.toMatch(/✘/);
      expect(await stopChild(child)).toBe(0);
    } finally {
      await stopChild(child);
    }
  }, 600_000);
});
