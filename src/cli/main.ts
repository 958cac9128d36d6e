import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import pc from 'picocolors';
import { registerDagCommands } from './dags.ts';
import { registerDevCommand } from './dev.ts';
import { registerTaskCommands } from './tasks.ts';
import { registerTestCommand } from './test-command.ts';
import { UserError } from './project.ts';

/** Options every command understands. */
export interface GlobalOptions {
  cwd: string;
  dags?: string;
  json?: boolean;
  /** Show the JavaScript stacks of task errors. */
  verbose?: boolean;
}

/** The output streams, injectable so commands can be driven from tests in-process. */
export interface Io {
  out: (line: string) => void;
  err: (line: string) => void;
  /** True when stderr is a terminal: progress lines redraw in place. */
  tty: boolean;
}

const defaultIo: Io = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
  tty: Boolean(process.stderr.isTTY),
};

/** Build the `dagbox` program. Each action sets `state.exitCode`; nothing calls process.exit. */
export function buildProgram(io: Io, state: { exitCode: number }): Command {
  const program = new Command('dagbox')
    .description('Develop, test and backfill Airflow-style DAGs written in TypeScript, locally and fast.')
    .version('0.1.0')
    .option('-C, --cwd <dir>', 'project folder (holds dags/, fixtures/, dagbox.config.ts)', process.cwd())
    .option('--dags <dir>', 'folder of DAG files (default: dags, or `dags` in dagbox.config.ts)')
    .option('--verbose', 'show the JavaScript stack under a task error (by default only the error, its statement and the database message)')
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({ writeOut: (s) => io.out(s.trimEnd()), writeErr: (s) => io.err(s.trimEnd()) })
    .exitOverride();

  const dags = program.command('dags').description("DAG commands, as Airflow's `airflow dags ...`");
  registerDagCommands(dags, io, state);
  const tasks = program.command('tasks').description("Task commands, as Airflow's `airflow tasks ...`");
  registerTaskCommands(tasks, io, state);
  registerTestCommand(program, io, state);
  registerDevCommand(program, io, state);
  for (const group of [dags, tasks]) group.exitOverride();
  return program;
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

/**
 * Run the CLI with Node's argv; returns the exit code: 0 success, 1 a run, task or DAG failed,
 * 2 the command line was wrong.
 */
export async function main(argv: string[], io: Io = defaultIo): Promise<number> {
  const state = { exitCode: 0 };
  const program = buildProgram(io, state);
  try {
    await program.parseAsync(argv);
    return state.exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version end here with exit code 0; usage errors were already printed.
      return error.exitCode === 0 ? 0 : 2;
    }
    if (error instanceof UserError) {
      io.err(`${pc.red('error')}: ${error.message}`);
      return error.exitCode;
    }
    io.err(`${pc.red('error')}: ${(error as Error).stack ?? String(error)}`);
    return 1;
  }
}

