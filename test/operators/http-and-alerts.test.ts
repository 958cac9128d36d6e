import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { alertText, slackAlert, startWebhookSink } from '../../src/alerts/index.ts';
import { createVariables } from '../../src/config/variables.ts';
import { Masker } from '../../src/run/index.ts';
import type { TaskContext } from '../../src/dag/types.ts';
import { explainMiss, findFixture, loadHttpFixtures } from '../../src/operators/http-fixtures.ts';
import { http } from '../../src/operators/index.ts';

const dir = mkdtempSync(join(tmpdir(), 'dagbox-http-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
writeFileSync(
  join(dir, 'orders.json'),
  JSON.stringify([
    { request: { url: 'https://api.example.com/v1/orders?date=2021-02-05', query: { key: '*' } }, responses: [{ status: 503, body: 'busy' }, { json: { orders: [1, 2] } }] },
    { request: { method: 'POST', url: 'https://api.example.com/v1/orders' }, response: { status: 201, body: 'created' } },
  ]),
);

const masker = new Masker();
masker.add('pa55word-of-prod');

/** A minimal task context: what the http operator and slackAlert read. */
function context(over: Partial<TaskContext> = {}): TaskContext {
  const lines: string[] = [];
  return {
    dagId: 'd',
    taskId: 't',
    runId: 'manual__2021-02-05T00:00:00+00:00',
    tryNumber: 1,
    ds: '2021-02-05',
    variables: createVariables({}, {}),
    log: { info: (l: string) => lines.push(l), warn: (l: string) => lines.push(l), error: (l: string) => lines.push(l) },
    mask: (text: string) => masker.mask(text),
    lines,
    ...over,
  } as unknown as TaskContext;
}

describe('HTTP fixtures', () => {
  it('match by method, URL and query (with * for any value), and explain near misses', async () => {
    const fixtures = await loadHttpFixtures(dir);
    expect(findFixture(fixtures, 'GET', 'https://api.example.com/v1/orders?key=abc&date=2021-02-05')?.file).toBe('orders.json');
    expect(findFixture(fixtures, 'GET', 'https://api.example.com/v1/orders?date=2021-02-05')).toBeNull();
    expect(findFixture(fixtures, 'GET', 'https://api.example.com/v1/orders?date=2021-02-06&key=x')).toBeNull();
    expect(explainMiss(fixtures, 'GET', 'https://api.example.com/v1/orders?date=2021-02-06&key=x')).toEqual([
      'orders.json: date is "2021-02-06", the fixture has "2021-02-05"',
      'orders.json answers POST, not GET',
    ]);
  });

  it('the http operator answers each try from the recorded responses, and fails on 4xx/5xx', async () => {
    const op = http({ url: 'https://api.example.com/v1/orders?date={{ ds }}&key=k', fixturesDir: dir });
    const args = { ...op.args, url: 'https://api.example.com/v1/orders?date=2021-02-05&key=k' };
    await expect(op.execute(context(), args)).rejects.toThrow('GET https://api.example.com/v1/orders?date=2021-02-05&key=k answered 503: busy');
    expect(await op.execute(context({ tryNumber: 2 }), args)).toEqual({ orders: [1, 2] });
    expect(await op.execute(context({ tryNumber: 5 }), args)).toEqual({ orders: [1, 2] });
    const filtered = http({ ...args, responseFilter: (r) => (r.json() as { orders: number[] }).orders.length });
    expect(await filtered.execute(context({ tryNumber: 2 }), filtered.args)).toBe(2);
  });

  it('a request no fixture answers fails naming the URL, and never reaches the network', async () => {
    const op = http({ url: 'https://api.example.com/v2/unknown', fixturesDir: dir });
    await expect(op.execute(context(), op.args)).rejects.toThrow(/^no HTTP fixture answers GET https:\/\/api\.example\.com\/v2\/unknown \(dagbox never calls the network\)\. None of the 2 fixture\(s\)/);
  });

  it('without a fixtures folder it says where to put one', async () => {
    const op = http({ url: 'https://api.example.com/v1/orders' });
    await expect(op.execute(context(), op.args)).rejects.toThrow('no fixtures folder to answer GET https://api.example.com/v1/orders from');
  });
});

describe('slackAlert and the webhook sink', () => {
  it('posts the failure as Slack JSON to the URL in the Variable; the sink records it', async () => {
    await using sink = await startWebhookSink();
    expect(sink.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/hook$/);
    const ctx = context({ variables: createVariables({ slack_webhook: sink.url }, {}), tryNumber: 2 });
    await slackAlert()(ctx, new Error('source table prod.nps is missing'));
    const [message] = await sink.waitFor(1);
    expect(message!.path).toBe('/hook');
    expect(message!.body).toEqual({ text: alertText(ctx, new Error('source table prod.nps is missing')) });
    expect((message!.body as { text: string }).text).toContain('*Error*: source table prod.nps is missing');
  });

  it('masks secrets in the alert: it leaves dagbox like a log line does', async () => {
    await using sink = await startWebhookSink();
    const ctx = context({ variables: createVariables({ slack_webhook: sink.url }, {}) });
    await slackAlert()(ctx, new Error('cannot connect to mysql://etl:pa55word-of-prod@10.0.0.5/prod'));
    const [message] = await sink.waitFor(1);
    const text = (message!.body as { text: string }).text;
    expect(text).toContain('mysql://etl:***@10.0.0.5/prod');
    expect(text).not.toContain('pa55word-of-prod');
  });

  it('a missing Variable or a failing webhook is an error for the task log', async () => {
    await expect(slackAlert({ webhookVariable: 'alerts_hook' })(context(), new Error('x'))).rejects.toThrow('slackAlert needs the webhook URL in Variable "alerts_hook"');
    const ctx = context({ variables: createVariables({ slack_webhook: 'http://127.0.0.1:9/closed' }, {}) });
    await expect(slackAlert({ timeoutMs: 2000 })(ctx, new Error('x'))).rejects.toThrow();
  });
});
