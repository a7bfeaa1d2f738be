import { describe, expect, it } from 'vitest';
import {
  isSingleEmoji,
  MAX_MESSAGE_CHARS,
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

  it('refuses what is not a string', () => {
    expect(ZMessageContent.safeParse(null).success).toBe(false);
    expect(ZMessageContent.safeParse(42).success).toBe(false);
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

  it('refuses NUL characters anywhere in metadata', () => {
    for (const metadata of [{ k: '\u0000' }, { 'k\u0000': 1 }, { a: [{ b: 'x\u0000' }] }]) {
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
