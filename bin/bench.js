#!/usr/bin/env node
// Runs one benchmark, bench/NAME.ts, through tsx: `npm run bench -- NAME [--json] [flags]`.
import { readdirSync, existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { register } from 'tsx/esm/api';

const benchDir = fileURLToPath(new URL('../bench/', import.meta.url));
const available = () =>
  readdirSync(benchDir)
    .filter((f) => f.endsWith('.ts') && f !== 'lib.ts')
    .map((f) => f.slice(0, -3))
    .sort();

const [name, ...args] = process.argv.slice(2);
if (!name || name.startsWith('-')) {
  process.stderr.write(`usage: npm run bench -- NAME [--json] [flags]\nbenchmarks: ${available().join(', ')}\n`);
  process.exit(2);
}
const file = `${benchDir}${name}.ts`;
if (!/^[\w-]+$/.test(name) || name === 'lib' || !existsSync(file)) {
  process.stderr.write(`no benchmark "${name}" in bench/; available: ${available().join(', ')}\n`);
  process.exit(2);
}
register();
const mod = await import(pathToFileURL(file).href);
if (typeof mod.main !== 'function') {
  process.stderr.write(`bench/${name}.ts must export main(args: string[]): Promise<number> (the exit code)\n`);
  process.exit(2);
}
process.exitCode = await mod.main(args);
