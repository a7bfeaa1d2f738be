import { describe, expect, it } from 'vitest';
import type { Actor } from '../domain/types.js';
import { ChatError } from '../errors.js';
import { createTypingService, type TypingIndicator } from './typing.service.js';

const SESSION = '00000000-0000-4000-8000-000000000000';
const actor = { id: '00000000-0000-4000-8000-00000000000a', role: 'client' } as Actor;

function indicator(): TypingIndicator & { started: string[] } {
  const typing = new Set<string>();
  const started: string[] = [];
  return {
    started,
    isTyping: (sessionId) => typing.has(sessionId),
    start: (sessionId) => {
      typing.add(sessionId);
      started.push(sessionId);
    },
  };
}

describe('typing', () => {
  it('checks and counts the first start of a run, not the keystrokes after it', async () => {
    const checked: string[] = [];
    const typing = createTypingService({
      sessions: { authorizeTyping: async (_actor, sessionId) => void checked.push(sessionId) },
    });
    const socket = indicator();
    for (let i = 0; i < 5; i++) await typing.start(actor, SESSION, socket);
    expect(checked).toEqual([SESSION]);
    // Every keystroke keeps the indicator up.
    expect(socket.started).toHaveLength(5);
  });

  it('shows nothing when the check refuses', async () => {
    const typing = createTypingService({
      sessions: {
        authorizeTyping: async () => {
          throw new ChatError('CHAT_ACCESS_DENIED');
        },
      },
    });
    const socket = indicator();
    await expect(typing.start(actor, SESSION, socket)).rejects.toMatchObject({
      code: 'CHAT_ACCESS_DENIED',
    });
    expect(socket.started).toEqual([]);
  });
});
