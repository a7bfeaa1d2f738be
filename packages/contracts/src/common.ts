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
  // `abort`: the NUL check below only ever walks a document already known to be small.
  .refine((value) => serializedLength(value) <= 8192, {
    message: 'metadata must serialize to at most 8192 characters',
    abort: true,
  })
  .refine((value) => !containsNul(value), { message: 'metadata must not contain NUL characters' });

/** JSON length; a document nested too deeply to serialise counts as too long. */
function serializedLength(value: unknown): number {
  try {
    return JSON.stringify(value).length;
  } catch {
    return Number.POSITIVE_INFINITY;
  }
}

/** Walks with its own stack, not recursion: a 4,000-deep document must not overflow the call stack. */
function containsNul(root: unknown): boolean {
  const pending: unknown[] = [root];
  while (pending.length > 0) {
    const value = pending.pop();
    if (typeof value === 'string') {
      if (value.includes('\u0000')) return true;
    } else if (Array.isArray(value)) {
      for (const inner of value) pending.push(inner);
    } else if (value !== null && typeof value === 'object') {
      for (const [key, inner] of Object.entries(value)) {
        if (key.includes('\u0000')) return true;
        pending.push(inner);
      }
    }
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
