import { z } from 'zod';
import type { Database } from './database.js';

/** The channel migration 0005's triggers notify on. */
export const PROFILE_CHANGES_CHANNEL = 'chat_profile_changes';

/** `{"id": "<profile id>", "op": "update" | "delete"}`, as the trigger writes it. */
const ZProfileChange = z.object({ id: z.string().min(1), op: z.enum(['update', 'delete']) });

export interface ProfileChangeHandlers {
  /** A profile's role changed, or (`deleted`) the profile was deleted. */
  changed(userId: string, deleted: boolean): void;
  /** Announcements may have been lost: the listening connection was cut and listens again. */
  missed(): void;
  /** The listening connection failed (it is re-opened by itself). */
  lost(error: unknown): void;
}

/**
 * Hears every role change and deleted profile, from whoever made it (the marketplace's own SQL
 * included), on every node: each node listens on its own connection to the same database.
 * Resolves to the function that stops listening.
 */
export function listenForProfileChanges(
  database: Database,
  handlers: ProfileChangeHandlers,
): Promise<() => Promise<void>> {
  return database.listen(PROFILE_CHANGES_CHANNEL, {
    notify(payload) {
      let parsed: ReturnType<typeof ZProfileChange.safeParse>;
      try {
        parsed = ZProfileChange.safeParse(JSON.parse(payload));
      } catch {
        return;
      }
      // Anything else on the channel is not ours to act on.
      if (parsed.success) handlers.changed(parsed.data.id, parsed.data.op === 'delete');
    },
    missed: () => handlers.missed(),
    lost: (error) => handlers.lost(error),
  });
}
