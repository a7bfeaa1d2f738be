/** Everyone watching a session. */
export const sessionRoom = (sessionId: string) => `session:${sessionId}`;
/** Every socket of one user (all tabs, all nodes): unread badges, read receipts. */
export const userRoom = (userId: string) => `user:${userId}`;
/** One user's sockets in one session: presence is "this room is not empty". */
export const presenceRoom = (sessionId: string, userId: string) =>
  `presence:${sessionId}:${userId}`;
