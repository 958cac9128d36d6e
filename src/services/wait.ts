import { request } from 'node:http';
import { connect } from 'node:net';
import { errorMessage } from '../shared/errors.ts';
import type { ServerProcess } from './processes.ts';
import { PortInUseError, saysAddressInUse } from './ports.ts';

/**
 * What readiness means for one server, in the style of testcontainers' `Wait.forListeningPorts()` /
 * `Wait.forHttp()`: a probe that throws until the server answers, and the sentence that names what
 * was awaited, for the timeout message.
 */
export interface ReadinessStrategy {
  /** E.g. `Port 54321 on 127.0.0.1 not accepting Postgres connections`; " after 30000ms" is appended. */
  readonly failure: string;
  /** Resolves once the server answers; rejects with the reason it does not yet. */
  probe(): Promise<void>;
  /**
   * Whether a probe error is the server's final answer (wrong password, unknown database): waiting
   * stops at once instead of retrying until the timeout. Default: nothing is final.
   */
  final?(error: unknown): boolean;
}

/** Thrown when a server did not become ready in time, or ended while dagbox waited for it. */
export class ReadinessError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ReadinessError';
  }
}

/** Readiness strategies (testcontainers' `Wait`, for servers dagbox starts itself). */
export const Wait = {
  /** The TCP port accepts connections. */
  forListeningPort(host: string, port: number): ReadinessStrategy {
    return { failure: `Port ${port} on ${host} not accepting TCP connections`, probe: () => tcpConnect(host, port) };
  },

  /** `url` answers with `status` (default 200). */
  forHttp(url: string, status = 200): ReadinessStrategy {
    return { failure: `${url} not answering HTTP ${status}`, probe: () => httpStatus(url, status) };
  },

  /**
   * The port accepts a client of the given protocol: `probe` connects and runs a trivial query.
   * `final` says which of its errors are an answer that retrying cannot change.
   */
  forProtocol(host: string, port: number, protocol: string, probe: () => Promise<void>, final?: (error: unknown) => boolean): ReadinessStrategy {
    return { failure: `Port ${port} on ${host} not accepting ${protocol} connections`, probe, ...(final ? { final } : {}) };
  },
};

/** Options of {@link waitUntilReady}. */
export interface WaitOptions {
  readonly timeoutMs: number;
  readonly intervalMs?: number;
  /** The server being waited for: if it ends first, waiting stops at once and the error shows its log. */
  readonly process?: ServerProcess;
  /** The port the server was told to bind, for {@link PortInUseError}. */
  readonly port?: number;
}

/**
 * Probes until the strategy succeeds, the server process ends, or the timeout passes. Errors name what
 * was awaited, for how long, the last probe error and the tail of the server's log. A server that ended
 * because its port was taken raises {@link PortInUseError} so the caller can retry on another port.
 */
export async function waitUntilReady(strategy: ReadinessStrategy, opts: WaitOptions): Promise<void> {
  const deadline = Date.now() + opts.timeoutMs;
  let lastError: unknown;
  for (;;) {
    if (opts.process?.exitInfo()) throw exitedEarly(opts.process, opts.port, lastError);
    try {
      await probeUnlessExited(strategy, opts.process);
      return;
    } catch (error) {
      lastError = error;
      if (strategy.final?.(error)) {
        throw new ReadinessError(`${strategy.failure}: the server answered "${errorMessage(error)}", which retrying does not change`, { cause: error });
      }
    }
    if (Date.now() >= deadline) {
      throw new ReadinessError(
        `${strategy.failure} after ${opts.timeoutMs}ms (last error: ${errorMessage(lastError)})${logSection(opts.process)}`,
        { cause: lastError },
      );
    }
    await pause(Math.min(opts.intervalMs ?? 25, Math.max(0, deadline - Date.now())), opts.process);
  }
}

// A probe can hang on a port that accepts but never answers (another program holds it); the server's
// exit must end the wait at once, not when the probe's own timeout fires.
async function probeUnlessExited(strategy: ReadinessStrategy, server: ServerProcess | undefined): Promise<void> {
  if (!server) return strategy.probe();
  const probe = strategy.probe();
  probe.catch(() => {});
  await Promise.race([probe, server.exited.then(() => Promise.reject(new Error(`${server.name} exited`)))]);
}

function exitedEarly(server: ServerProcess, port: number | undefined, lastError: unknown): Error {
  const tail = server.logTail(30);
  const exit = server.exitInfo();
  const how = exit?.signal ? `was killed by ${exit.signal}` : `exited with code ${exit?.code}`;
  const message = `${server.name} (pid ${server.pid}) ${how} before it accepted connections${logSection(server)}`;
  if (saysAddressInUse(tail)) return new PortInUseError(port ?? portFrom(tail), `${server.name} could not bind it`, { cause: lastError });
  return new ReadinessError(message, { cause: lastError });
}

function logSection(server: ServerProcess | undefined): string {
  if (!server) return '';
  const tail = server.logTail(30);
  return tail ? `.\nLast lines of ${server.logFile}:\n${indent(tail)}` : '';
}

function indent(text: string): string {
  return text.split('\n').map((l) => `  ${l}`).join('\n');
}

function portFrom(text: string): number {
  const match = /port[^0-9]{0,20}(\d{2,5})/i.exec(text);
  return match ? Number(match[1]) : 0;
}

function pause(ms: number, server?: ServerProcess): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    void server?.exited.then(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}

function tcpConnect(host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port });
    socket.setTimeout(1_000, () => socket.destroy(new Error(`no answer within 1000ms`)));
    socket.once('connect', () => {
      socket.end();
      resolve();
    });
    socket.once('error', reject);
  });
}

function httpStatus(url: string, status: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'GET', timeout: 2_000 }, (res) => {
      res.resume();
      if (res.statusCode === status) resolve();
      else reject(new Error(`HTTP ${res.statusCode}`));
    });
    req.once('timeout', () => req.destroy(new Error('no answer within 2000ms')));
    req.once('error', reject);
    req.end();
  });
}
