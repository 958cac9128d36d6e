import stringWidth from 'string-width';

/**
 * Text tables for terminals, measured in display columns, not UTF-16 units: a Korean syllable or
 * an emoji takes two columns, an ANSI colour code none, so columns stay aligned whatever the data.
 */

/** How many terminal columns `text` takes. */
export function displayWidth(text: string): number {
  return stringWidth(text);
}

/** `text` followed by spaces up to `width` display columns (as `padEnd`, by display width). */
export function padEndDisplay(text: string, width: number): string {
  return text + ' '.repeat(Math.max(0, width - displayWidth(text)));
}

/** Spaces then `text`, up to `width` display columns (as `padStart`, by display width). */
export function padStartDisplay(text: string, width: number): string {
  return ' '.repeat(Math.max(0, width - displayWidth(text))) + text;
}

/** Options of {@link formatTable}. */
export interface TableOptions {
  /** Per column: `right` pads on the left (numbers); default `left`. */
  align?: ReadonlyArray<'left' | 'right'>;
  /** Per column: the least width, in display columns. */
  minWidths?: readonly number[];
  /** Style a padded cell (colour it); padding is computed before, so colour codes never count. */
  style?: (text: string, row: number, column: number) => string;
}

/**
 * Rows of cells as lines, each column as wide as its widest cell (in display columns), columns
 * two spaces apart, trailing spaces trimmed.
 *
 * ```ts
 * formatTable([['name', 'n'], ['서울', '3']], { align: ['left', 'right'] });
 * // ['name  n', '서울  3']
 * ```
 */
export function formatTable(rows: ReadonlyArray<readonly string[]>, options: TableOptions = {}): string[] {
  const columns = Math.max(0, ...rows.map((r) => r.length));
  const widths = Array.from({ length: columns }, (_, i) => Math.max(options.minWidths?.[i] ?? 0, ...rows.map((r) => displayWidth(r[i] ?? ''))));
  return rows.map((row, ri) =>
    row
      .map((cell, i) => {
        const padded = options.align?.[i] === 'right' ? padStartDisplay(cell, widths[i]!) : padEndDisplay(cell, widths[i]!);
        return options.style ? options.style(padded, ri, i) : padded;
      })
      .join('  ')
      .trimEnd(),
  );
}
