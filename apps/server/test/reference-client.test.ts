import type { TChatMessage, TListMessagesResponse } from '@chat/contracts';
import { io, type Socket } from 'socket.io-client';
import { describe, expect, it } from 'vitest';
import { expectSuccess, readAnswer } from './support/rest.js';
import { sleep } from './support/sockets.js';
import { useTestApp } from './support/test-app.js';

/**
 * Two browser-less clients written from the API reference's snippets alone: untyped
 * socket.io-client with its default transports (polling, then upgrade), `join_chat` emitted at
 * once, REST send followed by the `send_message` emit of the stored message, payload-less typing
 * events, and `message_reaction`.
 */
function referenceChatComponent(baseUrl: string, sessionId: string, token: string) {
  const messages: Array<Record<string, unknown>> = [];
  const typingUsers: string[] = [];
  const reactions: Array<Record<string, unknown>> = [];
  const newSocket: Socket = io(baseUrl, { auth: { token }, reconnection: false, forceNew: true });
  let user: unknown;
  newSocket.on('authenticated', (data) => {
    user = data.user;
  });
  newSocket.emit('join_chat', { session_id: sessionId });
  newSocket.on('new_message', (message) => messages.push(message));
  newSocket.on('user_typing', (data) => {
    if (data.is_typing) typingUsers.push(data.user_name);
    else typingUsers.splice(typingUsers.indexOf(data.user_name), 1);
  });
  newSocket.on('message_reaction_update', (data) => reactions.push(data));

  return {
    messages,
    typingUsers,
    reactions,
    socket: newSocket,
    user: () => user,
    async sendMessage(newMessage: string) {
      const response = await fetch(`${baseUrl}/api/chat/messages`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
        body: JSON.stringify({ session_id: sessionId, content: newMessage, type: 'text' }),
      });
      const { body: result } = await readAnswer<TChatMessage>(response);
      if (result.success)
        newSocket.emit('send_message', { session_id: sessionId, message: result.data });
      return result;
    },
    handleTyping() {
      newSocket.emit('typing_start');
    },
    stopTyping() {
      newSocket.emit('typing_stop');
    },
    react(messageId: string, reaction: string) {
      newSocket.emit('message_reaction', {
        message_id: messageId,
        reaction,
        session_id: sessionId,
      });
    },
  };
}

const t = useTestApp();

async function until(check: () => boolean, timeoutMs = 5_000) {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(25);
  }
}

describe("the reference's client snippets, as written", () => {
  it('a client and a reader chat, type and react through the server', async () => {
    const { client, reader, sessionId } = await t.factory.bookingChat();
    const sarah = referenceChatComponent(t.baseUrl, sessionId, client.token);
    const samia = referenceChatComponent(t.baseUrl, sessionId, reader.token);
    try {
      await until(() => sarah.user() !== undefined && samia.user() !== undefined);
      await sleep(200); // both joins are handled

      const sent = await sarah.sendMessage('Hello, I need help with my reading');
      expectSuccess(sent);
      await until(() => samia.messages.length === 1 && sarah.messages.length === 1);
      expect(samia.messages[0]).toEqual(
        expect.objectContaining({
          id: sent.data.id,
          content: 'Hello, I need help with my reading',
          type: 'text',
          sender: { id: client.id, name: `${client.firstName} ${client.lastName}`, avatar: null },
        }),
      );

      samia.handleTyping();
      samia.handleTyping(); // every keypress emits; the others see one indicator
      await until(() => sarah.typingUsers.length === 1);
      expect(sarah.typingUsers).toEqual([`${reader.firstName} ${reader.lastName}`]);
      samia.stopTyping();
      await until(() => sarah.typingUsers.length === 0);

      const reply = await samia.sendMessage('Of course! Let us begin.');
      expectSuccess(reply);
      await until(() => sarah.messages.length === 2);
      sarah.react(reply.data.id, '❤️');
      await until(() => samia.reactions.length === 1);
      expect(samia.reactions[0]).toEqual(
        expect.objectContaining({ reaction: '❤️', user_id: client.id, action: 'added' }),
      );

      await sleep(300);
      // REST-then-emit produced no duplicates anywhere.
      expect(sarah.messages.map((m) => m.id)).toEqual([sent.data.id, reply.data.id]);
      expect(samia.messages.map((m) => m.id)).toEqual([sent.data.id, reply.data.id]);
      const history = await fetch(`${t.baseUrl}/api/chat/messages?session_id=${sessionId}`, {
        headers: { Authorization: `Bearer ${client.token}` },
      }).then((r) => readAnswer<TListMessagesResponse>(r));
      expectSuccess(history.body);
      expect(history.body.data.messages.map((m) => m.seq)).toEqual([1, 2]);
    } finally {
      sarah.socket.close();
      samia.socket.close();
    }
  });
});
