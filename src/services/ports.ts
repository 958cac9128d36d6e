import { createServer } from 'node:net';

/** The only address dagbox's own servers listen on. */
export const LOOPBACK = '127.0.0.1';

/**
 * A port on 127.0.0.1 that was free a moment ago (the kernel's pick for port 0). Another process
 * can take it before the server binds, so starting a server on it goes through {@link withPortRetry}.
 */
export function findFreePort(host: string = LOOPBACK): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen({ port: 0, host, exclusive: true }, () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => (port ? resolve(port) : reject(new Error(`Could not read the port the kernel picked on ${host}.`))));
    });
  });
}

/** Thrown by a start attempt whose server could not bind its port because something else listens there. */
export class PortInUseError extends Error {
  constructor(readonly port: number, detail: string, options?: ErrorOptions) {
    super(`Port ${port} on ${LOOPBACK} is already in use (${detail}).`, options);
    this.name = 'PortInUseError';
  }
}

/** Whether a server's log or error text says its port was taken. */
export function saysAddressInUse(text: string): boolean {
  return /address already in use|EADDRINUSE|Bind on TCP\/IP port|could not create any TCP\/IP sockets/i.test(text);
}

/**
 * Runs `attempt` on a port, and again on a new free port when the server reports {@link PortInUseError}
 * (a port taken before it could bind: by another session, or the `preferred` port being busy).
 *
 * ```ts
 * const server = await withPortRetry(opts.port, (port) => startOn(port), { what: 'postgres', log });
 * ```
 */
export async function withPortRetry<T>(
  preferred: number | undefined,
  attempt: (port: number) => Promise<T>,
  { attempts = 5, what, log }: { attempts?: number; what: string; log?: (line: string) => void },
): Promise<T> {
  let port = preferred ?? (await findFreePort());
  for (let i = 1; ; i++) {
    try {
      return await attempt(port);
    } catch (error) {
      if (!(error instanceof PortInUseError) || i >= attempts) throw error;
      const next = await findFreePort();
      log?.(`${what}: port ${port} is taken, retrying on port ${next}`);
      port = next;
    }
  }
}
