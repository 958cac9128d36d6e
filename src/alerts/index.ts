/** Failure alerts: a Slack-style webhook callback, and a local sink that records what it would post. */
export { slackAlert, alertText } from './slack-alert.ts';
export type { SlackAlertOptions } from './slack-alert.ts';
export { startWebhookSink } from './webhook-sink.ts';
export type { WebhookMessage, WebhookSink } from './webhook-sink.ts';
