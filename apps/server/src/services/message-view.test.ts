import { ZChatJoined, ZMessageReactionUpdate, ZMessageSent } from '@chat/contracts';
import { describe, expect, it } from 'vitest';
import type { ParticipantRow, ReactionRow } from '../domain/types.js';
import {
  type FileUrlBuilder,
  presentCommitted,
  readStatus,
  summarizeReactions,
  toChatJoined,
  toChatMessage,
  toMessageSent,
  toReactionUpdate,
  toSocketMessage,
} from './message-view.js';

const SESSION = '00000000-0000-4000-8000-000000000000';
const ALICE = '00000000-0000-4000-8000-00000000000a';
const BOB = '00000000-0000-4000-8000-00000000000b';
const CAROL = '00000000-0000-4000-8000-00000000000c';
const ADMIN = '00000000-0000-4000-8000-0000000000ad';

function participant(userId: string, lastReadSeq: number): ParticipantRow {
  return { sessionId: SESSION, userId, lastReadSeq, lastReadAt: null };
}

function reaction(userId: string, emoji: string, second: number): ReactionRow {
  return {
    messageId: '00000000-0000-4000-8000-0000000000ee',
    userId,
    reaction: emoji,
    createdAt: new Date(Date.UTC(2024, 11, 1, 12, 0, second)),
    firstName: null,
    lastName: null,
  };
}

describe('readStatus', () => {
  it('a received message is read when the viewer’s own cursor has reached it', () => {
    const isRead = readStatus(BOB, [participant(ALICE, 5), participant(BOB, 3)]);
    expect(isRead({ seq: 3, senderId: ALICE })).toBe(true);
    expect(isRead({ seq: 4, senderId: ALICE })).toBe(false);
  });

  it('a sent message is read when every other participant’s cursor has reached it', () => {
    const participants = [participant(ALICE, 9), participant(BOB, 4), participant(CAROL, 6)];
    const isRead = readStatus(ALICE, participants);
    expect(isRead({ seq: 4, senderId: ALICE })).toBe(true);
    expect(isRead({ seq: 5, senderId: ALICE })).toBe(false);
    expect(isRead({ seq: 7, senderId: ALICE })).toBe(false);
  });

  it('the sender’s own cursor does not matter for their message', () => {
    const isRead = readStatus(ALICE, [participant(ALICE, 0), participant(BOB, 2)]);
    expect(isRead({ seq: 2, senderId: ALICE })).toBe(true);
  });

  it('a viewer outside the session (admin, monitor) sees whether everyone but the sender has read it', () => {
    const isRead = readStatus(ADMIN, [participant(ALICE, 3), participant(BOB, 1)]);
    expect(isRead({ seq: 1, senderId: ALICE })).toBe(true);
    expect(isRead({ seq: 2, senderId: ALICE })).toBe(false);
    expect(isRead({ seq: 3, senderId: BOB })).toBe(true);
  });

  it('a system message from a non-participant counts for every participant', () => {
    const isRead = readStatus(ALICE, [participant(ALICE, 2), participant(BOB, 2)]);
    expect(isRead({ seq: 2, senderId: ADMIN })).toBe(true);
    expect(isRead({ seq: 3, senderId: null })).toBe(false);
  });

  it('a message nobody else could read is not read', () => {
    const isRead = readStatus(ALICE, [participant(ALICE, 10)]);
    expect(isRead({ seq: 1, senderId: ALICE })).toBe(false);
  });
});

describe('summarizeReactions', () => {
  it('groups by emoji in first-use order, counting users', () => {
    const summary = summarizeReactions([
      reaction(ALICE, '👍', 1),
      reaction(BOB, '❤️', 2),
      reaction(BOB, '👍', 3),
      reaction(CAROL, '👍🏽', 4),
    ]);
    expect(summary).toEqual([
      { reaction: '👍', count: 2, user_ids: [ALICE, BOB] },
      { reaction: '❤️', count: 1, user_ids: [BOB] },
      { reaction: '👍🏽', count: 1, user_ids: [CAROL] },
    ]);
  });

  it('is empty without reactions', () => {
    expect(summarizeReactions([])).toEqual([]);
  });

  it('keeps a skin-tone variant apart from the plain emoji', () => {
    const summary = summarizeReactions([reaction(ALICE, '👍', 1), reaction(BOB, '👍🏿', 2)]);
    expect(summary.map((s) => [s.reaction, s.count])).toEqual([
      ['👍', 1],
      ['👍🏿', 1],
    ]);
  });
});

describe('toSocketMessage', () => {
  const base = {
    id: '00000000-0000-4000-8000-000000000001',
    session_id: SESSION,
    sender_id: ALICE,
    seq: 1,
    content: 'hi',
    type: 'text' as const,
    file_url: null,
    file_name: null,
    file_size: null,
    mime_type: null,
    metadata: {},
    is_read: false,
    created_at: '2024-12-01T12:00:00.000Z',
    edited_at: null,
    deleted_at: null,
    message_reactions: [],
  };

  it('carries every REST field unchanged', () => {
    const profiles = { id: ALICE, first_name: 'Sarah', last_name: null, avatar_url: null };
    const { sender, timestamp, ...rest } = toSocketMessage({ ...base, profiles });
    expect(rest).toEqual({ ...base, profiles });
    expect([sender.name, timestamp]).toEqual(['Sarah', base.created_at]);
  });

  it('adds the reference’s sender and timestamp to the REST fields', () => {
    const message = toSocketMessage({
      ...base,
      profiles: {
        id: ALICE,
        first_name: 'Sarah',
        last_name: 'Johnson',
        avatar_url: 'https://img.example/a.png',
      },
    });
    expect(message.sender).toEqual({
      id: ALICE,
      name: 'Sarah Johnson',
      avatar: 'https://img.example/a.png',
    });
    expect(message.timestamp).toBe(base.created_at);
    expect(message.seq).toBe(1);
  });

  it('names a sender without names "Unknown user" and one without a profile "System"', () => {
    const unnamed = toSocketMessage({
      ...base,
      profiles: { id: ALICE, first_name: null, last_name: '', avatar_url: null },
    });
    expect(unnamed.sender.name).toBe('Unknown user');
    expect(toSocketMessage({ ...base, sender_id: null, profiles: null }).sender).toEqual({
      id: null,
      name: 'System',
      avatar: null,
    });
  });
});

describe('presentCommitted', () => {
  const sender = { id: ALICE, firstName: 'Sarah', lastName: 'Johnson', avatarUrl: null };
  const committed = { seq: 7, createdAt: new Date(Date.UTC(2024, 11, 1, 12, 0, 0, 123)) };
  const fileUrl: FileUrlBuilder = (row, variant) => `https://chat.example/f/${row.id}/${variant}`;
  const draft = {
    id: '00000000-0000-4000-8000-000000000007',
    sessionId: SESSION,
    senderId: ALICE,
    content: 'hello' as string | null,
    storageKey: null as string | null,
    fileName: null as string | null,
    fileSize: null as number | null,
    mimeType: null as string | null,
    metadata: {} as Record<string, unknown>,
  };
  /** What presenting the stored row would give (the read-back path). */
  const asStored = (message: typeof draft & { type: 'text' | 'image' | 'voice' }) =>
    toChatMessage(
      {
        ...message,
        ...committed,
        editedAt: null,
        deletedAt: null,
        sender: { id: ALICE, firstName: 'Sarah', lastName: 'Johnson', avatarUrl: null },
      },
      [],
      false,
      fileUrl,
    );

  it('presents a text message as reading it back would', () => {
    const text = { ...draft, type: 'text' as const };
    expect(presentCommitted(text, committed, sender, fileUrl)).toEqual(asStored(text));
  });

  it('presents an image with its file and thumbnail links as reading it back would', () => {
    const image = {
      ...draft,
      type: 'image' as const,
      content: null,
      storageKey: `${SESSION}/${draft.id}/photo.webp`,
      fileName: 'photo.webp',
      fileSize: 2048,
      mimeType: 'image/webp',
      metadata: { width: 10, height: 20 },
    };
    const presented = presentCommitted(image, committed, sender, fileUrl);
    expect(presented).toEqual(asStored(image));
    expect(presented.file_url).toBe(`https://chat.example/f/${draft.id}/original`);
    expect(presented.metadata).toEqual({
      width: 10,
      height: 20,
      thumbnail_url: `https://chat.example/f/${draft.id}/thumbnail`,
    });
  });
});

describe('socket event presenters', () => {
  const message = {
    id: '00000000-0000-4000-8000-000000000001',
    session_id: SESSION,
    sender_id: ALICE,
    seq: 4,
    content: 'hi',
    type: 'text' as const,
    file_url: null,
    file_name: null,
    file_size: null,
    mime_type: null,
    metadata: {},
    is_read: false,
    created_at: '2024-12-01T12:00:00.000Z',
    edited_at: null,
    deleted_at: null,
    profiles: { id: ALICE, first_name: 'Sarah', last_name: null, avatar_url: null },
    message_reactions: [],
  };

  it('message_sent: where the message landed, the contract’s fields in its order', () => {
    const sent = toMessageSent(message);
    expect(sent).toEqual({
      message_id: message.id,
      session_id: SESSION,
      seq: 4,
      created_at: message.created_at,
    });
    expect(Object.keys(sent)).toEqual(Object.keys(ZMessageSent.shape));
  });

  it('message_reaction_update: the change without the full list, with who reacted', () => {
    const change = {
      message_id: message.id,
      session_id: SESSION,
      user_id: BOB,
      reaction: '👍',
      action: 'added' as const,
      reactions: [{ reaction: '👍', count: 1, user_ids: [BOB] }],
      message_reactions: [],
    };
    const update = toReactionUpdate(change, 'Bob');
    const { message_reactions: _, ...rest } = change;
    expect(update).toEqual({ ...rest, user_name: 'Bob' });
    expect(Object.keys(update)).toEqual(Object.keys(ZMessageReactionUpdate.shape));
  });

  it('chat_joined: the missed messages in the new_message shape', () => {
    const joined = toChatJoined({
      session_id: SESSION,
      last_seq: 4,
      messages: [message],
      resync_required: false,
    });
    expect(joined).toEqual({
      session_id: SESSION,
      last_seq: 4,
      messages: [toSocketMessage(message)],
      resync_required: false,
    });
    expect(Object.keys(joined)).toEqual(Object.keys(ZChatJoined.shape));
  });
});
