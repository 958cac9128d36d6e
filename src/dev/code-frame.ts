import { readFileSync } from 'node:fs';

/**
 * The lines around `line` of a file with a caret under `column`, as compilers print them:
 * ```text
 *   2 | const dag = new Dag({ id: 'x' });
 * > 3 | const y = ;
 *     |           ^
 * ```
 * Empty when the file cannot be read or the line is unknown.
 */
export function codeFrame(file: string, line: number | undefined, column?: number, context = 2): string[] {
  if (!line) return [];
  let lines: string[];
  try {
    lines = readFileSync(file, 'utf8').split('\n');
  } catch {
    return [];
  }
  const first = Math.max(1, line - context);
  const last = Math.min(lines.length, line + context);
  const width = String(last).length;
  const out: string[] = [];
  for (let n = first; n <= last; n++) {
    out.push(`${n === line ? '>' : ' '} ${String(n).padStart(width)} | ${lines[n - 1]}`);
    if (n === line && column) out.push(`  ${' '.repeat(width)} | ${' '.repeat(Math.max(0, column - 1))}^`);
  }
  return out;
}
