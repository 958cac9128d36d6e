import type { ServiceBackend } from '../types.ts';
import { startS3Container } from './container.ts';
import { startExternalS3 } from './external.ts';
import { s3LocalAvailability, startLocalS3 } from './local.ts';

/** S3 (the object store) from a MinIO container, s3rver in-process or a given endpoint URI. */
export const s3Backend: ServiceBackend = {
  kind: 's3',
  envVar: 'DAGBOX_CONN_S3',
  exampleUri: 'http://ACCESS_KEY:SECRET@127.0.0.1:9000',
  installHint: 'npm install s3rver (a dependency of dagbox; reinstall dependencies)',
  localAvailability: s3LocalAvailability,
  startContainer: startS3Container,
  startLocal: startLocalS3,
  startExternal: startExternalS3,
};

export { S3_REGION, s3Adapter } from './adapter.ts';
export { createS3Client, createS3ClientFor, deleteBucket } from './client.ts';
export { startS3Container } from './container.ts';
export { startExternalS3 } from './external.ts';
export { startLocalS3 } from './local.ts';
