import { describe, expect, it } from 'vitest';
import { issueDetails } from './errors.js';
import { isUploadEcho, ZSendMessagePayload } from './socket.js';

const sessionId = '6f1c2a34-9b7e-4d21-8a3c-0e5f6a7b8c9d';
const messageId = '0b8e5f3a-2c4d-4e6f-8a1b-3c5d7e9f1a2b';

/** What the socket answers in `details` for a refused payload. */
function refusal(payload: unknown): string[] {
  const parsed = ZSendMessagePayload.safeParse(payload);
  if (parsed.success) throw new Error(`accepted: ${JSON.stringify(parsed.data)}`);
  return issueDetails(parsed.error.issues, { whole: 'payload' });
}

describe('ZSendMessagePayload', () => {
  it('a new message becomes the send REST and tRPC make: trimmed, text, metadata {}', () => {
    const command = ZSendMessagePayload.parse({
      session_id: sessionId,
      message: { content: ' hi ' },
    });
    expect(command).toEqual({ session_id: sessionId, content: 'hi', type: 'text', metadata: {} });
    expect(isUploadEcho(command)).toBe(false);
  });

  it("the reference's echo of a stored text message is a send with its id (a retry)", () => {
    const stored = {
      id: messageId,
      session_id: sessionId,
      seq: 3,
      content: 'hello',
      type: 'text',
      metadata: { a: 1 },
      is_read: false,
      profiles: null,
    };
    expect(ZSendMessagePayload.parse({ session_id: sessionId, message: stored })).toEqual({
      id: messageId,
      session_id: sessionId,
      content: 'hello',
      type: 'text',
      metadata: { a: 1 },
    });
  });

  it('an uploaded message is only named: its id, whatever its content or metadata', () => {
    const command = ZSendMessagePayload.parse({
      session_id: sessionId,
      message: { id: messageId, type: 'voice', content: null, metadata: { duration: 3 } },
    });
    expect(command).toEqual({ session_id: sessionId, id: messageId, type: 'voice' });
    expect(isUploadEcho(command)).toBe(true);
    // Without an id it names nothing: the service refuses it (files come over REST).
    expect(
      ZSendMessagePayload.parse({ session_id: sessionId, message: { type: 'file', content: 'f' } }),
    ).toEqual({ session_id: sessionId, id: undefined, type: 'file' });
  });

  it("a new message's text is checked with the payload's fields, its metadata once they pass", () => {
    expect(
      refusal({ session_id: 'nope', message: { content: ' ', metadata: { k: '\u0000' } } }),
    ).toEqual(['session_id: must be a UUID', 'message.content: content must not be empty']);
    expect(
      refusal({ session_id: sessionId, message: { content: 'x', metadata: { k: '\u0000' } } }),
    ).toEqual(['message.metadata: metadata must not contain NUL characters']);
    // An upload without an id needs text too (as it always did), before the service refuses it.
    expect(refusal({ session_id: sessionId, message: { type: 'voice' } })).toEqual([
      'message.content: content must be a string',
    ]);
  });

  it("a named text message's text and metadata are checked once the payload is whole", () => {
    const named = { id: messageId, content: '', metadata: { k: 'a\uD800' } };
    expect(refusal({ session_id: 'nope', message: named })).toEqual(['session_id: must be a UUID']);
    expect(refusal({ session_id: sessionId, message: named })).toEqual([
      'message.content: content must not be empty',
      'message.metadata: metadata must not contain unpaired surrogates',
    ]);
  });

  it('refuses metadata too large or too deep to store, as REST does', () => {
    let deep: unknown = 'x';
    for (let i = 0; i < 20_000; i++) deep = [deep];
    for (const metadata of [{ big: 'x'.repeat(9000) }, { deep }]) {
      expect(refusal({ session_id: sessionId, message: { content: 'x', metadata } })).toEqual([
        'message.metadata: metadata must serialize to at most 8192 characters',
      ]);
    }
  });
});
