import { inArray } from 'drizzle-orm';
import type { Executor } from '../db/database.js';
import { profiles } from '../db/schema.js';
import { type ProfileRow, toRole } from '../domain/types.js';
import { inUuids, sharedLookup } from './coalesce.js';

export function createProfilesRepository(db: Executor) {
  const toRow = (r: typeof profiles.$inferSelect): ProfileRow => ({ ...r, role: toRole(r.role) });

  // Concurrent lookups on the pool share a query (see coalesce.ts): a burst of sockets signing in.
  const profilesById = sharedLookup(
    db,
    (ids) =>
      db
        .select()
        .from(profiles)
        .where(inUuids(db, profiles.id, ids)),
    (row) => row.id,
  );

  return {
    async findById(id: string): Promise<ProfileRow | null> {
      const [row] = await profilesById([id]);
      return row ? toRow(row) : null;
    },

    async findByIds(ids: readonly string[]): Promise<ProfileRow[]> {
      if (ids.length === 0) return [];
      const rows = await db
        .select()
        .from(profiles)
        .where(inArray(profiles.id, [...new Set(ids)]));
      return rows.map(toRow);
    },

    /** Inserts profiles that do not exist yet (demo seed, test factories); never overwrites. */
    async insertMissing(rows: readonly ProfileRow[]): Promise<void> {
      if (rows.length === 0) return;
      await db
        .insert(profiles)
        .values([...rows])
        .onConflictDoNothing();
    },
  };
}
export type ProfilesRepository = ReturnType<typeof createProfilesRepository>;
