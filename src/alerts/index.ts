/**
 * Failure alerts: a Slack-style webhook callback, and a local sink that records what it would post.
 *
 * May import: dag/ (types), shared/ (the layers are checked by .dependency-cruiser.cjs).
 */
export { slackAlert, alertText } from './slack-alert.ts';
export type { SlackAlertOptions } from './slack-alert.ts';
export { startWebhookSink } from './webhook-sink.ts';
export type { WebhookMessage, WebhookSink } from './webhook-sink.ts';
