import type { AuthService } from '../auth/auth.service.js';
import type { EventBus } from '../bus/bus.js';
import type { Actor } from '../domain/types.js';
import { ChatError } from '../errors.js';
import { isAllowed, type RosterCache } from './access.policy.js';

export interface ProfileChangesDeps {
  auth: AuthService;
  bus: EventBus;
  rosters: RosterCache;
}

/** Where an open connection stands once its user's profile was read again. */
export interface Standing {
  /** The user as the database has them now: the connection's later events act as this. */
  actor: Actor;
  /** Sessions the connection watches that this user may no longer read. */
  unreadable: string[];
}

/**
 * Roles and profiles belong to the marketplace, which changes them by itself (SQL, Supabase):
 * the database announces a role change or a deleted profile, and this turns it into what every
 * transport needs: the profile cache forgets the user at once (their next request reads the
 * new role), and the open connections of the user are told to re-read it (`profile.changed`).
 */
export function createProfileChangesService({ auth, bus, rosters }: ProfileChangesDeps) {
  /** Whether `userId` takes part in the session; a session that is gone has no one. */
  const isParticipant = async (sessionId: string, userId: string): Promise<boolean> => {
    try {
      return (await rosters.get(sessionId)).participantIds.includes(userId);
    } catch (error) {
      if (error instanceof ChatError && error.code === 'SESSION_NOT_FOUND') return false;
      throw error;
    }
  };

  return {
    /** The database announced that `userId`'s role changed or their profile was deleted. */
    changed(userId: string, deleted: boolean): void {
      auth.forget(userId);
      bus.publish('profile.changed', { userId, deleted });
    },

    /** Announcements may have been lost (the listening connection was cut): re-read everyone. */
    missed(): void {
      auth.forgetAll();
      bus.publish('profiles.missed', {});
    },

    /**
     * An open connection's standing from its user's profile as the database has it now. A
     * deleted profile throws `AUTHENTICATION_REQUIRED`, as signing in would. A participant keeps
     * every session of theirs whatever their role; a session watched through the admin or
     * monitor override is lost with the role.
     */
    async reassess(actor: Actor, watching: readonly string[]): Promise<Standing> {
      const profile = await auth.reload(actor.id);
      const current: Actor = { ...profile, origin: actor.origin };
      const readable = await Promise.all(
        watching.map(async (sessionId) =>
          isAllowed(current, await isParticipant(sessionId, current.id), 'read'),
        ),
      );
      return { actor: current, unreadable: watching.filter((_, i) => !readable[i]) };
    },
  };
}
export type ProfileChangesService = ReturnType<typeof createProfileChangesService>;
