import {
  successEnvelope,
  type TListSessionsResponse,
  ZErrorEnvelope,
  ZListSessionsResponse,
} from '@chat/contracts';
import { serializerCompiler } from 'fastify-type-provider-zod';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { fastSuccessSerializer, serializerSchema } from './fast-serializer.js';

const ID = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
const schema = successEnvelope(ZListSessionsResponse);
const route = (httpStatus: string, s: z.ZodType) => ({
  schema: s,
  httpStatus,
  method: 'GET',
  url: '/api/chat/sessions',
});
const zodWrites = (s: z.ZodType, data: unknown) =>
  serializerCompiler(route('200', s) as Parameters<typeof serializerCompiler>[0])(data);

const profile = (n: number) => ({
  id: ID(n),
  first_name: n % 2 ? 'Sarah "S" Ø' : null,
  last_name: null,
  avatar_url: n % 3 ? null : 'https://x/a.png?\u2028',
  role: 'client' as const,
});

const list: TListSessionsResponse = {
  sessions: [
    {
      id: ID(1),
      booking_id: ID(2),
      session_type: 'booking',
      status: 'active',
      participants: [ID(3), ID(4)],
      last_message_at: '2024-12-01T10:00:00.123Z',
      last_seq: 7,
      unread_count: 3,
      last_message: {
        id: ID(5),
        seq: 7,
        sender_id: null,
        type: 'system',
        content: null,
        created_at: '2024-12-01T10:00:00.123Z',
      },
      created_at: '2024-11-01T10:00:00.000Z',
      bookings: {
        id: ID(2),
        status: 'confirmed',
        scheduled_at: null,
        client_id: ID(3),
        reader_id: ID(4),
        services: { id: ID(6), name: 'Full \\ Tarot', type: 'comprehensive' },
        profiles: [profile(3), profile(4)],
      },
    },
    {
      id: ID(7),
      booking_id: null,
      session_type: 'general',
      status: 'closed',
      participants: [],
      last_message_at: null,
      last_seq: 0,
      unread_count: 0,
      last_message: null,
      created_at: '2024-11-01T10:00:00.000Z',
      bookings: null,
    },
  ],
  pagination: { page: 2, limit: 20, total: 21, total_pages: 2 },
};

describe('fastSuccessSerializer', () => {
  it('writes a session list byte for byte as the zod serializer does', () => {
    const fast = fastSuccessSerializer(route('200', schema));
    for (const data of [
      { success: true, data: list },
      { success: true, data: list, message: 'ok' },
      { success: true, data: { ...list, sessions: [] } },
    ]) {
      expect(fast(data)).toBe(zodWrites(schema, data));
    }
  });

  it('writes only the contract’s properties (a private field never leaks)', () => {
    const fast = fastSuccessSerializer(route('200', schema));
    const [first] = list.sessions;
    const leaky = {
      success: true,
      data: { ...list, sessions: [{ ...first, metadata: { secret: 1 }, created_by: ID(9) }] },
      internal: true,
    };
    const written = JSON.parse(fast(leaky));
    expect(Object.keys(written)).toEqual(['success', 'data']);
    expect(Object.keys(written.data.sessions[0])).toEqual(Object.keys(first ?? {}));
  });

  it('keeps the zod serializer for error statuses', () => {
    const envelope = { success: false, error: 'x', code: 'NOT_FOUND', details: [] };
    expect(fastSuccessSerializer(route('404', ZErrorEnvelope))(envelope)).toBe(
      zodWrites(ZErrorEnvelope, envelope),
    );
  });

  it('refuses a contract with a union it would write slowly, instead of compiling it', () => {
    const union = z.union([z.object({ x: z.string() }), z.object({ y: z.number() })]);
    expect(() => serializerSchema(z.object({ a: union }))).toThrow(/union at #\/a/);
  });

  it('a property named like a JSON Schema keyword is kept', () => {
    const s = z.object({ format: z.string(), pattern: z.string().nullable() });
    const fast = fastSuccessSerializer(route('200', s));
    expect(fast({ format: 'x', pattern: null })).toBe('{"format":"x","pattern":null}');
  });
});
