// Issue 12: UTF-8 is judged on the whole file's evidence. A valid UTF-8 file with one line of invalid
// sequences in its middle stays UTF-8 (that line's bad bytes become U+FFFD and the warning names the line);
// a Windows-1252 file is still read as Windows-1252, wherever its first non-ASCII byte is.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import iconv from 'iconv-lite';
import { parse } from 'csv-parse/sync';
import type { Workbench } from '../../main/engine/workbench.ts';
import { decodeFile, newDecodeState, NotUtf8Error, scanUtf8 } from '../../main/engine/data/decode.ts';
import { tempDir, tempWorkbench, writeFile, UCI_DIR } from '../fixtures/data.ts';

let wb: Workbench;
let cleanup: () => Promise<void>;
const dir = tempDir('tb-decode-');
const UCI = path.join(UCI_DIR, 'uci_sentiment.csv');

beforeAll(() => {
  ({ wb, cleanup } = tempWorkbench());
});
afterAll(async () => {
  await cleanup();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** The UCI file with `bad` inserted as a line of its own after line `at`. */
function withLine(at: number, bad: Buffer): { file: string; lines: string[] } {
  const lines = fs.readFileSync(UCI, 'utf8').split('\n');
  const before = Buffer.from(lines.slice(0, at).join('\n') + '\n', 'utf8');
  const after = Buffer.from(lines.slice(at).join('\n'), 'utf8');
  const file = writeFile(dir, `uci-bad-${at}.csv`, Buffer.concat([before, bad, Buffer.from('\n'), after]));
  return { file, lines };
}

async function decodeAll(file: string): Promise<{ text: string; state: ReturnType<typeof newDecodeState> }> {
  const state = newDecodeState('utf-8');
  let text = '';
  for await (const t of decodeFile(file, 0, state)) text += t;
  return { text, state };
}

describe('UTF-8 judged on the whole file', () => {
  it('the UCI file with one line of invalid sequences in its middle stays UTF-8: accents intact, the line reported', async () => {
    // 40 invalid sequences on one line: more than the file's valid multi-byte characters, fewer than its lines.
    const bad = Buffer.concat([Buffer.from('"Corrupt: '), Buffer.from(Array.from({ length: 40 }, (_, i) => 0x80 + (i % 64))), Buffer.from('",positive,imdb,train')]);
    const { file, lines } = withLine(1500, bad);
    const r = await wb.data.importFile(file, { project: 'uci-damaged' });
    expect(r.encoding).toBe('utf-8');
    expect(r.rows).toBe(lines.filter((l) => l.trim()).length); // the header, gone, and the inserted line, added
    expect(r.warnings.join(' ')).toMatch(/is UTF-8 but 40 byte sequence\(s\) in it are not \(line 1501\); each was replaced by \uFFFD/);
    // Every accented text of the original reads as it was written (read as Windows-1252 they were mojibake).
    const accented = (parse(fs.readFileSync(UCI), { columns: true }) as { text: string }[]).map((r) => r.text).filter((t) => /[^\x00-\x7f]/.test(t));
    expect(accented.length).toBeGreaterThan(10);
    const stored = new Set(wb.data.examples('uci-damaged', { limit: 5000 }).rows.map((e) => e.text));
    for (const a of accented) expect(stored.has(a.trim().normalize('NFC')), a).toBe(true);
    expect(wb.data.examples('uci-damaged', { search: 'Corrupt:' }).rows[0]!.text).toBe(`Corrupt: ${'\uFFFD'.repeat(40)}`);
  });

  it('a Windows-1252 file stays Windows-1252 even with one accidental UTF-8-looking pair in it', async () => {
    const rows = Array.from({ length: 60 }, (_, i) => `"Café crème n°${i}, très bon",${i % 2 ? 'a' : 'b'}`);
    rows[10] = '"ÉÂ© odd pair",a'; // bytes C9 C2 A9: C2 A9 happens to be a well-formed UTF-8 sequence (©)
    const file = writeFile(dir, 'cp1252.csv', iconv.encode(`text,label\n${rows.join('\n')}\n`, 'windows-1252'));
    const r = await wb.data.importFile(file, { project: 'cp1252' });
    expect(r.encoding).toBe('windows-1252');
    expect(wb.data.examples('cp1252', { search: 'n°3,' }).rows[0]!.text).toBe('Café crème n°3, très bon');
  });
});

describe('the decoder', () => {
  it('counts invalid sequences as the WHATWG decoder replaces them, on random bytes', () => {
    let seed = 7;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
    for (let t = 0; t < 300; t++) {
      const bytes = Uint8Array.from({ length: 1 + Math.floor(rnd() * 60) }, () => (rnd() < 0.5 ? 0x20 + Math.floor(rnd() * 90) : Math.floor(rnd() * 256)));
      const replaced = [...new TextDecoder().decode(bytes)].filter((c) => c === '\uFFFD').length;
      const genuine = Buffer.from(bytes).toString('latin1').split('\u00ef\u00bf\u00bd').length - 1; // EF BF BD is a real U+FFFD
      expect(scanUtf8(bytes, 1).invalid, Buffer.from(bytes).toString('hex')).toBe(replaced - genuine);
    }
  });

  it('keeps a multi-byte character cut by a chunk boundary whole, and names the line of each bad byte', async () => {
    // 1 MB chunks: put a 4-byte character across the first boundary and bad bytes on lines 3 and 70,000.
    const line = 'é'.repeat(7) + '\n';
    const parts: Buffer[] = [Buffer.from('ok\nok\n'), Buffer.from([0xff, 0x0a])];
    let size = 8;
    while (size + 15 <= (1 << 20) - 2) {
      parts.push(Buffer.from(line));
      size += 15;
    }
    parts.push(Buffer.from('x'.repeat((1 << 20) - 2 - size)));
    parts.push(Buffer.from('😀\n'));
    parts.push(Buffer.from([0xc3, 0x28, 0x0a]));
    const file = writeFile(dir, 'chunks.txt', Buffer.concat(parts));
    const { text, state } = await decodeAll(file);
    expect(text).toContain('😀');
    expect(state.encoding).toBe('utf-8');
    expect(state.evidence.invalid).toBe(2);
    const lastLine = text.split('\n').length - 1;
    expect(state.replacedLines).toEqual([3, lastLine]);
  });

  it('an ASCII head and Windows-1252 later switches without reading the start again; UTF-8 text before it asks for a second read', async () => {
    const ascii = 'plain ascii line\n'.repeat(80_000);
    const file = writeFile(dir, 'late.txt', Buffer.concat([Buffer.from(ascii), iconv.encode('déjà vu\ncafé\n', 'windows-1252')]));
    const { text, state } = await decodeAll(file);
    expect(state.encoding).toBe('windows-1252');
    expect(state.switchedAt?.line).toBeGreaterThan(1);
    expect(text.endsWith('déjà vu\ncafé\n')).toBe(true);
    const mixed = writeFile(dir, 'mixed.txt', Buffer.concat([Buffer.from('naïve start\n'), Buffer.from(ascii), iconv.encode('déjà vu\ncafé\nà\n', 'windows-1252')]));
    await expect(decodeAll(mixed)).rejects.toBeInstanceOf(NotUtf8Error);
  });
});
