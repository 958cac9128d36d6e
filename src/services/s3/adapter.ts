import type { Connection } from '../../config/connection.ts';
import type { ServiceAdapter, ServiceEndpoint } from '../handle.ts';

/** The region dagbox's S3 servers and clients agree on. */
export const S3_REGION = 'us-east-1';

/** An S3 endpoint: the service adapter's endpoint plus the scheme (MinIO and s3rver speak http locally). */
export interface S3Endpoint extends ServiceEndpoint {
  readonly secure?: boolean;
  readonly region?: string;
}

/** `http://127.0.0.1:port`, the endpoint URL (no credentials in it, so nothing to mask). */
export function endpointUrl(e: S3Endpoint): string {
  return `${e.secure ? 'https' : 'http'}://${e.host.includes(':') ? `[${e.host}]` : e.host}:${e.port}`;
}

/**
 * S3 as an Airflow `aws` connection: the access key in `login`, the secret in `password` (both read by
 * Airflow's AWS hooks), and `endpoint_url` / `region_name` / `aws_access_key_id` in `extra`. The secret is
 * deliberately not copied into `extra`, where log masking (which masks the password) would miss it.
 */
export const s3Adapter: ServiceAdapter = {
  kind: 's3',
  uri: (e: ServiceEndpoint) => endpointUrl(e),
  connection: (connId: string, e: S3Endpoint): Connection => ({
    connId,
    connType: 'aws',
    host: null,
    port: null,
    login: e.username,
    password: e.password,
    schema: null,
    extra: { endpoint_url: endpointUrl(e), region_name: e.region ?? S3_REGION, aws_access_key_id: e.username },
  }),
};
