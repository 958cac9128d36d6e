/**
 * src/cli/: the `dagbox` command line. main.ts builds the program and maps errors to exit codes;
 * options.ts holds what every command shares (`-C`, `--dags`, `--json`, `--services`, the
 * output streams); one module per command group (dags, tasks, test, dev).
 *
 * May import: app/, dev/ and the folders below them; nothing imports cli/ (the layers are checked
 * by .dependency-cruiser.cjs).
 */
import { Command, CommanderError } from 'commander';
import pc from 'picocolors';
import { registerDagCommands } from './dags.ts';
import { registerDevCommand } from './dev.ts';
import { registerImagesCommand } from './images-command.ts';
import { registerTaskCommands } from './tasks.ts';
import { registerTestCommand } from './test-command.ts';
import { UserError } from '../app/project.ts';
import type { Io } from './options.ts';
import { TemplateError } from '../template/types.ts';

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
    .option('--state-dir <dir>', 'where run history, service records and reports go (default: DAGBOX_STATE_DIR, else `stateDir` in dagbox.config.ts, else .dagbox)')
    .option('--verbose', 'on an error, also print where in dagbox it happened (the stack trace and its causes), and the JavaScript stack under a task error')
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({ writeOut: (s) => io.out(s.trimEnd()), writeErr: (s) => io.err(s.trimEnd()) })
    .exitOverride();

  const dags = program.command('dags').description("DAG commands, as Airflow's `airflow dags ...`");
  registerDagCommands(dags, io, state);
  const tasks = program.command('tasks').description("Task commands, as Airflow's `airflow tasks ...`");
  registerTaskCommands(tasks, io, state);
  registerTestCommand(program, io, state);
  registerDevCommand(program, io, state);
  registerImagesCommand(program, io, state);
  for (const group of [dags, tasks]) group.exitOverride();
  return program;
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
    // A template that cannot render is the user's to fix: its message says where and what to do.
    if (error instanceof TemplateError) {
      io.err(`${pc.red('error')}: ${error.message}`);
      return 1;
    }
    // The message says what is wrong and what to do; the stack is dagbox's business, shown on request.
    const verbose = program.opts<{ verbose?: boolean }>().verbose === true || argv.includes('--verbose');
    io.err(`${pc.red('error')}: ${verbose ? stackWithCauses(error) : messageOf(error)}`);
    return 1;
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message || error.name : String(error);
}

/** The stack of an error and of each error in its `cause` chain. */
function stackWithCauses(error: unknown): string {
  const parts: string[] = [];
  for (let e: unknown = error, depth = 0; e !== undefined && depth < 5; e = (e as { cause?: unknown })?.cause, depth++) {
    parts.push(depth === 0 ? (e instanceof Error ? (e.stack ?? e.message) : String(e)) : `caused by: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
  }
  return parts.join('\n');
}

