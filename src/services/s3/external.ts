import { performance } from 'node:perf_hooks';
import { CreateBucketCommand, HeadBucketCommand } from '@aws-sdk/client-s3';
import type { Connection } from '../../config/connection.ts';
import type { OwnedExternal } from '../ownership.ts';
import { createOwned, dropLeftovers, externalError, parseExternalUri } from '../external.ts';
import { createStartedService } from '../handle.ts';
import { maskUri } from '../mask.ts';
import type { ProviderContext, StartedService } from '../types.ts';
import { Wait, waitUntilReady } from '../wait.ts';
import { S3_REGION, s3Adapter } from './adapter.ts';
import { createS3ClientFor, deleteBucket } from './client.ts';
import type { S3Target } from './client.ts';

/**
 * Uses an S3-compatible server the user runs, e.g. from DAGBOX_CONN_S3, given either as the endpoint
 * with the key pair in it (`http://ACCESS_KEY:SECRET@127.0.0.1:9000?region=us-east-1`) or in Airflow's
 * form (`aws://ACCESS_KEY:SECRET@/?endpoint_url=http%3A%2F%2F127.0.0.1%3A9000&region_name=us-east-1`).
 * Creates the bucket `dagbox-<session>` there, and on stop deletes its objects and the bucket.
 *
 * ```ts
 * await using s3 = await startExternalS3(ctx, 'http://minio:minio123@127.0.0.1:9000');
 * s3.database; // 'dagbox-1a2b3c4d'
 * ```
 */
export async function startExternalS3(ctx: ProviderContext, uri: string, opts: { timeoutMs?: number } = {}): Promise<StartedService> {
  const started = performance.now();
  const c = parseExternalUri('s3', withPlaceholderHost(uri), ['http', 'https', 'aws']);
  const target = s3Target(uri, c);
  const url = new URL(target.endpoint);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const port = Number(url.port) || (url.protocol === 'https:' ? 443 : 80);
  const secrets = [target.secretAccessKey];
  try {
    await waitUntilReady(Wait.forListeningPort(host, port), { timeoutMs: opts.timeoutMs ?? 10_000 });
  } catch (error) {
    throw externalError('s3', uri, 'connect', error, secrets);
  }
  const endpoint = `${host}:${port}`;
  const name = `dagbox-${ctx.session}`;
  const client = createS3ClientFor(target);
  let owned: OwnedExternal;
  try {
    await dropLeftovers(ctx, 's3', endpoint, (leftover) => deleteBucket(client, leftover));
    owned = await createOwned(ctx, { kind: 's3', endpoint, name }, async () => {
      await client.send(new CreateBucketCommand({ Bucket: name }));
      await client.send(new HeadBucketCommand({ Bucket: name }));
    });
  } catch (error) {
    throw externalError('s3', uri, `create bucket ${name}`, error, secrets);
  } finally {
    client.destroy();
  }
  return createStartedService(
    s3Adapter,
    {
      host,
      port,
      username: target.accessKeyId,
      password: target.secretAccessKey,
      database: name,
      secure: url.protocol === 'https:',
      region: target.region,
      provider: 'external',
      description: `external server ${endpoint} (bucket ${name})`,
      startupMs: performance.now() - started,
    },
    async () => {
      const dropper = createS3ClientFor(target);
      try {
        await deleteBucket(dropper, name);
      } catch (error) {
        throw externalError('s3', uri, `delete bucket ${name}`, error, secrets);
      } finally {
        dropper.destroy();
      }
      ctx.ownership.removeExternal(owned);
    },
  );
}

/**
 * Airflow writes AWS connections without a host (`aws://KEY:SECRET@/?endpoint_url=...`), which WHATWG
 * URLs reject; a placeholder host makes them parse (the host of an aws:// URI is not used).
 */
function withPlaceholderHost(uri: string): string {
  return uri.replace(/^((?:aws|s3):\/\/[^/?#@]*@)(?=[/?#]|$)/, '$1aws');
}

/** The endpoint, region and key pair from either URI form. */
function s3Target(uri: string, c: Connection): S3Target {
  const region = String(c.extra.region_name ?? c.extra.region ?? S3_REGION);
  const accessKeyId = c.login ?? String(c.extra.aws_access_key_id ?? '');
  const secretAccessKey = c.password ?? String(c.extra.aws_secret_access_key ?? '');
  if (!accessKeyId || !secretAccessKey) {
    throw new Error(
      `s3: the external server URI ${maskUri(uri)} has no access key and secret; give them as http://ACCESS_KEY:SECRET@host:port.`,
    );
  }
  if (c.connType === 'aws') {
    const endpoint = c.extra.endpoint_url;
    if (typeof endpoint !== 'string' || !endpoint) {
      throw new Error('s3: an aws:// URI for an external S3 server needs ?endpoint_url=http://host:port (dagbox never talks to real AWS by default).');
    }
    return { endpoint: endpoint.replace(/\/$/, ''), region, accessKeyId, secretAccessKey };
  }
  const port = c.port ? `:${c.port}` : '';
  const host = c.host?.includes(':') ? `[${c.host}]` : c.host;
  return { endpoint: `${c.connType}://${host}${port}`, region, accessKeyId, secretAccessKey };
}
