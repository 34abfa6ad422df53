import fs from 'node:fs';
import iconv from 'iconv-lite';
import type { TextEncoding } from '../../../shared/domain.ts';

/**
 * Thrown while decoding when the file turned out not to be UTF-8 after text was already handed out (so the
 * reader cannot switch silently), or at the first invalid byte when the caller insisted on UTF-8.
 */
export class NotUtf8Error extends Error {
  constructor(
    readonly offset: number,
    readonly line: number,
  ) {
    super(`invalid UTF-8 near byte ${offset} (line ${line})`);
    this.name = 'NotUtf8Error';
  }
}

/** What the UTF-8 in some bytes looks like: the evidence for "UTF-8 with damage" against "Windows-1252". */
export interface Utf8Evidence {
  /** Well-formed multi-byte sequences (a lower bound where a chunk was checked by the native decoder only). */
  valid: number;
  /** Invalid sequences, counted as a decoder replaces them (one U+FFFD each). */
  invalid: number;
  /** Lines holding at least one invalid sequence. */
  invalidLines: number;
}

/**
 * Judges the whole file's evidence. In Windows-1252 text nearly every non-ASCII character is an invalid UTF-8
 * sequence and a well-formed multi-byte sequence is a rare accident (an uppercase accented letter followed at
 * once by a symbol such as "©"), so a file is UTF-8 when its well-formed sequences are at least as many as its
 * lines with invalid ones: one corrupt line inside a UTF-8 file stays UTF-8, with that line's bad bytes replaced.
 */
export function looksUtf8(e: Utf8Evidence): boolean {
  return e.invalid === 0 || (e.valid > 0 && e.valid >= e.invalidLines);
}

/** Where decoding stands: bytes read (for progress), the encoding in use, and the damage seen. */
export interface DecodeState {
  bytes: number;
  encoding: TextEncoding;
  evidence: Utf8Evidence;
  /** First lines with invalid UTF-8 that were replaced (up to REPORT_LINES). */
  replacedLines: number[];
  /** Set when the decoder switched to Windows-1252 after seeing the rest of the file. */
  switchedAt?: { line: number; offset: number };
}

export function newDecodeState(encoding: TextEncoding): DecodeState {
  return { bytes: 0, encoding, evidence: { valid: 0, invalid: 0, invalidLines: 0 }, replacedLines: [] };
}

const REPORT_LINES = 10;
const CHUNK = 1 << 20;
const LF = 10;

function countLines(b: Uint8Array): number {
  let n = 0;
  for (let i = b.indexOf(LF); i >= 0; i = b.indexOf(LF, i + 1)) n++;
  return n;
}

/** Bytes a sequence starting with `lead` needs, or 0 for a byte that cannot start one. */
function sequenceLength(lead: number): number {
  return lead >= 0xc2 && lead <= 0xdf ? 2 : lead >= 0xe0 && lead <= 0xef ? 3 : lead >= 0xf0 && lead <= 0xf4 ? 4 : 0;
}

/** Whether `b` may follow `lead` as the second byte (the ranges that exclude overlongs and surrogates). */
function secondOk(lead: number, b: number): boolean {
  if (lead === 0xe0) return b >= 0xa0 && b <= 0xbf;
  if (lead === 0xed) return b >= 0x80 && b <= 0x9f;
  if (lead === 0xf0) return b >= 0x90 && b <= 0xbf;
  if (lead === 0xf4) return b >= 0x80 && b <= 0x8f;
  return b >= 0x80 && b <= 0xbf;
}

/**
 * Scans bytes for UTF-8 evidence, counting lines from `firstLine`; calls `onInvalid` with the line of each
 * invalid sequence. Invalid sequences are counted like the WHATWG decoder replaces them (maximal subparts).
 */
export function scanUtf8(b: Uint8Array, firstLine: number, onInvalid?: (line: number) => void): Utf8Evidence & { lines: number; validBeforeInvalid: number } {
  let valid = 0;
  let invalid = 0;
  let invalidLines = 0;
  let line = firstLine;
  let lastBadLine = -1;
  let validBeforeInvalid = -1;
  const bad = () => {
    invalid++;
    if (validBeforeInvalid < 0) validBeforeInvalid = valid;
    if (line !== lastBadLine) {
      invalidLines++;
      lastBadLine = line;
    }
    onInvalid?.(line);
  };
  for (let i = 0; i < b.length; i++) {
    const c = b[i]!;
    if (c < 0x80) {
      if (c === LF) line++;
      continue;
    }
    const len = sequenceLength(c);
    if (!len) {
      bad();
      continue;
    }
    let k = 1;
    if (i + 1 < b.length && secondOk(c, b[i + 1]!)) {
      k = 2;
      while (k < len && i + k < b.length && (b[i + k]! & 0xc0) === 0x80) k++;
    }
    if (k === len) {
      valid++;
      i += len - 1;
    } else {
      // The well-formed prefix is one replaced subpart; the byte that broke it is read again.
      bad();
      i += k - 1;
    }
  }
  return { valid, invalid, invalidLines, lines: line - firstLine, validBeforeInvalid: validBeforeInvalid < 0 ? valid : validBeforeInvalid };
}

/** Where a piece may end without cutting a multi-byte sequence in two (the rest waits for the next chunk). */
function completeEnd(b: Uint8Array): number {
  for (let back = 1; back <= 3 && back <= b.length; back++) {
    const c = b[b.length - back]!;
    if ((c & 0xc0) === 0x80) continue;
    const len = sequenceLength(c);
    return len > back ? b.length - back : b.length;
  }
  return b.length;
}

/** Evidence over a file from byte `start` to its end, reading it in chunks (the native decoder checks clean ones). */
export async function utf8EvidenceOfFile(file: string, start: number, firstLine: number): Promise<Utf8Evidence> {
  const total: Utf8Evidence = { valid: 0, invalid: 0, invalidLines: 0 };
  const fatal = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
  let line = firstLine;
  let carry: Uint8Array = new Uint8Array(0);
  const stream = fs.createReadStream(file, { start, highWaterMark: CHUNK });
  try {
    for await (const buf of stream as AsyncIterable<Buffer>) {
      const data = carry.length ? Buffer.concat([carry, buf]) : buf;
      const cut = completeEnd(data);
      const piece = data.subarray(0, cut);
      carry = Uint8Array.from(data.subarray(cut));
      line = addEvidence(total, piece, line, fatal);
      // A file whose every other line is damaged is settled long before its end: stop reading it.
      if (total.invalidLines >= 10_000 && total.valid * 100 < total.invalidLines) break;
    }
  } finally {
    stream.destroy();
  }
  if (carry.length) addEvidence(total, carry, line, fatal);
  return total;
}

/** Adds a piece's evidence to `total`; returns the line after the piece. */
function addEvidence(total: Utf8Evidence, piece: Uint8Array, line: number, fatal: TextDecoder): number {
  try {
    const text = fatal.decode(piece);
    total.valid += Math.ceil((piece.length - text.length) / 2);
    return line + countLines(piece);
  } catch {
    // fatal: true reports invalid bytes only by throwing; the JavaScript scan then counts them.
    const e = scanUtf8(piece, line);
    total.valid += e.valid;
    total.invalid += e.invalid;
    total.invalidLines += e.invalidLines;
    return line + e.lines;
  }
}

export interface DecodeOptions {
  /** The caller named UTF-8: an invalid byte is an error, not a judgement call. */
  strictUtf8?: boolean;
  /** The encoding was already judged on the whole file (the head had invalid bytes): no second look. */
  judged?: boolean;
}

/**
 * Streams a file as decoded text chunks, updating `state` (bytes read, damage seen). UTF-8 is checked by the
 * native decoder chunk by chunk; a chunk with invalid bytes is scanned to find their lines. At the first
 * invalid byte of a file not judged yet, the rest of the file is read for evidence: UTF-8 (then every invalid
 * sequence becomes U+FFFD and its line is reported) or Windows-1252 (the decoder switches if everything so far
 * was ASCII, which reads the same in both; otherwise NotUtf8Error asks the caller to read the file again).
 */
export async function* decodeFile(file: string, skipBytes: number, state: DecodeState, opts: DecodeOptions = {}): AsyncGenerator<string> {
  const stream = fs.createReadStream(file, { start: skipBytes, highWaterMark: CHUNK });
  state.bytes = skipBytes;
  try {
    if (state.encoding !== 'utf-8') {
      const decoder = iconv.getDecoder(state.encoding, { stripBOM: false });
      for await (const buf of stream as AsyncIterable<Buffer>) {
        const text = decoder.write(buf);
        state.bytes += buf.length;
        if (text) yield text;
      }
      const tail = decoder.end();
      if (tail) yield tail;
      return;
    }
    const fatal = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
    const lenient = new TextDecoder('utf-8', { ignoreBOM: true });
    let judged = opts.judged === true;
    let line = 1;
    let carry: Uint8Array = new Uint8Array(0);
    let offset = skipBytes;
    let cp1252 = null as ReturnType<typeof iconv.getDecoder> | null;
    const decodePiece = async (piece: Uint8Array): Promise<string> => {
      if (cp1252) return cp1252.write(Buffer.from(piece.buffer, piece.byteOffset, piece.byteLength));
      try {
        const text = fatal.decode(piece);
        state.evidence.valid += Math.ceil((piece.length - text.length) / 2);
        line += countLines(piece);
        return text;
      } catch {
        // fatal: true reports invalid bytes only by throwing; scan the piece to find them.
      }
      const scan = scanUtf8(piece, line, (badLine) => {
        if (state.replacedLines.length < REPORT_LINES && state.replacedLines.at(-1) !== badLine) state.replacedLines.push(badLine);
      });
      if (opts.strictUtf8) throw new NotUtf8Error(offset, line);
      if (!judged) {
        judged = true;
        const before = state.evidence.valid + scan.validBeforeInvalid;
        const rest = await utf8EvidenceOfFile(file, offset + piece.length, line + scan.lines);
        const whole: Utf8Evidence = {
          valid: state.evidence.valid + scan.valid + rest.valid,
          invalid: scan.invalid + rest.invalid,
          invalidLines: scan.invalidLines + rest.invalidLines,
        };
        if (!looksUtf8(whole)) {
          if (before > 0) throw new NotUtf8Error(offset, line);
          // Everything handed out so far was ASCII, which Windows-1252 reads the same: switch here.
          state.replacedLines = [];
          state.encoding = 'windows-1252';
          state.switchedAt = { line, offset };
          state.evidence = whole;
          cp1252 = iconv.getDecoder('windows-1252', { stripBOM: false });
          return cp1252.write(Buffer.from(piece.buffer, piece.byteOffset, piece.byteLength));
        }
      }
      state.evidence.valid += scan.valid;
      state.evidence.invalid += scan.invalid;
      state.evidence.invalidLines += scan.invalidLines;
      line += scan.lines;
      return lenient.decode(piece);
    };
    for await (const buf of stream as AsyncIterable<Buffer>) {
      const data = carry.length ? Buffer.concat([carry, buf]) : buf;
      const cut = completeEnd(data);
      const piece = data.subarray(0, cut);
      carry = Uint8Array.from(data.subarray(cut));
      const text = await decodePiece(piece);
      offset += piece.length;
      state.bytes += buf.length;
      if (text) yield text;
    }
    if (carry.length) {
      // A sequence cut short by the end of the file.
      const text = await decodePiece(carry);
      if (text) yield text;
    }
    if (cp1252) {
      const tail = cp1252.end();
      if (tail) yield tail;
    }
  } finally {
    stream.destroy();
  }
}

/** What a reader should tell the user about the decoding, once the file has been read. */
export function decodeNotes(file: string, state: DecodeState): string[] {
  const e = state.evidence;
  if (state.switchedAt || (state.encoding === 'windows-1252' && e.invalid > 0)) {
    return [
      `${file} is not UTF-8: ${e.invalidLines.toLocaleString('en-US')} line(s) hold bytes that are not UTF-8 and only ${e.valid.toLocaleString('en-US')} UTF-8 character(s) were found in the whole file; it was read as Windows-1252.`,
    ];
  }
  if (state.encoding === 'utf-8' && e.invalid > 0) {
    const more = e.invalidLines > state.replacedLines.length ? ` and ${(e.invalidLines - state.replacedLines.length).toLocaleString('en-US')} more` : '';
    return [
      `${file} is UTF-8 but ${e.invalid.toLocaleString('en-US')} byte sequence(s) in it are not (line${e.invalidLines === 1 ? '' : 's'} ${state.replacedLines.join(', ')}${more}); ` +
        'each was replaced by \uFFFD. Search the examples for \uFFFD to find and fix them.',
    ];
  }
  return [];
}

/** Reads up to `max` bytes from the start of a file. */
export async function readHead(file: string, max: number): Promise<Buffer> {
  const fh = await fs.promises.open(file, 'r');
  try {
    const buf = Buffer.alloc(max);
    const { bytesRead } = await fh.read(buf, 0, max, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

/** Decodes a sample (the head of the file) without failing on a multi-byte character cut at its end. */
export function decodeSample(head: Uint8Array, encoding: TextEncoding, skipBytes: number): string {
  const body = head.subarray(skipBytes);
  if (encoding === 'utf-8') return new TextDecoder('utf-8', { ignoreBOM: true }).decode(body, { stream: true });
  const decoder = iconv.getDecoder(encoding, { stripBOM: false });
  return decoder.write(Buffer.from(body.buffer, body.byteOffset, body.byteLength));
}
