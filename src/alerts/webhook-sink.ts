import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A message the sink received. */
export interface WebhookMessage {
  /** The request path, e.g. `/services/T000/B000/XXX`. */
  path: string;
  /** The JSON body, parsed (or the text, when it is not JSON). */
  body: unknown;
  receivedAt: Date;
}

/** A running sink: where to post, what it got, and how to stop it. */
export interface WebhookSink extends AsyncDisposable {
  /** `http://127.0.0.1:<port>/hook`: set it as the webhook Variable. */
  readonly url: string;
  /** Every message so far, oldest first. */
  readonly messages: WebhookMessage[];
  /** Resolves when `count` messages have arrived (or rejects after `timeoutMs`, default 5000). */
  waitFor(count: number, timeoutMs?: number): Promise<WebhookMessage[]>;
  close(): Promise<void>;
}

/**
 * A local stand-in for a Slack incoming webhook: an HTTP server on 127.0.0.1 (a free port) that
 * answers `ok` to every POST and records the JSON it received, so tests and `dagbox dev` can see
 * the alerts a DAG would send.
 *
 * ```ts
 * await using sink = await startWebhookSink();
 * // variables: { slack_webhook: sink.url }
 * expect(sink.messages[0].body).toMatchObject({ text: expect.stringContaining('failed') });
 * ```
 */
export async function startWebhookSink(options: { onMessage?: (message: WebhookMessage) => void } = {}): Promise<WebhookSink> {
  const messages: WebhookMessage[] = [];
  const waiters: { count: number; resolve: () => void }[] = [];
  const server = createServer((req, res) => void receive(req, res));
  async function receive(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method !== 'POST') {
      res.writeHead(405, { 'content-type': 'text/plain' }).end('post JSON here');
      return;
    }
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      // Not JSON: kept as text, as Slack would reject it but a test may want to see it.
    }
    const message = { path: req.url ?? '/', body, receivedAt: new Date() };
    messages.push(message);
    options.onMessage?.(message);
    for (const w of waiters.filter((w) => messages.length >= w.count)) w.resolve();
    res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
  }
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  let closed: Promise<void> | undefined;
  const close = () =>
    (closed ??= new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }));
  return {
    url: `http://127.0.0.1:${port}/hook`,
    messages,
    waitFor(count, timeoutMs = 5000) {
      if (messages.length >= count) return Promise.resolve(messages.slice());
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`expected ${count} webhook message(s) within ${timeoutMs} ms, received ${messages.length}`)), timeoutMs);
        waiters.push({ count, resolve: () => (clearTimeout(timer), resolve(messages.slice())) });
      });
    },
    close,
    [Symbol.asyncDispose]: close,
  };
}
