import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/** An S3 access key pair. */
export interface S3Credentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
}

/** Result of {@link verifySignatureV4}: S3's error code and message when the request is refused. */
export type SignatureCheck = { ok: true } | { ok: false; code: 'AccessDenied' | 'InvalidAccessKeyId' | 'SignatureDoesNotMatch'; message: string };

/**
 * Checks an S3 request's AWS Signature Version 4 (Authorization header or presigned query) against the
 * session's key pair. s3rver itself accepts unsigned requests and never checks V4 signatures, so without
 * this gate its generated credentials would mean nothing. The payload hash is taken as declared in
 * `x-amz-content-sha256` (as s3rver does); the headers, path, query and key are verified.
 */
export function verifySignatureV4(req: IncomingMessage, credentials: S3Credentials, now = Date.now()): SignatureCheck {
  const parsed = parseAuthorization(req);
  if (!parsed) {
    return { ok: false, code: 'AccessDenied', message: 'This dagbox S3 server only accepts requests signed with AWS Signature Version 4 by the session credentials.' };
  }
  if (parsed.accessKeyId !== credentials.accessKeyId) {
    return { ok: false, code: 'InvalidAccessKeyId', message: 'The AWS Access Key Id you provided does not exist in our records.' };
  }
  if (parsed.expiresAt !== undefined && now > parsed.expiresAt) {
    return { ok: false, code: 'AccessDenied', message: 'Request has expired' };
  }
  const expected = signature(credentials.secretAccessKey, parsed, canonicalRequest(req, parsed));
  const given = Buffer.from(parsed.signature, 'utf8');
  const wanted = Buffer.from(expected, 'utf8');
  if (given.length !== wanted.length || !timingSafeEqual(given, wanted)) {
    return {
      ok: false,
      code: 'SignatureDoesNotMatch',
      message: 'The request signature we calculated does not match the signature you provided. Check your key and signing method.',
    };
  }
  return { ok: true };
}

interface ParsedAuthorization {
  readonly accessKeyId: string;
  /** `20240101/us-east-1/s3/aws4_request`. */
  readonly scope: string;
  readonly amzDate: string;
  readonly signedHeaders: string[];
  readonly signature: string;
  readonly payloadHash: string;
  /** Presigned URLs only. */
  readonly expiresAt?: number;
  readonly presigned: boolean;
}

function parseAuthorization(req: IncomingMessage): ParsedAuthorization | undefined {
  const header = req.headers.authorization;
  if (header) return parseHeader(header, req);
  const query = new URL(req.url ?? '/', 'http://x').searchParams;
  if (query.get('X-Amz-Algorithm') === 'AWS4-HMAC-SHA256') return parseQuery(query);
  return undefined;
}

function parseHeader(header: string, req: IncomingMessage): ParsedAuthorization | undefined {
  const match = /^AWS4-HMAC-SHA256\s+Credential=([^,\s]+),\s*SignedHeaders=([^,\s]+),\s*Signature=([0-9a-f]+)$/i.exec(header.trim());
  if (!match) return undefined;
  const [accessKeyId, ...scope] = (match[1] as string).split('/');
  const amzDate = first(req.headers['x-amz-date']) ?? '';
  return {
    accessKeyId: accessKeyId ?? '',
    scope: scope.join('/'),
    amzDate,
    signedHeaders: (match[2] as string).split(';'),
    signature: (match[3] as string).toLowerCase(),
    payloadHash: first(req.headers['x-amz-content-sha256']) ?? 'UNSIGNED-PAYLOAD',
    presigned: false,
  };
}

function parseQuery(query: URLSearchParams): ParsedAuthorization {
  const [accessKeyId, ...scope] = (query.get('X-Amz-Credential') ?? '').split('/');
  const amzDate = query.get('X-Amz-Date') ?? '';
  const expires = Number(query.get('X-Amz-Expires') ?? 604_800);
  return {
    accessKeyId: accessKeyId ?? '',
    scope: scope.join('/'),
    amzDate,
    signedHeaders: (query.get('X-Amz-SignedHeaders') ?? 'host').split(';'),
    signature: (query.get('X-Amz-Signature') ?? '').toLowerCase(),
    payloadHash: 'UNSIGNED-PAYLOAD',
    expiresAt: parseAmzDate(amzDate) + expires * 1000,
    presigned: true,
  };
}

function canonicalRequest(req: IncomingMessage, auth: ParsedAuthorization): string {
  const raw = req.url ?? '/';
  const q = raw.indexOf('?');
  // The client sent the path already URI-encoded once, which is S3's canonical form (no re-encoding).
  const path = q < 0 ? raw : raw.slice(0, q);
  const query = q < 0 ? '' : raw.slice(q + 1);
  return [
    req.method ?? 'GET',
    path || '/',
    canonicalQuery(query, auth.presigned),
    ...auth.signedHeaders.map((name) => `${name}:${headerValue(req, name)}`),
    '',
    auth.signedHeaders.join(';'),
    auth.payloadHash,
  ].join('\n');
}

function canonicalQuery(query: string, presigned: boolean): string {
  return query
    .split('&')
    .filter(Boolean)
    .map((pair) => {
      const eq = pair.indexOf('=');
      const key = decode(eq < 0 ? pair : pair.slice(0, eq));
      const value = eq < 0 ? '' : decode(pair.slice(eq + 1));
      return [rfc3986(key), rfc3986(value)] as const;
    })
    .filter(([key]) => !(presigned && key === 'X-Amz-Signature'))
    .sort(([ak, av], [bk, bv]) => (ak < bk ? -1 : ak > bk ? 1 : av < bv ? -1 : av > bv ? 1 : 0))
    .map(([key, value]) => `${key}=${value}`)
    .join('&');
}

// All values of a header, as sent, trimmed and with inner runs of spaces collapsed, joined by commas.
function headerValue(req: IncomingMessage, name: string): string {
  const values: string[] = [];
  for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) {
    if ((req.rawHeaders[i] as string).toLowerCase() === name) values.push((req.rawHeaders[i + 1] as string).trim().replace(/\s+/g, ' '));
  }
  return values.join(',');
}

function signature(secret: string, auth: ParsedAuthorization, canonical: string): string {
  const [date = '', region = '', service = '', terminator = ''] = auth.scope.split('/');
  const stringToSign = ['AWS4-HMAC-SHA256', auth.amzDate, auth.scope, sha256Hex(canonical)].join('\n');
  const key = [date, region, service, terminator].reduce<Buffer>((k, part) => hmac(k, part), Buffer.from(`AWS4${secret}`, 'utf8'));
  return createHmac('sha256', key).update(stringToSign, 'utf8').digest('hex');
}

function hmac(key: Buffer, data: string): Buffer {
  return createHmac('sha256', key).update(data, 'utf8').digest();
}

function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

function rfc3986(text: string): string {
  return encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function decode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

function first(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function parseAmzDate(text: string): number {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(text);
  return m ? Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!) : 0;
}
