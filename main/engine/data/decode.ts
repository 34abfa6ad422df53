import fs from 'node:fs';
import iconv from 'iconv-lite';
import type { TextEncoding } from '../../../shared/domain.ts';

/** Thrown (and caught by the importer) when a file that started as valid UTF-8 has invalid bytes later on. */
export class NotUtf8Error extends Error {
  constructor(
    readonly offset: number,
    /** Whether valid multi-byte UTF-8 came before the bad bytes: then the file is UTF-8 with a few bad bytes. */
    readonly sawUtf8: boolean,
  ) {
    super(`invalid UTF-8 near byte ${offset}`);
    this.name = 'NotUtf8Error';
  }
}

const NON_ASCII = /[^\x00-\x7f]/;

/** Counts the raw bytes read so far, for progress. */
export interface ByteCounter {
  bytes: number;
}

const CHUNK = 1 << 20;

/**
 * Streams a file as decoded text chunks. UTF-8 is decoded strictly (so that a file which is really
 * Windows-1252 is noticed even far from its start); the other encodings go through iconv-lite.
 */
export async function* decodeFile(file: string, encoding: TextEncoding, skipBytes: number, counter: ByteCounter, lenientUtf8 = false): AsyncGenerator<string> {
  const stream = fs.createReadStream(file, { start: skipBytes, highWaterMark: CHUNK });
  counter.bytes = skipBytes;
  try {
    if (encoding === 'utf-8') {
      // Strict unless told otherwise: lenient decoding replaces bad bytes with U+FFFD.
      const decoder = new TextDecoder('utf-8', { fatal: !lenientUtf8, ignoreBOM: true });
      let sawUtf8 = false;
      for await (const buf of stream as AsyncIterable<Buffer>) {
        let text: string;
        try {
          text = decoder.decode(buf, { stream: true });
        } catch {
          // fatal: true signals invalid bytes only by throwing; the importer decides how to read the file again.
          throw new NotUtf8Error(counter.bytes, sawUtf8);
        }
        sawUtf8 ||= NON_ASCII.test(text);
        counter.bytes += buf.length;
        if (text) yield text;
      }
      let tail: string;
      try {
        tail = decoder.decode();
      } catch {
        throw new NotUtf8Error(counter.bytes, sawUtf8);
      }
      if (tail) yield tail;
      return;
    }
    const decoder = iconv.getDecoder(encoding, { stripBOM: false });
    for await (const buf of stream as AsyncIterable<Buffer>) {
      const text = decoder.write(buf);
      counter.bytes += buf.length;
      if (text) yield text;
    }
    const tail = decoder.end();
    if (tail) yield tail;
  } finally {
    stream.destroy();
  }
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
