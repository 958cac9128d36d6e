import type { TaskCallback, TaskContext } from '../dag/types.ts';

/** Options of {@link slackAlert}. */
export interface SlackAlertOptions {
  /** The Variable holding the webhook URL (default `slack_webhook`). */
  webhookVariable?: string;
  /** A line put first, e.g. `<!here>` or `@data-eng`. */
  mention?: string;
  /** Give up on the webhook after this many ms (default 5000). */
  timeoutMs?: number;
}

/**
 * The course's `on_failure_callback`: post a Slack message (JSON `{ text }`) to the incoming
 * webhook whose URL is in a Variable, naming the DAG, task, logical date, try and error. Use it
 * as `onFailure` (or `onRetry`). In tests and `dagbox dev`, point the Variable at a
 * {@link startWebhookSink} to see what would be sent. A webhook that does not answer 2xx makes the
 * callback fail, which the task log records; the task's own state is not changed.
 *
 * ```ts
 * new Dag({ id: 'nps', ..., defaultArgs: { retries: 1, onFailure: slackAlert() } });
 * ```
 */
export function slackAlert(options: SlackAlertOptions = {}): TaskCallback {
  const variable = options.webhookVariable ?? 'slack_webhook';
  return async (ctx: TaskContext, error?: unknown) => {
    if (!ctx.variables.has(variable)) {
      throw new Error(`slackAlert needs the webhook URL in Variable "${variable}", which is not set; define it in dagbox.config.ts variables or DAGBOX_VAR_${variable.toUpperCase()}`);
    }
    const url = String(ctx.variables.get(variable));
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      // An error message may quote a connection URI; the alert leaves dagbox, so it is masked like a log line.
      body: JSON.stringify({ text: ctx.mask(alertText(ctx, error, options.mention)) }),
      signal: AbortSignal.timeout(options.timeoutMs ?? 5000),
    });
    if (!response.ok) throw new Error(`the Slack webhook answered ${response.status} ${response.statusText}: ${(await response.text()).slice(0, 200)}`);
    ctx.log.info(`alert posted to the webhook in Variable "${variable}"`);
  };
}

/** The message text: what failed, when, on which try, and why. */
export function alertText(ctx: TaskContext, error: unknown, mention?: string): string {
  const reason = error instanceof Error ? error.message : String(error ?? 'unknown error');
  return [
    ...(mention ? [mention] : []),
    `:red_circle: Task failed: ${ctx.dagId}.${ctx.taskId}`,
    `*DAG*: ${ctx.dagId}`,
    `*Task*: ${ctx.taskId}`,
    `*Logical date*: ${ctx.ds} (run ${ctx.runId})`,
    `*Try*: ${ctx.tryNumber}`,
    `*Error*: ${reason}`,
  ].join('\n');
}
