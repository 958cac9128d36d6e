import { columnCheck, Dag, http, s3ToWarehouse, slackAlert, tableCheck, writeCsvToS3, type TaskContext } from 'dagbox';

/**
 * A flaky source: a partner's order API that answers 503 now and then (fixtures/http/partner/:
 * on 2021-02-05 it never recovers, on 2021-02-06 the retry succeeds). Tasks retry once after 10
 * minutes (on the run's clock, so a simulated backfill does not wait), and a task that fails for
 * good posts a Slack alert to the webhook in Variable `slack_webhook` (the course's
 * on_failure_callback). endDate: the recorded responses cover 2021-02-05 to 2021-02-08.
 */
const dag = new Dag({
  id: 'partner_orders',
  description: "a partner's order API -> S3 -> raw_data.partner_orders (UPSERT), retried, alerting on failure",
  owner: 'data-eng',
  schedule: '@daily',
  startDate: '2021-02-05',
  endDate: '2021-02-08',
  catchup: true,
  maxActiveRuns: 1,
  tags: ['course', 'api', 'alerts'],
  inputs: ['https://partner.example.com/api/v1/orders'],
  outputs: ['s3://_/partner_orders/', 'raw_data.partner_orders'],
  defaultArgs: {
    retries: 1,
    retryDelay: '10m',
    onRetry: (ctx, error) => ctx.log.warn(`try ${ctx.tryNumber} failed, retrying: ${(error as Error).message}`),
    onFailure: slackAlert({ webhookVariable: 'slack_webhook' }),
  },
});

interface Order {
  order_id: number;
  ordered_at: string;
  partner: string;
  amount: string;
}

const extract = dag.task(
  'extract',
  http({ url: "https://partner.example.com/api/v1/orders?date={{ ds }}&key={{ var.value.get('partner_api_key', 'local-fixture-key') }}" }),
);

const stage = dag.task('stage', async (ctx: TaskContext) => {
  const { orders } = ctx.xcom.pull('extract') as { orders: Order[] };
  return writeCsvToS3(ctx, {
    key: `partner_orders/${ctx.ds}.csv`,
    columns: ['order_id', 'ordered_at', 'partner', 'amount'],
    rows: orders.map((o) => [o.order_id, o.ordered_at, o.partner, o.amount]),
  });
});

const load = dag.task(
  'load',
  s3ToWarehouse({
    s3Key: 'partner_orders/{{ ds }}.csv',
    schema: 'raw_data',
    table: 'partner_orders',
    copyOptions: ['CSV', 'IGNOREHEADER 1'],
    method: 'UPSERT',
  }),
);

const check = dag.task(
  'check',
  tableCheck({
    connId: 'redshift',
    table: 'raw_data.partner_orders',
    partitionClause: "DATE(ordered_at) = '{{ ds }}'",
    checks: {
      rows_out_equal_rows_in: { checkStatement: 'COUNT(*) = :staged' },
      amount_not_negative: { checkStatement: 'amount >= 0' },
    },
    parameters: (ctx) => ({ staged: (ctx.xcom.pull('stage') as { rows: number }).rows }),
  }),
);

const checkKeys = dag.task(
  'check_keys',
  columnCheck({
    connId: 'redshift',
    table: 'raw_data.partner_orders',
    columnMapping: { order_id: { null_check: { equal_to: 0 }, unique_check: { equal_to: 0 } } },
  }),
);

extract.to(stage).to(load).to([check, checkKeys]);

export default dag;
