import { watch } from 'chokidar';
import { resolve } from 'node:path';

/** What the dev loop reacts to. */
export interface FileEvent {
  kind: 'add' | 'change' | 'unlink';
  file: string;
}

/** A file watcher; the no-op one has the same shape so the dev loop never branches on --watch. */
export interface Watcher {
  /** Watch more files (ones a DAG or the config reads from outside the watched folders). */
  add(paths: string[]): void;
  close(): Promise<void>;
}

const IGNORED = /(^|[\\/])(node_modules|\.git|\.dagbox)([\\/]|$)|~$|\.swp$/;

/**
 * Watch folders and files; `onEvent` is called once per settled save. Resolves once the initial
 * scan is done, so no early save is missed. chokidar 5 has no globs, so folders are watched whole
 * with an `ignored` function; awaitWriteFinish folds a burst of writes into one event (without it
 * the last write of a burst was lost here).
 */
export function createWatcher(paths: string[], onEvent: (e: FileEvent) => void): Promise<Watcher> {
  return new Promise((ready, reject) => {
    const watcher = watch(paths, {
      ignoreInitial: true,
      ignored: (path) => IGNORED.test(path),
      awaitWriteFinish: { stabilityThreshold: 50, pollInterval: 10 },
    });
    for (const kind of ['add', 'change', 'unlink'] as const) {
      watcher.on(kind, (file: string) => onEvent({ kind, file: resolve(file) }));
    }
    watcher.once('ready', () => ready({ add: (more) => void watcher.add(more), close: () => watcher.close() }));
    watcher.once('error', reject);
  });
}

/** The watcher used without --watch. */
export const noopWatcher: Watcher = { add: () => {}, close: async () => {} };
