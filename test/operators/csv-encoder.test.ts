import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { CsvEncoder, type Cell } from '../../src/operators/csv-encoder.ts';

const encode = (rows: Cell[][], opts: Partial<ConstructorParameters<typeof CsvEncoder>[0]> = {}) =>
  text(Readable.from(rows, { objectMode: true }).pipe(new CsvEncoder({ columns: ['a', 'b'], header: false, ...opts })));

describe('CsvEncoder', () => {
  it('keeps NULL (empty) apart from the empty string (""), from strings and from bytes', async () => {
    expect(await encode([[null, ''], [Buffer.from(''), null]])).toBe(',""\n"",\n');
  });

  it('quotes delimiters, quotes, newlines and the \\. end marker; doubles quotes', async () => {
    const rows: Cell[][] = [['a,b', 'say "hi"'], ['line\nbreak', Buffer.from('cr\rhere')], ['\\.', Buffer.from('\\.')], [Buffer.from('q"b'), 'plain']];
    const out = await encode(rows);
    expect(out).toBe('"a,b","say ""hi"""\n"line\nbreak","cr\rhere"\n"\\.","\\."\n"q""b",plain\n');
    expect(parse(out, { relax_quotes: false })).toEqual([['a,b', 'say "hi"'], ['line\nbreak', 'cr\rhere'], ['\\.', '\\.'], ['q"b', 'plain']]);
  });

  it('writes a header, another delimiter, bytes as bytea hex, and long values across chunks', async () => {
    const long = '한'.repeat(70_000);
    const out = await encode([[long, Buffer.from([0, 255])]], { header: true, delimiter: '|', binary: [false, true] });
    expect(out).toBe(`a|b\n${long}|\\x00ff\n`);
  });

  it('counts rows and reports chunks; a throwing onChunk fails the stream', async () => {
    const rows = Array.from({ length: 20_000 }, (_, i): Cell[] => [String(i), 'x'.repeat(10)]);
    const seen: number[] = [];
    await encode(rows, { onChunk: (n) => seen.push(n) });
    expect(seen.length).toBeGreaterThan(2);
    expect(seen[seen.length - 1]).toBe(20_000);
    await expect(encode(rows, { onChunk: () => { throw new Error('fault'); } })).rejects.toThrow('fault');
  });
});
