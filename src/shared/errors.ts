/**
 * The message of anything thrown, for use inside a sentence. An AggregateError (a connection
 * refused on every address) gives its inner messages joined by `; `; an Error with an empty
 * message gives its name (or code).
 *
 * ```ts
 * errorMessage(new Error('boom')); // 'boom'
 * ```
 */
export function errorMessage(error: unknown): string {
  if (error instanceof AggregateError && error.errors.length > 0) {
    return error.errors.map(errorMessage).join('; ');
  }
  if (error instanceof Error) return error.message || error.name || String((error as { code?: unknown }).code ?? 'error');
  return String(error);
}
