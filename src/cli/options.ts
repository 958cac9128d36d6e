/**
 * The options and streams every `dagbox` command shares: `-C/--cwd`, `--dags`, `--json`,
 * `--services`, the positive-integer parser and the injectable output streams. Subcommand modules
 * import these from here, never from main.ts (which imports them).
 */
import { InvalidArgumentError, Option, type Command } from 'commander';

/** Options every command understands. */
export interface GlobalOptions {
  cwd: string;
  dags?: string;
  stateDir?: string;
  json?: boolean;
  /** Show the JavaScript stacks of errors and task errors. */
  verbose?: boolean;
}

/** The output streams, injectable so commands can be driven from tests in-process. */
export interface Io {
  out: (line: string) => void;
  err: (line: string) => void;
  /** True when stderr is a terminal: progress lines redraw in place. */
  tty: boolean;
}

/** Global options as seen from inside a subcommand action. */
export function globals(cmd: Command): GlobalOptions {
  return cmd.optsWithGlobals() as GlobalOptions;
}

/** `--json` for a command. */
export const jsonOption = () => new Option('--json', 'print a JSON document for scripts instead of text');

/** `--services` for commands that run DAG code. */
export const servicesOption = () =>
  new Option('--services <mode>', 'how to provide MySQL, Postgres and S3: auto (containers, else local processes, else DAGBOX_CONN_* URLs), containers, local, external, or none')
    .choices(['auto', 'containers', 'local', 'external', 'none']);

/** Parse a positive integer option. */
export function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`expected a positive integer, got "${value}"`);
  return n;
}
