import { describe, expect, it } from 'vitest';
import { bash } from '../../src/operators/bash.ts';
import { runDagRun } from '../../src/run/index.ts';
import { dag, day, op, states, testEnv } from '../run/helpers.ts';

describe('bash operator', () => {
  it('runs the rendered command with the rendered env and pushes its last line', async () => {
    const d = dag('bash_dag', { params: { who: 'nps' } });
    d.task('say', op(bash({ bashCommand: 'echo "loading {{ params.who }}"; echo "$TARGET-$AIRFLOW_CTX_DAG_ID" >&2; echo "$PATH_SEEN"', env: { TARGET: 'day={{ ds }}', PATH_SEEN: '${PATH:-none}' } })));
    let pulled: unknown;
    d.task('after', (ctx) => void (pulled = ctx.xcom.pull('say'))).after('say');
    const run = await runDagRun(d, day('2021-02-05'), testEnv());
    expect(states(run)).toEqual({ say: 'success', after: 'success' });
    const log = run.tasks[0]!.log.join('\n');
    expect(log).toContain('INFO - loading nps');
    expect(log).toContain('INFO - day=2021-02-05-bash_dag');
    // Without appendEnv, env replaces the environment, as in Airflow.
    expect(pulled).toBe('${PATH:-none}');
  });

  it('fails on a non-zero exit and skips on exit code 99', async () => {
    const d = dag();
    d.task('fails', op(bash({ bashCommand: 'echo nope; exit 3' })));
    d.task('skips', op(bash({ bashCommand: 'exit 99' })));
    const run = await runDagRun(d, day('2021-02-05'), testEnv());
    expect(states(run)).toEqual({ fails: 'failed', skips: 'skipped' });
    expect(run.tasks[0]!.error).toBe('Bash command failed. The command returned a non-zero exit code 3.');
  });

  it('kills the command on executionTimeout through onKill', async () => {
    const d = dag();
    d.task('hangs', op(bash({ bashCommand: 'sleep 30 & wait' })), { executionTimeout: '300ms' });
    const run = await runDagRun(d, day('2021-02-05'), testEnv());
    expect(states(run)).toEqual({ hangs: 'failed' });
    expect(run.tasks[0]!.log.join('\n')).toContain("Sending SIGTERM to the command's process group");
  });
});
