import type { Teardown } from './handle.ts';
import type { ServerProcess } from './processes.ts';
import { withTemplateHint } from './templates.ts';
import type { ProviderContext } from './types.ts';
import { waitUntilReady, type ReadinessStrategy } from './wait.ts';

/**
 * Take charge of a server process a local provider just spawned: record it as the session's (so a
 * killed session's successor can reap it), wait until `readiness` holds, and hand its stop to the
 * teardown. A server that never gets ready is stopped and forgotten, and the error names the cached
 * data-dir template it started from. Returns the port.
 */
export async function superviseServer(s: {
  ctx: ProviderContext;
  server: ServerProcess;
  name: string;
  dir: string;
  port: number;
  readiness: ReadinessStrategy;
  timeoutMs: number | undefined;
  teardown: Teardown;
  template: string | undefined;
}): Promise<number> {
  const { ctx, server } = s;
  ctx.ownership.addProcess(server.pid, s.name, s.dir);
  const stop = async () => {
    await server.stop();
    ctx.ownership.removeProcess(server.pid);
  };
  try {
    await waitUntilReady(s.readiness, { timeoutMs: s.timeoutMs ?? 30_000, process: server, port: s.port });
  } catch (error) {
    await stop();
    throw withTemplateHint(error, s.template);
  }
  s.teardown.add(stop);
  return s.port;
}
