import { TextbenchError } from '../../errors.ts';
import type { RawRecord } from './types.ts';
import { DEFAULT_LIMITS, RECORD_CELLS, cellTooLong, nestedTooDeep, recordTooLong, tooManyColumns, type ReadLimits } from './limits.ts';

/** Whether a parsed value nests deeper than `max` (walked without recursion, so no stack to overflow). */
function deeperThan(v: unknown, max: number): boolean {
  const stack: Array<[unknown, number]> = [[v, 1]];
  while (stack.length) {
    const [x, d] = stack.pop()!;
    if (typeof x !== 'object' || x === null) continue;
    if (d > max) return true;
    for (const child of Object.values(x)) if (typeof child === 'object' && child !== null) stack.push([child, d + 1]);
  }
  return false;
}

function cellOf(key: string, v: unknown, where: { file: string; line: number; limits: ReadLimits }): string {
  if (v === null || v === undefined) return '';
  let s: string;
  if (typeof v === 'string') s = v;
  else if (typeof v === 'number' || typeof v === 'boolean') s = String(v);
  else {
    // The record itself is level 1; a nested value starts at level 2. JSON.stringify recurses and would
    // overflow the stack on a deep value (V8: ~10,000 levels), so the depth is checked first.
    if (deeperThan(v, where.limits.maxDepth - 1)) throw nestedTooDeep(where.file, where.line, where.limits.maxDepth);
    s = JSON.stringify(v);
  }
  if (s.length > where.limits.maxCellChars) throw cellTooLong(where.file, where.line, `the value of "${key.slice(0, 40)}"`, where.limits.maxCellChars);
  return s;
}

function toValues(obj: unknown, file: string, line: number, what: string, limits: ReadLimits): Map<string, string> {
  if (!obj || typeof obj !== 'object' || Array.isArray(obj)) {
    throw new TextbenchError(
      `${file}, line ${line}: ${what} is not an object. Each record must be an object such as {"text": "...", "label": "..."}.`,
      'JSON_NOT_OBJECT',
      { file, line },
    );
  }
  const entries = Object.entries(obj as Record<string, unknown>);
  if (entries.length > limits.maxColumns) throw tooManyColumns(file, line, entries.length.toLocaleString('en-US'), limits.maxColumns);
  const m = new Map<string, string>();
  const where = { file, line, limits };
  for (const [k, v] of entries) m.set(k, cellOf(k, v, where));
  return m;
}

/**
 * JSON Lines: one object per line; blank lines are skipped. Only the new chunk is searched for line breaks
 * (a line spanning many chunks is kept as parts and joined once), and a line longer than the cell limit is
 * refused as soon as it passes it: a 1 GB file of one line is neither scanned over and over nor held whole.
 */
export async function* readJsonLines(file: string, chunks: AsyncIterable<string>, limits: ReadLimits = DEFAULT_LIMITS): AsyncGenerator<RawRecord[]> {
  // A line is one record: it may hold several cells (each checked once parsed), up to the record limit.
  const maxLine = RECORD_CELLS * limits.maxCellChars;
  let parts: string[] = [];
  let partChars = 0;
  let line = 0;
  const one = (text: string): RawRecord | null => {
    line++;
    const t = text.trim();
    if (!t) return null;
    let parsed: unknown;
    try {
      parsed = JSON.parse(t);
    } catch (err) {
      throw new TextbenchError(
        `${file}, line ${line}: not valid JSON (${(err as Error).message}). Each line of a JSON Lines file must be one complete JSON object; fix or remove that line.`,
        'JSON_PARSE',
        { file, line },
      );
    }
    return { line, values: toValues(parsed, file, line, 'the line', limits) };
  };
  for await (const chunk of chunks) {
    let start = 0;
    const out: RawRecord[] = [];
    for (let nl = chunk.indexOf('\n'); nl >= 0; nl = chunk.indexOf('\n', start)) {
      const piece = chunk.slice(start, nl);
      const text = parts.length ? parts.join('') + piece : piece;
      parts = [];
      partChars = 0;
      if (text.length > maxLine) throw recordTooLong(file, line + 1, limits);
      const rec = one(text);
      start = nl + 1;
      if (rec) out.push(rec);
    }
    if (start < chunk.length) {
      parts.push(chunk.slice(start));
      partChars += chunk.length - start;
      if (partChars > maxLine) throw recordTooLong(file, line + 1, limits);
    }
    if (out.length) yield out;
  }
  if (parts.length) {
    const rec = one(parts.join(''));
    if (rec) yield [rec];
  }
}

/**
 * A JSON array of objects, streamed: a small scanner finds where each top-level element starts and ends
 * (tracking strings and escapes across chunks) and JSON.parse reads one element at a time.
 */
export async function* readJsonArray(file: string, chunks: AsyncIterable<string>, limits: ReadLimits = DEFAULT_LIMITS): AsyncGenerator<RawRecord[]> {
  const maxElement = RECORD_CELLS * limits.maxCellChars;
  type State = 'start' | 'between' | 'element' | 'done';
  let state: State = 'start';
  let line = 1;
  let depth = 0;
  let inString = false;
  let escaped = false;
  let parts: string[] = [];
  let partChars = 0;
  let elementLine = 0;
  let index = 0;
  const fail = (msg: string): never => {
    throw new TextbenchError(`${file}, line ${line}: ${msg}`, 'JSON_PARSE', { file, line });
  };
  for await (const chunk of chunks) {
    const out: RawRecord[] = [];
    let segStart = state === 'element' ? 0 : -1;
    for (let i = 0; i < chunk.length; i++) {
      const c = chunk.charCodeAt(i);
      if (c === 10) line++;
      if (state === 'element') {
        if (inString) {
          if (escaped) escaped = false;
          else if (c === 92) escaped = true;
          else if (c === 34) inString = false;
          continue;
        }
        if (c === 34) inString = true;
        else if (c === 123 || c === 91) {
          if (++depth > limits.maxDepth) throw nestedTooDeep(file, line, limits.maxDepth);
        } else if (c === 125 || c === 93) {
          depth--;
          if (depth === 0) {
            parts.push(chunk.slice(segStart, i + 1));
            const text = parts.join('');
            parts = [];
            partChars = 0;
            if (text.length > maxElement) throw recordTooLong(file, elementLine, limits);
            segStart = -1;
            state = 'between';
            let parsed: unknown;
            try {
              parsed = JSON.parse(text);
            } catch (err) {
              fail(`element ${index + 1} (starting on line ${elementLine}) is not valid JSON (${(err as Error).message}). Fix that element.`);
            }
            index++;
            out.push({ line: elementLine, values: toValues(parsed, file, elementLine, `element ${index}`, limits) });
          }
        }
        continue;
      }
      if (c === 32 || c === 9 || c === 10 || c === 13) continue;
      if (state === 'start') {
        if (c !== 91) fail('a JSON file must hold an array of objects ([{...}, {...}]). For one object per line, name the file .jsonl.');
        state = 'between';
      } else if (state === 'between') {
        if (c === 44) continue;
        if (c === 93) {
          state = 'done';
          continue;
        }
        if (c !== 123) fail(`element ${index + 1} is not an object. Each element must be an object such as {"text": "...", "label": "..."}.`);
        state = 'element';
        depth = 1;
        elementLine = line;
        segStart = i;
      } else if (state === 'done') {
        fail('unexpected text after the closing ] of the array. Remove it.');
      }
    }
    if (state === 'element') {
      parts.push(chunk.slice(segStart));
      partChars += chunk.length - segStart;
      if (partChars > maxElement) throw recordTooLong(file, elementLine, limits);
    }
    if (out.length) yield out;
  }
  if ((state as State) === 'start') fail('the file holds no JSON array.');
  if ((state as State) !== 'done') fail('the file ends before the array is closed (missing ]). The file may be truncated.');
}
