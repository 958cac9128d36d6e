import { describe, expect, it } from 'vitest';
import { displayWidth, formatTable, padEndDisplay } from '../../src/shared/table.ts';

describe('formatTable', () => {
  it('aligns Korean and emoji cells by display width, not by string length', () => {
    const lines = formatTable([
      ['city', 'temp'],
      ['서울', '3'],
      ['🍜 rain', '12'],
      ['busan', '7'],
    ]);
    expect(lines).toEqual(['city     temp', '서울     3', '🍜 rain  12', 'busan    7']);
  });

  it('pads ASCII exactly as padEnd/padStart did, honours minimum widths and right alignment', () => {
    expect(formatTable([['dag_id', 'tasks'], ['a', '3']], { align: ['left', 'right'], minWidths: [6, 5] })).toEqual(['dag_id  tasks', 'a           3']);
  });

  it('does not count colour codes added by style', () => {
    const lines = formatTable([['a', 'b'], ['long', 'x']], { style: (text, row) => (row === 0 ? `\u001b[2m${text}\u001b[22m` : text) });
    expect(lines[1]).toBe('long  x');
    expect(lines[0]).toBe('\u001b[2ma   \u001b[22m  \u001b[2mb\u001b[22m');
  });
});

describe('padEndDisplay', () => {
  it('counts a Hangul syllable as two columns', () => {
    expect(padEndDisplay('서울', 6)).toBe('서울  ');
    expect(displayWidth('서울')).toBe(4);
  });
});
