import type { Connections, Variables } from '../dag/types.ts';
import type { Connection } from '../config/connection.ts';
import { sensitiveValues } from '../config/variables.ts';
import { collectSensitive } from '../config/sensitive.ts';
import { escapeRegExp } from '../shared/regexp.ts';

/** Secrets shorter than this are not masked: masking `"a"` would garble every line. */
export const MIN_SECRET_LENGTH = 3;

const MASK = '***';

/**
 * Replaces every known secret in a text by `***`, longest secret first (so a secret that
 * contains another is masked whole). Secrets shorter than {@link MIN_SECRET_LENGTH}
 * characters are ignored. A secret is also masked in its URL-encoded form, as it appears
 * inside connection URIs.
 *
 * ```ts
 * const masker = new Masker();
 * masker.add('s3cret!');
 * masker.mask('postgres://etl:s3cret%21@db'); // 'postgres://etl:***@db'
 * ```
 */
export class Masker {
  private readonly secrets = new Set<string>();
  private pattern: RegExp | null = null;

  /** Add a secret; null, undefined, empty and too-short values are ignored. */
  add(secret: string | null | undefined): void {
    if (secret == null) return;
    const text = String(secret);
    if (text.length < MIN_SECRET_LENGTH) return;
    for (const variant of [text, encodeURIComponent(text)]) {
      if (!this.secrets.has(variant)) {
        this.secrets.add(variant);
        this.pattern = null;
      }
    }
  }

  /** How many distinct secret spellings are masked. */
  get size(): number {
    return this.secrets.size;
  }

  /** The text with every secret replaced by `***`. */
  mask(text: string): string {
    if (this.secrets.size === 0) return text;
    this.pattern ??= buildPattern(this.secrets);
    return text.replace(this.pattern, MASK);
  }
}

function buildPattern(secrets: Set<string>): RegExp {
  const sorted = [...secrets].sort((a, b) => b.length - a.length);
  return new RegExp(sorted.map(escapeRegExp).join('|'), 'g');
}

/** Variables whose entries can be listed, as {@link createVariables} returns. */
export type ListableVariables = Variables & { entries(): [string, unknown][] };
/** Connections that can be listed, as `createConnections` returns. */
export type ListableConnections = Connections & { list(): Connection[] };

/**
 * A masker filled with every secret dagbox knows of: connection passwords, connection
 * extras with sensitive names, and sensitive variables (also sensitive keys nested in JSON
 * variables). Connections added later (e.g. by a service started afterwards) must be
 * added with `masker.add(c.password)`.
 */
export function maskerFor(variables: ListableVariables, connections: ListableConnections): Masker {
  const masker = new Masker();
  for (const value of sensitiveValues(variables)) masker.add(value);
  for (const value of connectionSecrets(connections.list())) masker.add(value);
  return masker;
}

/** The secrets of some connections: passwords and sensitive extras. */
export function connectionSecrets(connections: Connection[]): string[] {
  const out: string[] = [];
  for (const c of connections) {
    if (c.password) out.push(c.password);
    collectSensitive(c.extra, false, out);
  }
  return out;
}
