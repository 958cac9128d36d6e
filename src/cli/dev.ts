import type { Command } from 'commander';
import { emitKeypressEvents } from 'node:readline';
import { DevSession } from '../dev/dev-session.ts';
import type { ServicesFlag } from '../app/session.ts';
import { globals, positiveInt, servicesOption, type Io } from './options.ts';

/** `dagbox dev [--watch]`. */
export function registerDevCommand(program: Command, io: Io, state: { exitCode: number }): void {
  program
    .command('dev')
    .description(
      "Start the services, load fixtures and DAGs, and run each DAG's latest due intervals at a simulated time; " +
        'with --watch, re-run a DAG on every save of it or of a module it imports',
    )
    .option('-w, --watch', 'keep running: reload on save of DAGs, their modules, fixtures and dagbox.config.ts')
    .option('--dag <id...>', 'only these DAGs')
    .option('--now <time>', 'simulated current time (default: `now` in dagbox.config.ts, else the real time)')
    .option('--window <n>', 'latest due intervals to run per DAG (default: `window` in dagbox.config.ts, else 3)', positiveInt)
    .option('--no-verify', "skip the idempotency check of each DAG's latest interval")
    .addOption(servicesOption())
    .action(async (opts: { watch?: boolean; dag?: string[]; now?: string; window?: number; verify: boolean; services?: ServicesFlag }, cmd: Command) => {
      const g = globals(cmd);
      const dev = new DevSession(
        { cwd: g.cwd, dags: g.dags, stateDir: g.stateDir, watch: opts.watch === true, dagIds: opts.dag ?? [], now: opts.now, window: opts.window, verify: opts.verify, services: opts.services },
        io,
      );
      let quit!: () => void;
      const quitting = new Promise<void>((resolve) => (quit = resolve));
      const onSignal = () => quit();
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
      try {
        await dev.start();
        if (!opts.watch) {
          if (dev.hadFailures) state.exitCode = 1;
          return;
        }
        const stopKeys = listenToKeys((key) => (key === 'q' ? quit() : void dev.onKey(key)));
        await quitting;
        stopKeys();
        io.out('stopping: services, worker and temp dirs');
      } finally {
        await dev.close();
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
      }
    });
}

/** Single keys on a terminal (raw mode); nothing without one. Ctrl-C still quits. */
function listenToKeys(onKey: (key: string) => void): () => void {
  const stdin = process.stdin;
  if (!stdin.isTTY) return () => {};
  emitKeypressEvents(stdin);
  stdin.setRawMode(true);
  const listener = (text: string, key: { name?: string; ctrl?: boolean }) => {
    if (key?.ctrl && key.name === 'c') return onKey('q');
    onKey((key?.name ?? text ?? '').toLowerCase());
  };
  stdin.on('keypress', listener);
  stdin.resume();
  return () => {
    stdin.off('keypress', listener);
    stdin.setRawMode(false);
    stdin.pause();
  };
}
