import { describe, expect, it } from 'vitest';
import type { SessionListAnswer } from './support/rest.js';
import { useTestApp } from './support/test-app.js';

const t = useTestApp();

describe('chat core smoke', () => {
  it('a client opens the booking chat, sends, and the reader sees it unread', async () => {
    const { client, reader, sessionId } = await t.factory.bookingChat();
    await t.factory.message(client, sessionId, '  Hello, I need help  ');
    const list = await t.app.inject({
      method: 'GET',
      url: '/api/chat/sessions',
      headers: reader.auth,
    });
    expect(list.statusCode).toBe(200);
    const session = list.json<SessionListAnswer>().data.sessions.find((s) => s.id === sessionId);
    expect(session?.unread_count).toBe(1);
    expect(session?.last_message?.content).toBe('Hello, I need help');
  });
});
