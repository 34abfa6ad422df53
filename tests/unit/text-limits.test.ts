// Issue 12: tokenising is linear in the text's length (Intl.Segmenter walked in windows gives exactly the
// segments of a whole walk) and a text longer than a model reads is cut before it is tokenised.
import { describe, expect, it } from 'vitest';
import { tokenizeChars, tokenizeWords } from '../../main/engine/text/tokenize.ts';
import { BAG_CHARS, CHARS_PER_TOKEN, clipForSequence, clipText } from '../../main/engine/text/clip.ts';
import { fitPipeline } from '../../main/engine/text/pipeline.ts';

const MIXED =
  'Senior accountant (m/f/d) for a regional hospital group: ledgers, payroll & VAT; 10,5% bonus. ' +
  'Zażółć gęślą jaźń — księgowa w szpitalu! 東京都は日本の首都です。 สวัสดีครับ ยินดีต้อนรับ 👨‍👩‍👧‍👦 🇵🇱🇩🇪 ' +
  "e-mail: jan.kowalski@example.com, https://example.com/a?b=c don't café naïve\r\n\t";

function wholeWalk(granularity: 'word' | 'grapheme', text: string, keep: (s: Intl.SegmentData) => boolean): string[] {
  const out: string[] = [];
  for (const s of new Intl.Segmenter('und', { granularity }).segment(text)) if (keep(s)) out.push(s.segment);
  return out;
}

describe('tokenising long texts', () => {
  it('gives exactly the segments of a walk over the whole text (words and characters, many scripts)', () => {
    // Offsets shift by one character per copy, so window edges fall at every position of the sentence.
    const text = Array.from({ length: 120 }, (_, i) => MIXED.slice(i % 17) + MIXED.slice(0, i % 17)).join(' ');
    expect(text.length).toBeGreaterThan(20_000);
    expect(tokenizeWords(text)).toEqual(wholeWalk('word', text.toLowerCase(), (s) => !!s.isWordLike));
    expect(tokenizeWords(text, false)).toEqual(wholeWalk('word', text, (s) => !!s.isWordLike));
    const collapsed = text.toLowerCase().replace(/\s+/gu, ' ').trim();
    expect(tokenizeChars(text)).toEqual(wholeWalk('grapheme', collapsed, () => true));
  });

  it('a word longer than the window is kept whole, and a text of no spaces at all is tokenised', () => {
    const blob = 'x'.repeat(5000);
    expect(tokenizeWords(`before ${blob} after`)).toEqual(['before', blob, 'after']);
    const cjk = '我喜欢机器学习'.repeat(400);
    expect(tokenizeWords(cjk).join('')).toBe(cjk);
  });

  it('tokenises a 2 MB text (a walk over the whole string took minutes at 200 kB)', () => {
    const text = MIXED.repeat(Math.ceil((2 * 1024 * 1024) / MIXED.length));
    const words = tokenizeWords(text);
    expect(words.length).toBeGreaterThan(200_000);
    expect(words.slice(0, 3)).toEqual(['senior', 'accountant', 'm']);
  }, 60_000);
});

describe('cutting a text before tokenisation', () => {
  it('keeps a text that fits as it is, and the head and tail of one that does not', () => {
    expect(clipText('short', 10, 10)).toEqual({ text: 'short', clipped: false });
    expect(clipText('abcdefghij', 3, 2)).toEqual({ text: 'abc\nij', clipped: true });
    expect(clipText('abcdefghij', 4)).toEqual({ text: 'abcd', clipped: true });
  });

  it('never cuts a character made of two UTF-16 units in half', () => {
    const emoji = '😀'.repeat(10);
    for (let head = 1; head < 8; head++) {
      const { text } = clipText(emoji, head, head);
      expect(text.replace('\n', '')).toMatch(/^(\u{1F600})+$/u);
    }
  });

  it('a sequence pipeline reads the same first tokens from a 5 MB text as from its head, and says it truncated it', () => {
    const p = fitPipeline(['the cat sat on the mat', 'a dog ran far away'], { sequenceLength: 6, minCount: 1 });
    const text = 'the cat sat on the mat and then '.repeat(170_000);
    expect(text.length).toBeGreaterThan(5_000_000);
    const long = p.encode([text]);
    const head = p.encode([text.slice(0, 6 * CHARS_PER_TOKEN)]);
    expect(long.long).toEqual(['truncated']);
    expect(Array.from(long.inputs[0]!.data)).toEqual(Array.from(head.inputs[0]!.data));
    // Windows read further into the text: 17 windows' worth of head, and the tail.
    expect(clipForSequence(text, 6, true).text.length).toBe(18 * 6 * CHARS_PER_TOKEN + 1);
  });

  it('a text cut inside its only token still counts as truncated', () => {
    const p = fitPipeline(['aaa bbb'], { sequenceLength: 4, minCount: 1 });
    expect(p.encode(['z'.repeat(10_000)]).long).toEqual(['truncated']);
  });

  it('an n-gram pipeline fits and encodes a 5 MB text, reading its first BAG_CHARS characters', () => {
    const text = 'great phone, battery lasts long. '.repeat(160_000);
    const p = fitPipeline([text, 'bad phone', 'great battery'], { tokens: 'ngrams' });
    const enc = p.encode([text]);
    expect(Array.from(enc.inputs[0]!.data)).toEqual(Array.from(p.encode([text.slice(0, BAG_CHARS)]).inputs[0]!.data));
  });
});
