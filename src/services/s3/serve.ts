/**
 * The entry point of the `dagbox-s3` image (docker/s3): dagbox's own S3 server behind MinIO's image
 * contract, so the containers provider starts it exactly as it starts `minio/minio`. It is not MinIO.
 *
 *   node s3-server.mjs server /data      # MINIO_ROOT_USER / MINIO_ROOT_PASSWORD are the only key pair
 *
 * It listens on port 9000 of every interface of the container (the engine publishes it), answers
 * MinIO's unauthenticated `/minio/health/live` and `/minio/health/ready`, and stops on SIGTERM/SIGINT.
 */
import { createServer } from 'node:http';
import type { RequestListener } from 'node:http';
import { createS3Handler } from './s3-server.ts';

const PORT = 9000;
const HEALTH = new Set(['/minio/health/live', '/minio/health/ready']);

function withHealth(handler: RequestListener): RequestListener {
  return (req, res) => {
    const path = (req.url ?? '').split('?')[0] ?? '';
    if ((req.method === 'GET' || req.method === 'HEAD') && HEALTH.has(path)) {
      res.writeHead(200, { 'Content-Length': '0' });
      res.end();
      return;
    }
    handler(req, res);
  };
}

async function serve(args: string[]): Promise<void> {
  const [command, directory, ...rest] = args;
  if (command !== 'server' || !directory || rest.length > 0) {
    throw new Error(`expected the arguments "server <dir>" (as MinIO's image takes them), got "${args.join(' ')}".`);
  }
  // MinIO's defaults when the variables are unset.
  const credentials = {
    accessKeyId: process.env.MINIO_ROOT_USER || 'minioadmin',
    secretAccessKey: process.env.MINIO_ROOT_PASSWORD || 'minioadmin',
  };
  const s3 = await createS3Handler({ directory, credentials });
  const server = createServer(withHealth(s3.handler));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(PORT, '0.0.0.0', () => resolve());
  });
  process.stdout.write(`dagbox S3 server (s3rver, not MinIO) listening on port ${PORT}, objects in ${directory}\n`);
  const stop = () => {
    server.close(() => {
      s3.close();
      process.exit(0);
    });
    server.closeAllConnections();
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

serve(process.argv.slice(2)).catch((error: unknown) => {
  process.stderr.write(`dagbox S3 server: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
