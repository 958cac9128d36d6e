import { parseConnection } from '../config/connection.ts';
import type { Connection } from '../config/connection.ts';
import type { OwnedExternal } from './ownership.ts';
import { errorMessage } from '../shared/errors.ts';
import { maskUri, redact } from './mask.ts';
import type { ProviderContext, ServiceKind } from './types.ts';

/**
 * Parses the URI of a server the user runs, checking its type; errors show the URI masked.
 *
 * ```ts
 * parseExternalUri('postgres', 'postgres://etl:pw@db:5432/dev', ['postgres']).login; // 'etl'
 * ```
 */
export function parseExternalUri(kind: ServiceKind, uri: string, types: readonly string[]): Connection {
  let connection: Connection;
  try {
    connection = parseConnection(kind, uri);
  } catch (error) {
    // No `cause`: URL's TypeError carries the raw input, password included, and test runners print it.
    // eslint-disable-next-line preserve-caught-error -- the cause would leak the password
    throw new Error(`${kind}: the external server URI ${maskUri(uri)} does not parse (${redact(errorMessage(error), [uri])}).`);
  }
  if (!types.includes(connection.connType)) {
    throw new Error(
      `${kind}: the external server URI ${maskUri(uri)} is of type "${connection.connType}", expected ${types.map((t) => `${t}://`).join(' or ')}.`,
    );
  }
  return connection;
}

/** An error about an external server: names the service and the masked URI, never the password. */
export function externalError(kind: ServiceKind, uri: string, doing: string, error: unknown, secrets: ReadonlyArray<string | null>): Error {
  const detail = redact(errorMessage(error), secrets);
  return new Error(`${kind}: could not ${doing} on the external server ${maskUri(uri)}: ${detail}. Check that the server runs, the URI is right and its user may create databases.`);
}

/**
 * Drops databases or buckets that sessions which died (SIGKILL) left on this server, as recorded in
 * their ownership records; failures are reported and the record kept for a later try.
 */
export async function dropLeftovers(
  ctx: ProviderContext,
  kind: ServiceKind,
  endpoint: string,
  drop: (name: string) => Promise<void>,
): Promise<void> {
  for (const leftover of ctx.leftovers?.on(kind, endpoint) ?? []) {
    try {
      await drop(leftover.name);
      ctx.leftovers?.forget(leftover);
      ctx.log(`${kind}: dropped ${leftover.name} on ${endpoint}, left behind by a session that ended without stopping its services`);
    } catch (error) {
      ctx.log(`${kind}: could not drop ${leftover.name} on ${endpoint}, left behind by an earlier session (${errorMessage(error)}); will try again next time`);
    }
  }
}

/**
 * Creates the session's database or bucket, recording it first so that a session killed right after
 * creating it still gets it dropped by the next one. Returns the record, for the teardown to remove.
 */
export async function createOwned(ctx: ProviderContext, owned: OwnedExternal, create: () => Promise<void>): Promise<OwnedExternal> {
  ctx.ownership.addExternal(owned);
  try {
    await create();
  } catch (error) {
    ctx.ownership.removeExternal(owned);
    throw error;
  }
  return owned;
}
