import { describe, expect, it } from 'vitest';
import {
  fullyQualifiedEmoji,
  isSingleEmoji,
  MAX_MESSAGE_CHARS,
  ZCaption,
  ZFileUploadFields,
  ZMessageContent,
  ZReaction,
  ZSendMessageRequest,
} from './messages.js';

describe('isSingleEmoji', () => {
  it.each([
    ['a basic emoji', '👍'],
    ['a skin tone', '👍🏽'],
    ['a variation selector', '❤️'],
    ['a heart without the selector', '❤'],
    ['a flag', '🇫🇷'],
    ['a ZWJ sequence', '👩‍💻'],
    ['a family', '👨‍👩‍👧‍👦'],
    ['a keycap', '#️⃣'],
    ['a subdivision flag', '🏴󠁧󠁢󠁳󠁣󠁴󠁿'],
  ])('accepts %s', (_name, value) => {
    expect(isSingleEmoji(value)).toBe(true);
  });

  it.each([
    ['empty', ''],
    ['a letter', 'a'],
    ['a digit', '7'],
    ['a word', 'ok'],
    ['two emojis', '👍👍'],
    ['an emoji and a space', '👍 '],
    ['an emoji and text', '👍a'],
    ['two flags', '🇫🇷🇩🇪'],
    ['punctuation', '!'],
    ['a CJK character', '字'],
  ])('refuses %s', (_name, value) => {
    expect(isSingleEmoji(value)).toBe(false);
  });

  it('refuses an emoji carrying combining marks, though it is one grapheme', () => {
    expect(isSingleEmoji('👍\u0301')).toBe(false);
    expect(isSingleEmoji(`👍${'\u0301'.repeat(20)}`)).toBe(false);
  });

  it('refuses emoji parts that are no emoji on their own', () => {
    expect(isSingleEmoji('#')).toBe(false);
    expect(isSingleEmoji('\u200d')).toBe(false);
  });

  it('refuses anything longer than a real emoji could be', () => {
    expect(isSingleEmoji(`👍${'\u0301'.repeat(40)}`)).toBe(false);
  });

  it('backs the ZReaction schema', () => {
    expect(ZReaction.safeParse('🔥').success).toBe(true);
    expect(ZReaction.safeParse('fire').success).toBe(false);
    expect(ZReaction.safeParse(5).success).toBe(false);
  });
});

describe('one reaction, with or without the emoji variation selector', () => {
  const hex = (value: string) =>
    [...value].map((c) => (c.codePointAt(0) ?? 0).toString(16).toUpperCase()).join(' ');

  it.each([
    ['a heart typed without VS16', '\u2764', '\u2764\uFE0F'],
    ['a heart from the picker', '\u2764\uFE0F', '\u2764\uFE0F'],
    ['a heart with VS16 twice', '\u2764\uFE0F\uFE0F', '\u2764\uFE0F'],
    ['a thumbs up with a needless VS16', '👍\uFE0F', '👍'],
    ['a thumbs up', '👍', '👍'],
    ['a keycap without VS16', '1\u20E3', '1\uFE0F\u20E3'],
    ['a text-default hand with a skin tone (no VS16 before the tone)', '☝\uFE0F🏽', '☝🏽'],
    ['a ZWJ sequence missing both selectors', '🏳\u200D⚧', '🏳\uFE0F\u200D⚧\uFE0F'],
    ['a woman running, qualified', '🏃\u200D♀\uFE0F', '🏃\u200D♀\uFE0F'],
    ['the copyright sign', '©', '©\uFE0F'],
    ['a flag', '🇫🇷', '🇫🇷'],
    ['a subdivision flag', '🏴󠁧󠁢󠁳󠁣󠁴󠁿', '🏴󠁧󠁢󠁳󠁣󠁴󠁿'],
  ])('%s', (_name, input, expected) => {
    expect(hex(fullyQualifiedEmoji(input))).toBe(hex(expected));
    // The schema hands the service the same form, and the form is stable.
    expect(hex(ZReaction.parse(input))).toBe(hex(expected));
    expect(fullyQualifiedEmoji(expected)).toBe(expected);
    expect(isSingleEmoji(expected)).toBe(true);
  });

  it('gives "❤" and "❤️" the same reaction, as users see them', () => {
    expect(ZReaction.parse('❤')).toBe(ZReaction.parse('❤️'));
    expect(ZReaction.parse('❤')).toBe('❤️');
  });

  it('does not qualify what it refuses', () => {
    expect(ZReaction.safeParse('ok').success).toBe(false);
    expect(ZReaction.safeParse('\uFE0F').success).toBe(false);
  });
});

describe('ZMessageContent', () => {
  it('trims surrounding whitespace', () => {
    expect(ZMessageContent.parse('  hello \n\t')).toBe('hello');
    expect(ZMessageContent.parse('a  b')).toBe('a  b');
  });

  it.each(['', ' ', '\n\t \r\n'])('refuses empty or whitespace-only content (%j)', (value) => {
    const result = ZMessageContent.safeParse(value);
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.message).toMatch(/empty/);
  });

  it('counts code points: 4000 emoji pass, 4001 do not', () => {
    expect(MAX_MESSAGE_CHARS).toBe(4000);
    expect(ZMessageContent.safeParse('😀'.repeat(4000)).success).toBe(true);
    expect(ZMessageContent.safeParse('😀'.repeat(4001)).success).toBe(false);
    expect(ZMessageContent.safeParse('x'.repeat(4000)).success).toBe(true);
    expect(ZMessageContent.safeParse('x'.repeat(4001)).success).toBe(false);
  });

  it('measures after trimming', () => {
    expect(ZMessageContent.safeParse(`   ${'x'.repeat(4000)}   `).success).toBe(true);
  });

  it('refuses NUL characters, which PostgreSQL text cannot hold', () => {
    expect(ZMessageContent.safeParse('a\u0000b').success).toBe(false);
  });

  it('refuses unpaired surrogates (stored they would read back as U+FFFD); pairs pass', () => {
    for (const value of ['a\uD800b', '\uDFFF', 'x\uD83D', '\uDE00x', '\uDE00\uD83D']) {
      const result = ZMessageContent.safeParse(value);
      expect(result.success, JSON.stringify(value)).toBe(false);
      expect(result.error?.issues[0]?.message).toBe('content must not contain unpaired surrogates');
    }
    expect(ZMessageContent.parse('\uD83D\uDE00')).toBe('😀');
  });

  it('refuses what is not a string', () => {
    expect(ZMessageContent.safeParse(null).success).toBe(false);
    expect(ZMessageContent.safeParse(42).success).toBe(false);
  });
});

describe("ZCaption (an upload's caption)", () => {
  it('is held to what content is: NUL, unpaired surrogates and 4001 code points are refused', () => {
    for (const value of ['a\u0000b', 'a\uD800', '😀'.repeat(4001)]) {
      expect(ZCaption.safeParse(value).success, JSON.stringify(value).slice(0, 20)).toBe(false);
    }
    expect(ZCaption.parse(` ${'😀'.repeat(4000)} `)).toBe('😀'.repeat(4000));
  });

  it('may be empty: the upload then has no caption', () => {
    expect(ZCaption.parse('  ')).toBe('');
  });

  it('backs the caption field of the file upload', () => {
    const fields = { session_id: '6f1c2a34-9b7e-4d21-8a3c-0e5f6a7b8c9d' };
    expect(ZFileUploadFields.safeParse({ ...fields, caption: 'a\u0000' }).success).toBe(false);
    expect(ZFileUploadFields.parse({ ...fields, caption: ' hi ' }).caption).toBe('hi');
  });
});

describe('ZSendMessageRequest', () => {
  const sessionId = '6f1c2a34-9b7e-4d21-8a3c-0e5f6a7b8c9d';

  it('defaults type to text and metadata to {}', () => {
    expect(ZSendMessageRequest.parse({ session_id: sessionId, content: ' hi ' })).toEqual({
      session_id: sessionId,
      content: 'hi',
      type: 'text',
      metadata: {},
    });
  });

  it('only text and system can be sent as messages', () => {
    expect(
      ZSendMessageRequest.safeParse({ session_id: sessionId, content: 'x', type: 'system' })
        .success,
    ).toBe(true);
    expect(
      ZSendMessageRequest.safeParse({ session_id: sessionId, content: 'x', type: 'voice' }).success,
    ).toBe(false);
  });

  it('refuses NUL characters and unpaired surrogates anywhere in metadata', () => {
    for (const metadata of [
      { k: '\u0000' },
      { 'k\u0000': 1 },
      { a: [{ b: 'x\u0000' }] },
      { k: 'a\uD800' },
      { 'k\uDC00': 1 },
      { a: [{ b: '\uDFFF' }] },
    ]) {
      expect(
        ZSendMessageRequest.safeParse({ session_id: sessionId, content: 'x', metadata }).success,
      ).toBe(false);
    }
    expect(
      ZSendMessageRequest.safeParse({
        session_id: sessionId,
        content: 'x',
        metadata: { a: [1, null, 'ok'] },
      }).success,
    ).toBe(true);
  });

  it('refuses a client id that is not a UUID and oversized metadata', () => {
    expect(
      ZSendMessageRequest.safeParse({ id: 'm-1', session_id: sessionId, content: 'x' }).success,
    ).toBe(false);
    const big = { blob: 'x'.repeat(9000) };
    expect(
      ZSendMessageRequest.safeParse({ session_id: sessionId, content: 'x', metadata: big }).success,
    ).toBe(false);
  });
});
