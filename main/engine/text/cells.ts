import crypto from 'node:crypto';

const NON_ASCII = /[^\x00-\x7f]/;

/** NFC-normalises a cell (skipping the work for pure ASCII, which is already NFC) and trims it. */
export function cleanCell(value: string): string {
  const v = NON_ASCII.test(value) ? value.normalize('NFC') : value;
  return v.trim();
}

/**
 * The form two texts must share to count as "the same text": NFC, whitespace runs collapsed to one space,
 * trimmed. Case and punctuation are kept: "Great!" and "great" are different texts.
 */
export function normaliseText(text: string): string {
  const v = NON_ASCII.test(text) ? text.normalize('NFC') : text;
  // Most texts have single spaces only: skip the rewrite (and its copy) for them.
  // Only the runs that change are rewritten (two or more spaces, or one other whitespace character): the same result
  // as replacing every /\s+/ run, without a match per word of an imported text joined from two columns by a newline.
  return ODD_SPACE.test(v) ? v.replace(CHANGED_SPACE, ' ').trim() : v.trim();
}

/** Whitespace other than one plain space: a tab, a line break, a non-breaking space, or two spaces in a row. */
const ODD_SPACE = /[^\S ]| {2}/;
const CHANGED_SPACE = /\s{2,}|[^\S ]/g;

/**
 * sha256 of the normalised text: duplicates and conflicts are found through it. The one-shot crypto.hash (Node
 * 20.12+) skips the Hash object of createHash: 0.8 against 1.3 µs per 800-character text.
 */
export function contentHash(text: string): string {
  return hashNormalised(normaliseText(text));
}

/** The content hash of a text already in normaliseText's form. */
function hashNormalised(normalised: string): string {
  return crypto.hash('sha256', normalised, 'hex');
}

/**
 * A cell that cleanCell and normaliseText both leave as it is: printable ASCII and single spaces inside, no space
 * at either end. Found by one scan of the cell; anything else (a non-ASCII or control character, a double space,
 * an edge space) takes the exact path.
 */
const NOT_PLAIN = /[^\x21-\x7e ]| {2}/;

function isPlain(cell: string): boolean {
  return cell.length > 0 && cell.charCodeAt(0) !== 32 && cell.charCodeAt(cell.length - 1) !== 32 && !NOT_PLAIN.test(cell);
}

/** An imported row's text and its content hash (joinTextCells). */
export interface JoinedText {
  text: string;
  hash: string;
}

/**
 * The text of an imported row from the cells of its text columns: each cleaned (cleanCell), empty ones dropped,
 * joined by a line break; with its content hash, equal to contentHash(text) but without scanning the joined text
 * again. The hashed form is each cell's normalised form joined by one space: a joining line break between two
 * trimmed, non-empty cells is a whitespace run of one, which normaliseText turns into a space, and a line break
 * never combines with its neighbours under NFC. Most cells are plain ASCII with single spaces, which one scan
 * shows (isPlain); the importer ran four scans and a rewrite of each row's text (0.4 s of CPU on 200 MB).
 * `hash` is '' when the text is.
 */
export function joinTextCells(cells: readonly (string | undefined)[], columns: readonly number[]): JoinedText {
  let text = '';
  let same = '';
  for (const i of columns) {
    const raw = cells[i] ?? '';
    let clean: string;
    let norm: string;
    if (isPlain(raw)) {
      clean = norm = raw;
    } else {
      clean = cleanCell(raw);
      if (!clean) continue;
      norm = normaliseText(clean);
    }
    if (text) {
      text = `${text}\n${clean}`;
      same = `${same} ${norm}`;
    } else {
      text = clean;
      same = norm;
    }
  }
  return { text, hash: text ? hashNormalised(same) : '' };
}

/** Words as the review counts them: runs of non-space characters. */
export function wordCount(text: string): number {
  let n = 0;
  let inWord = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    const space = c === 32 || c === 9 || c === 10 || c === 13 || c === 12 || c === 11 || c === 0xa0 || c === 0x85 || c === 0x3000 || (c >= 0x2000 && c <= 0x200a) || c === 0x2028 || c === 0x2029;
    if (space) inWord = false;
    else if (!inWord) {
      inWord = true;
      n++;
    }
  }
  return n;
}

/** True when the text has no letter and no digit (only punctuation, symbols or spaces). */
export function hasNoContent(text: string): boolean {
  return !/[\p{L}\p{N}]/u.test(text);
}
