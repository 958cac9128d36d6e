const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/** A command's view of Ctrl-C / SIGTERM / SIGHUP while it works: see {@link trapStopSignals}. */
export interface StopTrap extends Disposable {
  /** Aborts, with the signal's name as reason, at the first stop signal. */
  readonly signal: AbortSignal;
  /** The signal received, or null. */
  readonly received: NodeJS.Signals | null;
  /** The exit code a process ended by the received signal has (130 for SIGINT, 143 for SIGTERM). */
  readonly exitCode: number;
}

/**
 * Turn the stop signals into an AbortSignal for as long as the trap is held, so that a command can
 * end its own work first (no new run starts, the run in flight is recorded `interrupted`) while the
 * session's own handler stops the services. Holding the trap keeps the signal from ending the
 * process before that; the command ends with {@link StopTrap.exitCode}.
 *
 * ```ts
 * using stop = trapStopSignals();
 * const runs = await runIntervals(dag, intervals, { ...env, signal: stop.signal });
 * if (stop.received) state.exitCode = stop.exitCode;
 * ```
 */
export function trapStopSignals(): StopTrap {
  const controller = new AbortController();
  let received: NodeJS.Signals | null = null;
  const onSignal = (signal: NodeJS.Signals) => {
    if (received) return;
    received = signal;
    controller.abort(signal);
  };
  for (const s of STOP_SIGNALS) process.on(s, onSignal);
  return {
    signal: controller.signal,
    get received() {
      return received;
    },
    get exitCode() {
      return received === 'SIGINT' ? 130 : received === 'SIGHUP' ? 129 : 143;
    },
    [Symbol.dispose]() {
      for (const s of STOP_SIGNALS) process.off(s, onSignal);
    },
  };
}

/**
 * Set by a command that ended because of a stop signal. `bin/dagbox.js` then ends the process by
 * that signal at once, as it would have without the trap, rather than wait for task code that may
 * still be in flight (its services are gone, its run is recorded).
 */
export const endedBySignal: { signal: NodeJS.Signals | null } = { signal: null };
