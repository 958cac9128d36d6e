import pc from 'picocolors';
import type { Dag } from '../dag/dag.ts';
import type { DataInterval } from '../dag/types.ts';
import type { ServicesFlag } from '../app/session.ts';
import { formatVerification, verifyDag, windowLabel, type DagVerification } from '../verify/index.ts';
import type { Io } from './options.ts';
import { UserError, type Project } from '../app/project.ts';

/** The `--verify` flags of `dagbox dags backfill`. */
export interface VerifyFlags {
  verify?: boolean;
  faults?: boolean;
  shuffle?: boolean;
  seed?: number;
  maxActiveRuns?: number;
  services?: ServicesFlag;
}

/** `--faults`, `--shuffle` and `--seed` only mean something with `--verify`. */
export function assertVerifyFlags(flags: VerifyFlags & { runBackwards?: boolean }): void {
  const stray = (['faults', 'shuffle', 'seed'] as const).filter((f) => flags[f] !== undefined && flags[f] !== false);
  if (!flags.verify && stray.length > 0) {
    throw new UserError(`${stray.map((f) => `--${f}`).join(', ')} only work with --verify (add --verify to replay the window and check it)`, 2);
  }
  if (flags.seed !== undefined && !flags.shuffle) throw new UserError('--seed picks the order of --shuffle; add --shuffle', 2);
  if (flags.verify && flags.runBackwards) {
    throw new UserError('--run-backwards and --verify together: --verify already runs the window backwards (check 2); drop --run-backwards', 2);
  }
}

/**
 * `dagbox dags backfill DAG -s -e --verify [--faults] [--shuffle [--seed N]]`: start the
 * services, load the fixtures, and run checks 1-3 (4 with --faults; 5 and 6 ride along) over the
 * window. Nothing is recorded in the run history: the window is replayed on fixture data.
 */
export async function runVerifiedBackfill(project: Project, dag: Dag, intervals: DataInterval[], flags: VerifyFlags, io: Io, json: boolean): Promise<DagVerification> {
  if (intervals.length === 0) throw new UserError(`no interval of DAG "${dag.id}" has its logical date in the range given; nothing to verify`, 2);
  if (!json) {
    const runsAtOnce = flags.maxActiveRuns ?? dag.options.maxActiveRuns ?? 1;
    const what =
      `idempotency, backfill order${flags.shuffle ? ' (shuffled)' : ''}` +
      (runsAtOnce > 1 ? `, ${runsAtOnce} runs at once` : '') +
      `, replay${flags.faults ? ', atomicity under injected failures' : ''}`;
    io.out(`${pc.bold(dag.id)}: verifying ${intervals.length} interval(s) ${windowLabel(intervals)} on the fixtures (${what}); runs are not recorded`);
  }
  const session = await project.startSession(flags.services, (l) => io.err(pc.dim(l)));
  try {
    if (!session.services) throw new UserError('--verify needs the services (MySQL, Postgres, S3) to fingerprint and compare; run it without --services none', 2);
    const fixtures = await session.snapshot('dgbx-verify-fixtures');
    try {
      const env = await project.env({ clockStart: intervals[0]!.end, record: false });
      const result = await verifyDag(session, dag, env, {
        intervals,
        fixtures,
        faults: flags.faults ?? false,
        order: flags.shuffle ? 'shuffle' : 'backwards',
        ...(flags.seed !== undefined ? { seed: flags.seed } : {}),
        ...(flags.maxActiveRuns !== undefined ? { maxActiveRuns: flags.maxActiveRuns } : {}),
        settings: project.config.verify,
        log: json ? undefined : (l) => io.err(pc.dim(l)),
      });
      if (json) io.out(JSON.stringify({ dagId: dag.id, verification: result }, null, 2));
      else for (const line of formatVerification(result, { color: pc.isColorSupported })) io.out(line);
      return result;
    } finally {
      await session.dropSnapshot(fixtures);
    }
  } finally {
    await session.stop();
  }
}
