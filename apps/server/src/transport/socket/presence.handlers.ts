import { type TPresence, ZJoinChatPayload, ZLeaveChatPayload } from '@chat/contracts';
import type { Actor } from '../../domain/types.js';
import { toChatJoined } from '../../services/message-view.js';
import type { SocketConnection } from './connection.js';
import { presenceRoom, sessionRoom } from './rooms.js';
import type { ChatSocket, HandlerDeps } from './socket-types.js';

/**
 * `join_chat` and `leave_chat`, and the sessions a socket stops watching without asking (its
 * user's role changed, the socket closed). Who is announced is the presence service's rule.
 */
export function registerPresenceHandlers(connection: SocketConnection, deps: HandlerDeps): void {
  const { socket } = connection;

  connection.handle('join_chat', ZJoinChatPayload, async (actor, { session_id, since_seq }) => {
    const joined = await deps.services.messages.join(
      actor,
      session_id,
      since_seq,
      ({ isParticipant }) => enterSession(connection, deps, actor, session_id, isParticipant),
    );
    const data = toChatJoined(joined);
    socket.emit('chat_joined', data);
    return data;
  });

  connection.handle('leave_chat', ZLeaveChatPayload, async (actor, { session_id }) => {
    if (!connection.noteLeft(session_id)) return null;
    deps.typing.stop(session_id);
    await leaveRooms(socket, session_id, actor.id);
    await announceLeave(deps, session_id, actor.id, socket.data.userName ?? '');
    return null;
  });

  // The user's role no longer lets them read these (an admin or monitor demoted): stop watching.
  // Only a session watched through that override is lost, so nobody's presence changes.
  connection.onLostSessions(async (sessionIds) => {
    for (const sessionId of sessionIds) {
      deps.typing.stop(sessionId);
      connection.noteLeft(sessionId);
      await leaveRooms(socket, sessionId, socket.data.userId);
    }
  });

  socket.on('disconnect', () => {
    const { userId, userName } = socket.data;
    if (!userId) return;
    for (const sessionId of connection.joined) {
      announceLeave(deps, sessionId, userId, userName ?? '').catch(() => {
        // Not expected (presence lookups settle by themselves); nothing to undo.
      });
    }
  });
}

/**
 * Runs once access is granted, before the catch-up query: asks whether this join is announced
 * (before the socket counts as one of the user's tabs), enters the rooms, then announces it.
 */
async function enterSession(
  connection: SocketConnection,
  { services, tabs }: HandlerDeps,
  actor: Actor,
  sessionId: string,
  isParticipant: boolean,
): Promise<void> {
  const { socket } = connection;
  const announced = await services.presence.announcesJoin(tabs, sessionId, actor.id, isParticipant);
  // Admins and monitors looking in have no presence room: they are never one of the user's tabs.
  await socket.join([
    sessionRoom(sessionId),
    ...(isParticipant ? [presenceRoom(sessionId, actor.id)] : []),
  ]);
  connection.noteJoined(sessionId);
  if (announced) {
    socket
      .to(sessionRoom(sessionId))
      .emit('user_joined', presence(actor.id, socket.data.userName ?? '', sessionId));
  }
}

async function leaveRooms(socket: ChatSocket, sessionId: string, userId: string | undefined) {
  await socket.leave(sessionRoom(sessionId));
  if (userId) await socket.leave(presenceRoom(sessionId, userId));
}

/** `user_left` to the room, when the presence service says the user's last tab is gone. */
async function announceLeave(
  { io, services, tabs }: HandlerDeps,
  sessionId: string,
  userId: string,
  userName: string,
): Promise<void> {
  if (!(await services.presence.announcesLeave(tabs, sessionId, userId))) return;
  io.to(sessionRoom(sessionId)).emit('user_left', presence(userId, userName, sessionId));
}

/** `user_joined` and `user_left`'s payload. */
function presence(userId: string, userName: string, sessionId: string): TPresence {
  return { user_id: userId, user_name: userName, session_id: sessionId };
}
