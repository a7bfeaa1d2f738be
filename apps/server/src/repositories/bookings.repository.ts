import { eq, inArray } from 'drizzle-orm';
import type { Executor } from '../db/database.js';
import { bookings, services } from '../db/schema.js';
import type { BookingRow } from '../domain/types.js';

export interface BookingWithService extends BookingRow {
  service: { id: string; name: string; type: string } | null;
}

export function createBookingsRepository(db: Executor) {
  return {
    async findById(id: string): Promise<BookingRow | null> {
      const rows = await db.select().from(bookings).where(eq(bookings.id, id)).limit(1);
      return rows[0] ?? null;
    },

    async findWithServices(ids: readonly string[]): Promise<BookingWithService[]> {
      if (ids.length === 0) return [];
      const rows = await db
        .select({ booking: bookings, service: services })
        .from(bookings)
        .leftJoin(services, eq(services.id, bookings.serviceId))
        .where(inArray(bookings.id, [...new Set(ids)]));
      return rows.map((r) => ({ ...r.booking, service: r.service }));
    },

    async insertService(row: typeof services.$inferInsert): Promise<void> {
      await db.insert(services).values(row).onConflictDoNothing();
    },

    async insertBooking(row: typeof bookings.$inferInsert): Promise<void> {
      await db.insert(bookings).values(row).onConflictDoNothing();
    },
  };
}
export type BookingsRepository = ReturnType<typeof createBookingsRepository>;
