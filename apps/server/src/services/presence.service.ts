/**
 * Where one user's open tabs (sockets) in a session are. The transport answers it from its
 * rooms; the presence rules below only ask.
 */
export interface SessionTabs {
  /** Some tab of the user is in the session on this node (no other node asked). */
  here(sessionId: string, userId: string): boolean;
  /**
   * Some tab of the user is in the session on any node: true or false when every node answered,
   * undefined when the other nodes could not be asked (Redis away, a node not answering in time).
   */
  anywhere(sessionId: string, userId: string): Promise<boolean | undefined>;
}

/**
 * Who is announced in a session: a participant's first tab joining (`user_joined`) and their
 * last tab leaving (`user_left`), on any node. Admins and monitors looking in are not announced.
 */
export function createPresenceService() {
  return {
    /**
     * Whether this join is announced, asked before the joining tab enters the session. When the
     * other nodes cannot be asked, this node's answer decides (at worst a repeated user_joined).
     */
    async announcesJoin(
      tabs: SessionTabs,
      sessionId: string,
      userId: string,
      isParticipant: boolean,
    ): Promise<boolean> {
      return (
        isParticipant &&
        !tabs.here(sessionId, userId) &&
        !((await tabs.anywhere(sessionId, userId)) ?? false)
      );
    },

    /**
     * Whether this leave is announced, asked after the leaving tab left: only when no tab is left
     * anywhere; when the other nodes cannot be asked, not announced.
     */
    async announcesLeave(tabs: SessionTabs, sessionId: string, userId: string): Promise<boolean> {
      return !tabs.here(sessionId, userId) && (await tabs.anywhere(sessionId, userId)) === false;
    },
  };
}
export type PresenceService = ReturnType<typeof createPresenceService>;
