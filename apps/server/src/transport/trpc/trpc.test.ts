import { ERROR_CODES, ERROR_DEFINITIONS } from '@chat/contracts';
import { TRPCError } from '@trpc/server';
import { getHTTPStatusCodeFromError } from '@trpc/server/http';
import { describe, expect, it } from 'vitest';
import { trpcCodeOf } from './trpc.js';

describe('tRPC codes follow the error table', () => {
  it('every code answers over tRPC with the HTTP status REST gives it', () => {
    for (const code of ERROR_CODES) {
      const status = getHTTPStatusCodeFromError(new TRPCError({ code: trpcCodeOf(code) }));
      expect({ code, status }).toEqual({ code, status: ERROR_DEFINITIONS[code].status });
    }
  });
});
