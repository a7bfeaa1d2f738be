import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { expectError, type MessageListAnswer, type ReactionAnswer, rest } from './support/rest.js';
import { type TestUser, useTestApp } from './support/test-app.js';

const t = useTestApp();

const add = (user: TestUser, messageId: string, reaction: string) =>
  rest(t.app, user).post(`/api/chat/messages/${messageId}/reactions`, { reaction });
const remove = (user: TestUser, messageId: string, reaction: string) =>
  rest(t.app, user).delete(
    `/api/chat/messages/${messageId}/reactions/${encodeURIComponent(reaction)}`,
  );

async function chatWithMessage() {
  const chat = await t.factory.bookingChat();
  const message = await t.factory.message(chat.client, chat.sessionId, 'The Star, upright');
  return { ...chat, messageId: message.id };
}

async function reactionsSeenBy(user: TestUser, sessionId: string) {
  const response = await rest(t.app, user).get(`/api/chat/messages?session_id=${sessionId}`);
  const [message] = response.json<MessageListAnswer>().data.messages;
  if (!message) throw new Error('the session lists no message');
  return message.message_reactions;
}

describe('reactions over REST', () => {
  it('adding answers the message’s reaction summary; adding again changes nothing', async () => {
    const { client, reader, sessionId, messageId } = await chatWithMessage();
    const first = await add(reader, messageId, '❤️');
    expect(first.statusCode).toBe(200);
    expect(first.json<ReactionAnswer>()).toMatchObject({
      success: true,
      message: 'Reaction added',
    });
    expect(first.json<ReactionAnswer>().data).toMatchObject({
      message_id: messageId,
      session_id: sessionId,
      user_id: reader.id,
      reaction: '❤️',
      action: 'added',
      reactions: [{ reaction: '❤️', count: 1, user_ids: [reader.id] }],
    });
    expect(first.json<ReactionAnswer>().data.message_reactions).toMatchObject([
      { user_id: reader.id, reaction: '❤️', profiles: { first_name: reader.firstName } },
    ]);

    const again = await add(reader, messageId, '❤️');
    expect(again.statusCode).toBe(200);
    expect(again.json<ReactionAnswer>().data.reactions).toEqual([
      { reaction: '❤️', count: 1, user_ids: [reader.id] },
    ]);
    expect(await reactionsSeenBy(client, sessionId)).toHaveLength(1);
  });

  it('the summary counts each emoji with the users who used it', async () => {
    const { client, reader, messageId } = await chatWithMessage();
    await add(reader, messageId, '👍');
    await add(client, messageId, '👍');
    const last = await add(reader, messageId, '🔥');
    const summary = last.json<ReactionAnswer>().data.reactions;
    const byEmoji = new Map(summary.map((s) => [s.reaction, s] as const));
    expect(byEmoji.get('👍')?.count).toBe(2);
    expect([...(byEmoji.get('👍')?.user_ids ?? [])].sort()).toEqual([client.id, reader.id].sort());
    expect(byEmoji.get('🔥')).toEqual({ reaction: '🔥', count: 1, user_ids: [reader.id] });
    expect(summary).toHaveLength(2);
  });

  it('removing takes only your own reaction and is idempotent', async () => {
    const { client, reader, sessionId, messageId } = await chatWithMessage();
    await add(reader, messageId, '👍');
    await add(client, messageId, '👍');
    const removed = await remove(reader, messageId, '👍');
    expect(removed.statusCode).toBe(200);
    expect(removed.json<ReactionAnswer>()).toMatchObject({
      success: true,
      message: 'Reaction removed',
    });
    expect(removed.json<ReactionAnswer>().data).toMatchObject({
      action: 'removed',
      reactions: [{ reaction: '👍', count: 1, user_ids: [client.id] }],
    });
    const again = await remove(reader, messageId, '👍');
    expect(again.statusCode).toBe(200);
    expect(again.json<ReactionAnswer>().data.reactions).toEqual([
      { reaction: '👍', count: 1, user_ids: [client.id] },
    ]);
    const never = await remove(reader, messageId, '🎉');
    expect(never.statusCode).toBe(200);
    expect((await reactionsSeenBy(reader, sessionId)).map((r) => [r.user_id, r.reaction])).toEqual([
      [client.id, '👍'],
    ]);
  });

  it.each([
    ['a skin tone', '👍🏽'],
    ['a variation selector', '❤️'],
    ['a flag', '🇯🇵'],
    ['a ZWJ family', '👨‍👩‍👧‍👦'],
    ['a keycap', '1️⃣'],
  ])(
    'accepts a compound emoji (%s) and removes it by its URL-encoded form',
    async (_name, emoji) => {
      const { reader, sessionId, messageId } = await chatWithMessage();
      const added = await add(reader, messageId, emoji);
      expect(added.statusCode, added.body).toBe(200);
      expect(added.json<ReactionAnswer>().data.reactions).toEqual([
        { reaction: emoji, count: 1, user_ids: [reader.id] },
      ]);
      expect((await reactionsSeenBy(reader, sessionId)).map((r) => r.reaction)).toEqual([emoji]);
      const removed = await remove(reader, messageId, emoji);
      expect(removed.statusCode, removed.body).toBe(200);
      expect(removed.json<ReactionAnswer>().data.reactions).toEqual([]);
    },
  );

  it('"❤" and "❤️" are one reaction: one entry, answered as "❤️", removed by either form', async () => {
    const { client, reader, sessionId, messageId } = await chatWithMessage();
    const bare = '\u2764';
    const qualified = '\u2764\uFE0F';
    const first = await add(reader, messageId, bare);
    expect(first.json<ReactionAnswer>().data).toMatchObject({
      reaction: qualified,
      action: 'added',
      reactions: [{ reaction: qualified, count: 1, user_ids: [reader.id] }],
    });
    // The same user adding the other form changes nothing; another user joins the one entry.
    const again = await add(reader, messageId, qualified);
    expect(again.json<ReactionAnswer>().data.reactions).toEqual([
      { reaction: qualified, count: 1, user_ids: [reader.id] },
    ]);
    const second = await add(client, messageId, bare);
    expect(second.json<ReactionAnswer>().data.reactions).toEqual([
      { reaction: qualified, count: 2, user_ids: [reader.id, client.id] },
    ]);
    expect((await reactionsSeenBy(client, sessionId)).map((r) => r.reaction)).toEqual([
      qualified,
      qualified,
    ]);
    // Removing by the other form removes what the first one added.
    const removed = await remove(reader, messageId, qualified);
    expect(removed.json<ReactionAnswer>().data).toMatchObject({
      reaction: qualified,
      action: 'removed',
      reactions: [{ reaction: qualified, count: 1, user_ids: [client.id] }],
    });
    const removedBare = await remove(client, messageId, bare);
    expect(removedBare.json<ReactionAnswer>().data.reactions).toEqual([]);
    expect(await reactionsSeenBy(client, sessionId)).toEqual([]);
  });

  it('a needless selector after an emoji-style emoji is the same reaction too ("👍️" is "👍")', async () => {
    const { client, reader, messageId } = await chatWithMessage();
    await add(reader, messageId, '👍');
    const other = await add(client, messageId, '👍\uFE0F');
    expect(other.json<ReactionAnswer>().data.reactions).toEqual([
      { reaction: '👍', count: 2, user_ids: [reader.id, client.id] },
    ]);
  });

  it.each([
    ['text', 'ok'],
    ['a letter', 'a'],
    ['a digit', '1'],
    ['two emojis', '👍👍'],
    ['an emoji with text', '👍 nice'],
    ['an empty string', ''],
  ])('refuses %s as a reaction: VALIDATION_ERROR', async (_name, reaction) => {
    const { reader, sessionId, messageId } = await chatWithMessage();
    expectError(await add(reader, messageId, reaction), 'VALIDATION_ERROR');
    expect(await reactionsSeenBy(reader, sessionId)).toEqual([]);
  });

  it('refuses a missing or non-string reaction and a non-emoji in the DELETE path', async () => {
    const { reader, messageId } = await chatWithMessage();
    expectError(
      await rest(t.app, reader).post(`/api/chat/messages/${messageId}/reactions`, {}),
      'VALIDATION_ERROR',
    );
    expectError(
      await rest(t.app, reader).post(`/api/chat/messages/${messageId}/reactions`, { reaction: 5 }),
      'VALIDATION_ERROR',
    );
    expectError(await remove(reader, messageId, 'ok'), 'VALIDATION_ERROR');
  });

  it('a deleted message is MESSAGE_NOT_FOUND; an unknown one is CHAT_ACCESS_DENIED to a participant, MESSAGE_NOT_FOUND to an admin', async () => {
    const { client, reader, messageId } = await chatWithMessage();
    // Unknown ids answer like another chat's messages (issue 12).
    expectError(await add(reader, randomUUID(), '👍'), 'CHAT_ACCESS_DENIED');
    expectError(await remove(reader, randomUUID(), '👍'), 'CHAT_ACCESS_DENIED');
    const admin = await t.factory.user('admin');
    expectError(await add(admin, randomUUID(), '👍'), 'MESSAGE_NOT_FOUND');
    await add(reader, messageId, '👍');
    await rest(t.app, client).delete(`/api/chat/messages/${messageId}`);
    expectError(await add(reader, messageId, '🔥'), 'MESSAGE_NOT_FOUND');
  });

  it('reactions in a closed session are SESSION_INACTIVE', async () => {
    const { reader, sessionId, messageId } = await chatWithMessage();
    const admin = await t.factory.user('admin');
    await rest(t.app, admin).patch(`/api/chat/sessions/${sessionId}`, { status: 'closed' });
    expectError(await add(reader, messageId, '👍'), 'SESSION_INACTIVE');
  });
});
