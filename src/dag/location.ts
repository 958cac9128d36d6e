import { fileURLToPath } from 'node:url';
import type { SourceLocation } from './types.ts';

const here = fileURLToPath(new URL('.', import.meta.url));

/**
 * The first stack frame outside dagbox's own DAG module: where the user called `new Dag`,
 * `dag.task` or `a.to(b)`. tsx installs source maps, so lines are those of the .ts file.
 */
export function callerLocation(): SourceLocation | undefined {
  return locate(new Error());
}

/**
 * The caller's location, read only when asked: capturing a stack is cheap, formatting it with
 * source maps is not (~50 µs), and most locations are never shown.
 */
export function lazyCallerLocation(): () => SourceLocation | undefined {
  const error = new Error();
  let memo: { value: SourceLocation | undefined } | undefined;
  return () => (memo ??= { value: locate(error) }).value;
}

function locate(error: Error): SourceLocation | undefined {
  const stack = mappedStack(error).split('\n').slice(1);
  for (const frame of stack) {
    // A reloaded module's URL carries a query (`x.ts?dagbox-v=3`), which is not part of the path.
    const m = /\(?((?:file:\/\/)?\/[^():?]+)(?:\?[^():]*)?:(\d+):(\d+)\)?\s*$/.exec(frame);
    if (!m) continue;
    const file = m[1]!.startsWith('file://') ? fileURLToPath(m[1]!) : m[1]!;
    if (file.startsWith(here)) continue;
    return { file, line: Number(m[2]), column: Number(m[3]) };
  }
  return undefined;
}

/**
 * The error's stack with TypeScript lines. tsx inlines source maps, which Node applies only with
 * its own stack formatter: test runners (vitest) install an Error.prepareStackTrace of their
 * own, so it is set aside while the stack is first read.
 */
export function mappedStack(error: Error): string {
  const holder = Error as { prepareStackTrace?: unknown };
  const saved = holder.prepareStackTrace;
  const enabled = process.sourceMapsEnabled;
  holder.prepareStackTrace = undefined;
  process.setSourceMapsEnabled(true);
  try {
    return error.stack ?? '';
  } finally {
    holder.prepareStackTrace = saved;
    process.setSourceMapsEnabled(enabled);
  }
}
