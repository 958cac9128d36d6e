import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import type { Server } from 'node:net';
import { Readable } from 'node:stream';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS, createMysqlPool, createPostgresPool, createS3Client, SERVICE_KINDS } from '../../src/services/index.ts';
import type { ServiceKind, StartedService } from '../../src/services/index.ts';
import { isProcessAlive } from '../../src/services/processes.ts';
import { listenAddresses, testContext, waitGone } from './helpers/context.ts';
import type { TestContext } from './helpers/context.ts';

/** Backends under test: all, or those in DAGBOX_TEST_SERVICES (e.g. `postgres,s3`). */
const MATRIX: ServiceKind[] = process.env.DAGBOX_TEST_SERVICES
  ? (process.env.DAGBOX_TEST_SERVICES.split(',') as ServiceKind[])
  : [...SERVICE_KINDS];

/** A write then a read through the backend's own client, proving the handle's URI and credentials work. */
async function roundTrip(service: StartedService): Promise<unknown> {
  if (service.kind === 'postgres') {
    const pool = createPostgresPool(service);
    try {
      await pool.query('CREATE TABLE t (id int primary key, name text)');
      await pool.query("INSERT INTO t VALUES (1, 'ä'), (2, 'b')");
      return (await pool.query('SELECT current_database() AS db, current_user AS who, count(*)::int AS n FROM t')).rows[0];
    } finally {
      await pool.end();
    }
  }
  if (service.kind === 'mysql') {
    const pool = createMysqlPool(service);
    try {
      await pool.query('CREATE TABLE t (id int primary key, name varchar(10))');
      await pool.query("INSERT INTO t VALUES (1, 'ä'), (2, 'b')");
      const [rows] = await pool.query('SELECT database() AS db, current_user() AS who, count(*) AS n FROM t');
      return (rows as unknown[])[0];
    } finally {
      await pool.end();
    }
  }
  const s3 = createS3Client(service);
  try {
    await s3.send(new PutObjectCommand({ Bucket: service.database, Key: 'dir/a b+c/ü.csv', Body: 'id,name\n1,ä\n' }));
    const got = await s3.send(new GetObjectCommand({ Bucket: service.database, Key: 'dir/a b+c/ü.csv' }));
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: service.database, Prefix: 'dir/a b+c/' }));
    return { body: await got.Body?.transformToString(), keys: listed.Contents?.map((o) => o.Key) };
  } finally {
    s3.destroy();
  }
}

const EXPECTED: Record<ServiceKind, unknown> = {
  postgres: { db: 'dagbox', who: 'dagbox', n: 2 },
  mysql: { db: 'dagbox', who: 'dagbox@%', n: 2 },
  s3: { body: 'id,name\n1,ä\n', keys: ['dir/a b+c/ü.csv'] },
};

describe.each(MATRIX)('local provider: %s', (kind) => {
  let ctx: TestContext;
  let service: StartedService;

  beforeAll(async () => {
    ctx = testContext();
    service = await BACKENDS[kind].startLocal(ctx);
  });

  afterAll(async () => {
    await service?.stop();
    ctx?.cleanup();
  });

  it('serves a write and a read through its own client with the generated credentials', async () => {
    expect(service.provider).toBe('local');
    expect(service.host).toBe('127.0.0.1');
    expect(await roundTrip(service)).toEqual(EXPECTED[kind]);
  });

  it('listens on 127.0.0.1 only', () => {
    expect(listenAddresses(service.port)).toEqual(['127.0.0.1']);
  });

  it('describes itself as an Airflow connection and a URI, masking the password in logs', () => {
    const connection = service.connection(kind);
    expect(connection.password).toBe(service.password);
    expect(service.password.length).toBeGreaterThanOrEqual(24);
    expect(service.getMaskedUri()).not.toContain(service.password);
    expect(ctx.lines.join('\n')).not.toContain(service.password);
    if (kind === 's3') {
      expect(connection).toMatchObject({ connType: 'aws', login: service.username, extra: { endpoint_url: service.getConnectionUri(), region_name: 'us-east-1' } });
      expect(service.getConnectionUri()).toBe(`http://127.0.0.1:${service.port}`);
    } else {
      expect(connection).toMatchObject({ connType: kind, host: '127.0.0.1', port: service.port, login: 'dagbox', schema: 'dagbox' });
      expect(service.getConnectionUri()).toBe(`${kind}://dagbox:${service.password}@127.0.0.1:${service.port}/dagbox`);
      expect(service.getMaskedUri()).toBe(`${kind}://dagbox:***@127.0.0.1:${service.port}/dagbox`);
    }
  });

  it('stop kills its server process, removes its temp dir and its ownership record, and is idempotent', async () => {
    const owned = ctx.ownership.snapshot();
    expect(owned.dirs).toHaveLength(1);
    expect(owned.dirs.every((d) => existsSync(d))).toBe(true);
    expect(owned.processes).toHaveLength(kind === 's3' ? 0 : 1);
    for (const p of owned.processes) expect(isProcessAlive(p.pid)).toBe(true);
    await Promise.all([service.stop(), service.stop()]);
    await service.stop();
    for (const p of owned.processes) expect(await waitGone(p.pid, 100)).toBe(true);
    expect(owned.dirs.some((d) => existsSync(d))).toBe(false);
    expect(existsSync(ctx.ownership.file)).toBe(false);
  });
});

describe.each(MATRIX)('local provider on a port already taken: %s', (kind) => {
  let blocker: Server;
  let taken: number;

  beforeAll(async () => {
    blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    taken = (blocker.address() as { port: number }).port;
  });

  afterAll(() => new Promise<void>((resolve) => blocker.close(() => resolve())));

  it('retries on another free port and says so', async () => {
    const ctx = testContext();
    try {
      await using service = await BACKENDS[kind].startLocal(ctx, { port: taken });
      expect(service.port).not.toBe(taken);
      expect(ctx.lines.join('\n')).toContain(`${kind}: port ${taken} is taken, retrying on port ${service.port}`);
      expect(await roundTrip(service)).toEqual(EXPECTED[kind]);
    } finally {
      ctx.cleanup();
    }
  });
});

describe.runIf(MATRIX.includes('s3'))('local s3', () => {
  let ctx: TestContext;
  let service: StartedService;
  let s3: S3Client;

  beforeAll(async () => {
    ctx = testContext();
    service = await BACKENDS.s3.startLocal(ctx);
    s3 = createS3Client(service);
  });

  afterAll(async () => {
    s3?.destroy();
    await service?.stop();
    ctx?.cleanup();
  });

  const payload = randomBytes(307_200);
  const read = async (key: string) => {
    const got = await s3.send(new GetObjectCommand({ Bucket: service.database, Key: key }));
    return Buffer.from(await (got.Body as NonNullable<typeof got.Body>).transformToByteArray());
  };

  // Regression: with the SDK's default checksum setting, s3rver stored the aws-chunked framing of a
  // streamed PutObject (307,280 bytes kept for 307,200 sent, no error). createS3Client must prevent it.
  it('round-trips a streamed 307,200-byte PutObject byte for byte', async () => {
    const body = Readable.from([payload.subarray(0, 100_000), payload.subarray(100_000)]);
    await s3.send(new PutObjectCommand({ Bucket: service.database, Key: 'stream.bin', Body: body, ContentLength: payload.length }));
    const back = await read('stream.bin');
    expect(back.length).toBe(307_200);
    expect(back.equals(payload)).toBe(true);
  });

  it('round-trips a 307,200-byte stream of unknown length through lib-storage Upload', async () => {
    await new Upload({ client: s3, params: { Bucket: service.database, Key: 'upload.bin', Body: Readable.from([payload]) } }).done();
    const back = await read('upload.bin');
    expect(back.length).toBe(307_200);
    expect(back.equals(payload)).toBe(true);
  });

  it("round-trips a 6 MB multipart upload over an existing object, with S3's multipart ETag", async () => {
    await s3.send(new PutObjectCommand({ Bucket: service.database, Key: 'multi.bin', Body: 'old' }));
    const big = randomBytes(6 * 1024 * 1024);
    await new Upload({ client: s3, partSize: 5 * 1024 * 1024, params: { Bucket: service.database, Key: 'multi.bin', Body: Readable.from([big]) } }).done();
    expect((await read('multi.bin')).equals(big)).toBe(true);
    const md5 = (b: Buffer) => createHash('md5').update(b).digest();
    const parts = Buffer.concat([md5(big.subarray(0, 5 * 1024 * 1024)), md5(big.subarray(5 * 1024 * 1024))]);
    const head = await s3.send(new HeadObjectCommand({ Bucket: service.database, Key: 'multi.bin' }));
    expect(head.ETag).toBe(`"${md5(parts).toString('hex')}-2"`);
    expect(head.ContentLength).toBe(big.length);
  });

  it('refuses to complete a multipart upload with a part that was never uploaded, writes nothing, and aborts it', async () => {
    const Bucket = service.database;
    const Key = 'half.bin';
    const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket, Key }));
    const one = await s3.send(new UploadPartCommand({ Bucket, Key, UploadId, PartNumber: 1, Body: randomBytes(5 * 1024 * 1024) }));
    const complete = new CompleteMultipartUploadCommand({ Bucket, Key, UploadId, MultipartUpload: { Parts: [{ PartNumber: 1, ETag: one.ETag }, { PartNumber: 2, ETag: one.ETag }] } });
    await expect(s3.send(complete)).rejects.toMatchObject({ name: 'InvalidPart' });
    await expect(s3.send(new HeadObjectCommand({ Bucket, Key }))).rejects.toMatchObject({ $metadata: { httpStatusCode: 404 } });
    const unknown = new CompleteMultipartUploadCommand({ Bucket, Key, UploadId: 'f'.repeat(32), MultipartUpload: { Parts: [{ PartNumber: 1, ETag: one.ETag }] } });
    await expect(s3.send(unknown)).rejects.toMatchObject({ name: 'NoSuchUpload' });
    await s3.send(new AbortMultipartUploadCommand({ Bucket, Key, UploadId }));
    await expect(s3.send(complete)).rejects.toMatchObject({ name: 'NoSuchUpload' });
    await expect(s3.send(new AbortMultipartUploadCommand({ Bucket, Key, UploadId }))).rejects.toMatchObject({ name: 'NoSuchUpload' });
  });

  it('refuses a wrong secret, the s3rver default key and unsigned requests', async () => {
    const clientWith = (accessKeyId: string, secretAccessKey: string) =>
      new S3Client({ endpoint: service.getConnectionUri(), region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId, secretAccessKey } });
    const list = (client: S3Client) => client.send(new ListObjectsV2Command({ Bucket: service.database })).finally(() => client.destroy());
    await expect(list(clientWith(service.username, 'not-the-secret'))).rejects.toMatchObject({ name: 'SignatureDoesNotMatch' });
    await expect(list(clientWith('S3RVER', 'S3RVER'))).rejects.toMatchObject({ name: 'InvalidAccessKeyId' });
    expect((await fetch(`${service.getConnectionUri()}/${service.database}`)).status).toBe(403);
  });
});
