import { TextbenchError } from '../../errors.ts';
import type { RawRecord } from './types.ts';

function cellOf(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return JSON.stringify(v);
}

function toValues(obj: unknown, file: string, line: number, what: string): Map<string, string> {
  if (!obj || typeof obj !== 'object' || Array.isArray(obj)) {
    throw new TextbenchError(
      `${file}, line ${line}: ${what} is not an object. Each record must be an object such as {"text": "...", "label": "..."}.`,
      'JSON_NOT_OBJECT',
      { file, line },
    );
  }
  const m = new Map<string, string>();
  for (const [k, v] of Object.entries(obj as Record<string, unknown>)) m.set(k, cellOf(v));
  return m;
}

/** JSON Lines: one object per line; blank lines are skipped. */
export async function* readJsonLines(file: string, chunks: AsyncIterable<string>): AsyncGenerator<RawRecord[]> {
  let rest = '';
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
    return { line, values: toValues(parsed, file, line, 'the line') };
  };
  for await (const chunk of chunks) {
    rest += chunk;
    let start = 0;
    const out: RawRecord[] = [];
    for (let nl = rest.indexOf('\n'); nl >= 0; nl = rest.indexOf('\n', start)) {
      const rec = one(rest.slice(start, nl));
      start = nl + 1;
      if (rec) out.push(rec);
    }
    rest = rest.slice(start);
    if (out.length) yield out;
  }
  if (rest.length) {
    const rec = one(rest);
    if (rec) yield [rec];
  }
}

/**
 * A JSON array of objects, streamed: a small scanner finds where each top-level element starts and ends
 * (tracking strings and escapes across chunks) and JSON.parse reads one element at a time.
 */
export async function* readJsonArray(file: string, chunks: AsyncIterable<string>): AsyncGenerator<RawRecord[]> {
  type State = 'start' | 'between' | 'element' | 'done';
  let state: State = 'start';
  let line = 1;
  let depth = 0;
  let inString = false;
  let escaped = false;
  let parts: string[] = [];
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
        else if (c === 123 || c === 91) depth++;
        else if (c === 125 || c === 93) {
          depth--;
          if (depth === 0) {
            parts.push(chunk.slice(segStart, i + 1));
            const text = parts.join('');
            parts = [];
            segStart = -1;
            state = 'between';
            let parsed: unknown;
            try {
              parsed = JSON.parse(text);
            } catch (err) {
              fail(`element ${index + 1} (starting on line ${elementLine}) is not valid JSON (${(err as Error).message}). Fix that element.`);
            }
            index++;
            out.push({ line: elementLine, values: toValues(parsed, file, elementLine, `element ${index}`) });
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
    if (state === 'element') parts.push(chunk.slice(segStart));
    if (out.length) yield out;
  }
  if ((state as State) === 'start') fail('the file holds no JSON array.');
  if ((state as State) !== 'done') fail('the file ends before the array is closed (missing ]). The file may be truncated.');
}
