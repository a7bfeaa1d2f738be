import {
  ZJoinChatPayload,
  ZLeaveChatPayload,
  ZMarkReadPayload,
  ZMessageReactionPayload,
  ZSendMessagePayload,
  ZTypingPayload,
} from '@chat/contracts';
import type { AppServices } from '../../app-services.js';
import { ChatError } from '../../errors.js';
import { toSocketMessage } from '../../services/message-view.js';
import type { SocketConnection } from './connection.js';
import { presenceRoom, sessionRoom } from './rooms.js';
import type { ChatServer } from './socket-types.js';
import type { TypingState } from './typing.js';

/** How long a presence lookup may wait for the other nodes before this node answers alone. */
export const PRESENCE_LOOKUP_MS = 2_000;

/**
 * Every chat event of the reference (and its snake_case extensions) for one socket.
 * `clusterReachable` says whether the adapter can ask the other nodes right now (Redis up).
 */
export function registerChatHandlers(
  io: ChatServer,
  connection: SocketConnection,
  typing: TypingState,
  services: AppServices,
  clusterReachable: () => boolean = () => true,
): void {
  const { socket, joined } = connection;

  /**
   * Whether any socket of this user (any tab, any node) is still in the session's room: true or
   * false when every node answered, undefined when the other nodes could not be asked (Redis
   * away, a node not answering in time). Never hangs: `fetchSockets` waits on Redis forever
   * while it is down, and the socket's next events wait behind this one.
   */
  const presentAnywhere = async (
    sessionId: string,
    userId: string,
  ): Promise<boolean | undefined> => {
    if (!clusterReachable()) return undefined;
    let timer: NodeJS.Timeout | undefined;
    const gaveUp = new Promise<undefined>((resolve) => {
      timer = setTimeout(() => resolve(undefined), PRESENCE_LOOKUP_MS);
    });
    try {
      const sockets = await Promise.race([
        io.in(presenceRoom(sessionId, userId)).timeout(PRESENCE_LOOKUP_MS).fetchSockets(),
        gaveUp,
      ]);
      return sockets === undefined ? undefined : sockets.length > 0;
    } catch {
      return undefined;
    } finally {
      clearTimeout(timer);
    }
  };

  /** This node's own sockets of the user in the session (no Redis involved). */
  const presentHere = (sessionId: string, userId: string) =>
    (io.of('/').adapter.rooms.get(presenceRoom(sessionId, userId))?.size ?? 0) > 0;

  /** Sent only when no tab is left anywhere; when the other nodes cannot be asked, not sent. */
  const announceLeave = async (sessionId: string, userId: string, userName: string) => {
    if (presentHere(sessionId, userId) || (await presentAnywhere(sessionId, userId)) !== false)
      return;
    io.to(sessionRoom(sessionId)).emit('user_left', {
      user_id: userId,
      user_name: userName,
      session_id: sessionId,
    });
  };

  connection.handle('join_chat', ZJoinChatPayload, async (actor, { session_id, since_seq }) => {
    const result = await services.messages.join(
      actor,
      session_id,
      since_seq,
      async ({ isParticipant }) => {
        // When the other nodes cannot be asked, this node's answer decides (at worst a repeated user_joined).
        const firstTab =
          isParticipant &&
          !presentHere(session_id, actor.id) &&
          !((await presentAnywhere(session_id, actor.id)) ?? false);
        await socket.join([
          sessionRoom(session_id),
          ...(isParticipant ? [presenceRoom(session_id, actor.id)] : []),
        ]);
        if (!joined.includes(session_id)) joined.push(session_id);
        else joined.push(joined.splice(joined.indexOf(session_id), 1)[0] ?? session_id);
        // Admins and monitors looking in are not announced; the user's second tab is not either.
        if (firstTab) {
          socket.to(sessionRoom(session_id)).emit('user_joined', {
            user_id: actor.id,
            user_name: socket.data.userName ?? '',
            session_id,
          });
        }
      },
    );
    const data = {
      session_id: result.session_id,
      last_seq: result.last_seq,
      messages: result.messages.map(toSocketMessage),
      resync_required: result.resync_required,
    };
    socket.emit('chat_joined', data);
    return data;
  });

  connection.handle('leave_chat', ZLeaveChatPayload, async (actor, { session_id }) => {
    if (!joined.includes(session_id)) return null;
    typing.stop(session_id);
    joined.splice(joined.indexOf(session_id), 1);
    await socket.leave(sessionRoom(session_id));
    await socket.leave(presenceRoom(session_id, actor.id));
    await announceLeave(session_id, actor.id, socket.data.userName ?? '');
    return null;
  });

  connection.handle('send_message', ZSendMessagePayload, async (actor, { session_id, message }) => {
    const { message: stored } = await services.messages.submit(
      actor,
      { ...message, session_id },
      'socket',
    );
    // A message sent means typing in that session is over.
    typing.stop(session_id);
    const sent = {
      message_id: stored.id,
      session_id: stored.session_id,
      seq: stored.seq,
      created_at: stored.created_at,
    };
    socket.emit('message_sent', sent);
    return sent;
  });

  const typingSession = (payload: { session_id?: string | undefined } | undefined) => {
    const sessionId = payload?.session_id ?? joined.at(-1);
    if (!sessionId) {
      throw new ChatError('VALIDATION_ERROR', 'No session: pass session_id or join a chat first', {
        details: ['session_id: required when no chat was joined'],
      });
    }
    return sessionId;
  };

  connection.handle('typing_start', ZTypingPayload, async (actor, payload) => {
    const sessionId = typingSession(payload);
    if (typing.isTyping(sessionId)) {
      typing.start(sessionId);
      return null;
    }
    await services.sessions.authorizeTyping(actor, sessionId);
    typing.start(sessionId);
    return null;
  });

  connection.handle('typing_stop', ZTypingPayload, async (_actor, payload) => {
    typing.stop(typingSession(payload));
    return null;
  });

  connection.handle(
    'message_reaction',
    ZMessageReactionPayload,
    async (actor, { message_id, reaction }) => {
      const change = await services.reactions.toggle(actor, message_id, reaction);
      return {
        message_id: change.message_id,
        session_id: change.session_id,
        user_id: change.user_id,
        user_name: socket.data.userName ?? '',
        reaction: change.reaction,
        action: change.action,
        reactions: change.reactions,
      };
    },
  );

  connection.handle('mark_read', ZMarkReadPayload, async (actor, { message_id }) =>
    services.messages.markRead(actor, message_id),
  );

  // The user's role no longer lets them read these (an admin or monitor demoted): stop watching.
  // Only a session watched through that override is lost, so nobody's presence changes.
  connection.onLostSessions(async (sessionIds) => {
    for (const sessionId of sessionIds) {
      typing.stop(sessionId);
      if (joined.includes(sessionId)) joined.splice(joined.indexOf(sessionId), 1);
      await socket.leave(sessionRoom(sessionId));
      if (socket.data.userId) await socket.leave(presenceRoom(sessionId, socket.data.userId));
    }
  });

  socket.on('disconnect', () => {
    typing.stopAll();
    const { userId, userName } = socket.data;
    if (!userId) return;
    for (const sessionId of joined) {
      announceLeave(sessionId, userId, userName ?? '').catch(() => {
        // Not expected (presence lookups settle by themselves); nothing to undo.
      });
    }
  });
}
