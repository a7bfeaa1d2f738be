import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ERROR_CODES, ERROR_DEFINITIONS, httpStatusFor, issueDetails } from './errors.js';

describe('the error table', () => {
  it('gives every code an HTTP error status and a text', () => {
    for (const code of ERROR_CODES) {
      expect(httpStatusFor(code)).toBeGreaterThanOrEqual(400);
      expect(ERROR_DEFINITIONS[code].message).not.toBe('');
    }
  });
});

describe('issueDetails', () => {
  const schema = z.object({ session_id: z.string(), message: z.object({ content: z.string() }) });

  it('writes one `path: problem` line per issue, nested paths dotted', () => {
    const result = schema.safeParse({ session_id: 1, message: { content: 2 } });
    expect(issueDetails(result.error?.issues ?? [])).toEqual([
      'session_id: Invalid input: expected string, received number',
      'message.content: Invalid input: expected string, received number',
    ]);
  });

  it('names a problem with the whole value as told, and leaves it unnamed otherwise', () => {
    const issues = schema.safeParse('not an object').error?.issues ?? [];
    expect(issueDetails(issues, { whole: 'payload' })).toEqual([
      'payload: Invalid input: expected object, received string',
    ]);
    expect(issueDetails(issues)).toEqual([': Invalid input: expected object, received string']);
  });
});
