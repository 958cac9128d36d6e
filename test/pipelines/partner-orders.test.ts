import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startPipelineHarness, states, type PipelineHarness } from './harness.ts';

let h: PipelineHarness;
beforeAll(async () => {
  h = await startPipelineHarness();
});
afterAll(() => h?.close());
beforeEach(() => h.reset());

describe('pipeline partner_orders (a flaky API: retries, then a Slack alert)', () => {
  it('fails the day that never recovers and alerts the webhook once; retries the 503 that does recover', async () => {
    const runs = await h.backfill('partner_orders', '2021-02-05', '2021-02-08');
    expect(runs.map((r) => r.state)).toEqual(['failed', 'success', 'success']);
    const extract = (i: number) => runs[i]!.tasks.find((t) => t.taskId === 'extract')!;
    expect([extract(0).tryNumber, extract(1).tryNumber, extract(2).tryNumber]).toEqual([2, 2, 1]);
    expect(states(runs[0]!)).toEqual({ extract: 'failed', stage: 'upstream_failed', load: 'upstream_failed', check: 'upstream_failed', check_keys: 'upstream_failed' });

    expect(h.sink.messages).toHaveLength(1);
    const text = (h.sink.messages[0]!.body as { text: string }).text;
    expect(text).toContain(':red_circle: Task failed: partner_orders.extract');
    expect(text).toContain('*Logical date*: 2021-02-05');
    expect(text).toContain('*Try*: 2');
    expect(text).toContain('answered 503: Service Unavailable');

    expect(await h.pg('SELECT order_id, ordered_at, partner, amount FROM raw_data.partner_orders ORDER BY order_id')).toEqual([
      { order_id: '5002', ordered_at: '2021-02-06 11:05:00', partner: 'coupang', amount: '45000.00' },
      { order_id: '5003', ordered_at: '2021-02-06 20:30:00', partner: 'kakao', amount: '1500.00' },
      { order_id: '5004', ordered_at: '2021-02-06 23:59:59', partner: 'baemin', amount: '0.99' },
      { order_id: '5005', ordered_at: '2021-02-07 10:00:00', partner: 'kakao', amount: '7000.00' },
      { order_id: '5006', ordered_at: '2021-02-07 17:40:00', partner: 'baemin', amount: '8900.50' },
    ]);
  });

  it('the retry waits retryDelay on the virtual clock, not in real time', async () => {
    const [run] = await h.backfill('partner_orders', '2021-02-06', '2021-02-07');
    expect(run!.state).toBe('success');
    const extract = run!.tasks.find((t) => t.taskId === 'extract')!;
    expect(extract.endedAt!.getTime() - extract.startedAt!.getTime()).toBeGreaterThanOrEqual(10 * 60_000);
    expect(extract.log.join('\n')).toContain('try 1 failed, retrying: GET https://partner.example.com/api/v1/orders?date=2021-02-06');
  });
});
