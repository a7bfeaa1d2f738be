import { z } from 'zod';

/** Any PostgreSQL-shaped UUID (Supabase ids are v4, but older rows may not be). */
export const ZId = z.guid({ message: 'must be a UUID' });

/** ISO 8601 timestamp in UTC, as every time on the wire is. */
export const ZTimestamp = z.string();

/**
 * Free-form JSON object attached to sessions and messages, bounded so it cannot bloat rows, and
 * without NUL characters (PostgreSQL's jsonb cannot hold them).
 */
export const ZMetadata = z
  .record(z.string(), z.unknown())
  .refine((value) => JSON.stringify(value).length <= 8192, {
    message: 'metadata must serialize to at most 8192 characters',
  })
  .refine((value) => !containsNul(value), { message: 'metadata must not contain NUL characters' });

function containsNul(value: unknown): boolean {
  if (typeof value === 'string') return value.includes('\u0000');
  if (Array.isArray(value)) return value.some(containsNul);
  if (value !== null && typeof value === 'object') {
    return Object.entries(value).some(([key, inner]) => key.includes('\u0000') || containsNul(inner));
  }
  return false;
}

/** Query-string integer with a default, e.g. `page`. */
export function queryInt(defaultValue: number, min: number) {
  return z.coerce.number().int().min(min).default(defaultValue);
}

/** `limit` accepts 1..max; larger values are clamped to max rather than refused. */
export function queryLimit(defaultValue: number, max: number) {
  return z.coerce
    .number()
    .int()
    .min(1)
    .default(defaultValue)
    .transform((n) => Math.min(n, max));
}

export const ZPagination = z.object({
  page: z.number().int(),
  limit: z.number().int(),
  total: z.number().int(),
  total_pages: z.number().int(),
});
export type TPagination = z.infer<typeof ZPagination>;

export const ZProfileRole = z.enum(['client', 'reader', 'admin', 'monitor']);
export type TProfileRole = z.infer<typeof ZProfileRole>;

/** A participant or sender as shown to other users. */
export const ZProfile = z.object({
  id: ZId,
  first_name: z.string().nullable(),
  last_name: z.string().nullable(),
  avatar_url: z.string().nullable(),
  role: ZProfileRole,
});
export type TProfile = z.infer<typeof ZProfile>;
