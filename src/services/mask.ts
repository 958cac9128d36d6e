import { randomBytes } from 'node:crypto';

/**
 * The URI with its password replaced by `***`; text that does not parse as a URL is returned with
 * anything between `:` and `@` after the scheme masked, so a malformed URI cannot leak either.
 *
 * ```ts
 * maskUri('postgres://etl:s3cret@127.0.0.1:5432/dev'); // 'postgres://etl:***@127.0.0.1:5432/dev'
 * ```
 */
export function maskUri(uri: string): string {
  try {
    const url = new URL(uri);
    if (url.password) url.password = '***';
    for (const key of [...url.searchParams.keys()]) {
      if (/secret|password|token/i.test(key)) url.searchParams.set(key, '***');
    }
    return url.toString();
  } catch {
    return uri.replace(/(\/\/[^:/@]*:)[^@]*@/, '$1***@');
  }
}

/** `text` with every occurrence of each non-empty secret replaced by `***` (for messages from servers). */
export function redact(text: string, secrets: ReadonlyArray<string | null | undefined>): string {
  let out = text;
  for (const secret of secrets) {
    if (secret && secret.length >= 3) {
      out = out.split(secret).join('***');
      const encoded = encodeURIComponent(secret);
      if (encoded !== secret) out = out.split(encoded).join('***');
    }
  }
  return out;
}

/** A fresh password for one session: 24 URL- and SQL-safe characters from crypto.randomBytes. */
export function generatePassword(): string {
  return randomBytes(18).toString('base64url');
}

/** A fresh id for one session, used in names of databases, buckets and records: 8 hex characters. */
export function generateSessionId(): string {
  return randomBytes(4).toString('hex');
}

