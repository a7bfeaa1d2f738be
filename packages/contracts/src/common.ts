import { z } from 'zod';

/** Any PostgreSQL-shaped UUID (Supabase ids are v4, but older rows may not be). */
export const ZId = z.guid({ message: 'must be a UUID' });

/** ISO 8601 timestamp in UTC, as every time on the wire is. */
export const ZTimestamp = z.string();

/** A UTF-16 surrogate without its partner: no character, so it has no UTF-8 form either. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * What in `value` PostgreSQL cannot store as it was sent, or null: a NUL (text and jsonb refuse
 * it) or an unpaired surrogate (jsonb refuses its `\uD800` escape; text would hold U+FFFD, not
 * what was sent). Every free text a client sends is held to this, whatever the transport.
 */
export function unstorableText(value: string): 'NUL characters' | 'unpaired surrogates' | null {
  if (value.includes('\u0000')) return 'NUL characters';
  if (LONE_SURROGATE.test(value)) return 'unpaired surrogates';
  return null;
}

/**
 * Free-form JSON object attached to sessions and messages, bounded so it cannot bloat rows, and
 * with no key or string PostgreSQL's jsonb cannot hold (see `unstorableText`).
 */
export const ZMetadata = z
  .record(z.string(), z.unknown())
  // `abort`: the text check below only ever walks a document already known to be small.
  .refine((value) => serializedLength(value) <= 8192, {
    message: 'metadata must serialize to at most 8192 characters',
    abort: true,
  })
  .superRefine((value, ctx) => {
    const unstorable = unstorableIn(value);
    if (unstorable)
      ctx.addIssue({ code: 'custom', message: `metadata must not contain ${unstorable}` });
  });

/** JSON length; a document nested too deeply to serialise counts as too long. */
function serializedLength(value: unknown): number {
  try {
    return JSON.stringify(value).length;
  } catch {
    return Number.POSITIVE_INFINITY;
  }
}

/** Walks with its own stack, not recursion: a 4,000-deep document must not overflow the call stack. */
function unstorableIn(root: unknown): ReturnType<typeof unstorableText> {
  const pending: unknown[] = [root];
  while (pending.length > 0) {
    const value = pending.pop();
    if (typeof value === 'string') {
      const unstorable = unstorableText(value);
      if (unstorable) return unstorable;
    } else if (Array.isArray(value)) {
      for (const inner of value) pending.push(inner);
    } else if (value !== null && typeof value === 'object') {
      for (const [key, inner] of Object.entries(value)) {
        const unstorable = unstorableText(key);
        if (unstorable) return unstorable;
        pending.push(inner);
      }
    }
  }
  return null;
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
