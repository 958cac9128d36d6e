import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findFreePort, PortInUseError } from '../../src/services/ports.ts';
import { makeSessionDir, removeDir, spawnServer } from '../../src/services/processes.ts';
import { ReadinessError, Wait, waitUntilReady } from '../../src/services/wait.ts';

describe('waitUntilReady', () => {
  it('names what it awaited, for how long, and the last error', async () => {
    const port = await findFreePort();
    const error = await waitUntilReady(Wait.forListeningPort('127.0.0.1', port), { timeoutMs: 150 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ReadinessError);
    expect((error as Error).message).toBe(`Port ${port} on 127.0.0.1 not accepting TCP connections after 150ms (last error: connect ECONNREFUSED 127.0.0.1:${port})`);
  });

  it('stops waiting when the server exits, and shows the tail of its log', async () => {
    const dir = makeSessionDir('waittest');
    try {
      const script = join(dir, 'fail.sh');
      writeFileSync(script, 'echo starting up\necho FATAL: something broke >&2\nexit 3\n', { mode: 0o755 });
      const server = spawnServer({ name: 'fakedb', command: '/bin/sh', args: [script], cwd: dir, logFile: join(dir, 'fakedb.log') });
      // Waiting out the 10 min budget would fail this test by its own timeout; the message says why it stopped.
      const error = await waitUntilReady(Wait.forListeningPort('127.0.0.1', await findFreePort()), { timeoutMs: 600_000, process: server }).catch((e: unknown) => e);
      expect((error as Error).message).toMatch(/^fakedb \(pid \d+\) exited with code 3 before it accepted connections\.\nLast lines of .*fakedb\.log:\n {2}starting up\n {2}FATAL: something broke$/);
    } finally {
      await removeDir(dir);
    }
  });

  it('turns a server that could not bind its port into PortInUseError, so the caller can retry', async () => {
    const dir = makeSessionDir('waittest');
    try {
      const script = join(dir, 'busy.sh');
      writeFileSync(script, 'echo "could not bind IPv4 address \\"127.0.0.1\\": Address already in use" >&2\nexit 1\n', { mode: 0o755 });
      const server = spawnServer({ name: 'fakedb', command: '/bin/sh', args: [script], cwd: dir, logFile: join(dir, 'fakedb.log') });
      const error = await waitUntilReady(Wait.forListeningPort('127.0.0.1', 1), { timeoutMs: 10_000, process: server, port: 4242 }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(PortInUseError);
      expect((error as PortInUseError).port).toBe(4242);
    } finally {
      await removeDir(dir);
    }
  });
});
