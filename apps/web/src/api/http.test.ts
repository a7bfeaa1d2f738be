import { ZDevUsersResponse } from '@chat/contracts';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { describeError, errorFromResponse, isRetryable } from './errors';
import { parseEnvelope, pathFor, uploadFile } from './http';

const sarah = {
  id: '11111111-1111-4111-8111-111111111111',
  first_name: 'Sarah',
  last_name: 'Johnson',
  avatar_url: null,
  role: 'client',
};

describe('parseEnvelope', () => {
  it('returns the data of an answer that matches the contract', () => {
    expect(
      parseEnvelope(ZDevUsersResponse, { success: true, data: { users: [sarah] } }, 'users'),
    ).toEqual({
      users: [sarah],
    });
  });

  it('names the fields of an answer that does not match the contract', () => {
    expect(() =>
      parseEnvelope(
        ZDevUsersResponse,
        { success: true, data: { users: [{ ...sarah, role: 'superuser' }] } },
        'users',
      ),
    ).toThrow(/data\.users\.0\.role/);
  });
});

describe('pathFor', () => {
  it('fills and encodes path parameters', () => {
    expect(
      pathFor('/api/chat/messages/:id/reactions/:reaction', { id: 'abc', reaction: '❤️' }),
    ).toBe('/api/chat/messages/abc/reactions/%E2%9D%A4%EF%B8%8F');
  });
});

describe('errors', () => {
  it('reads the error envelope and Retry-After of a rate limit', () => {
    const error = errorFromResponse(
      429,
      { success: false, error: 'Too many requests', code: 'RATE_LIMIT_EXCEEDED', details: [] },
      '12',
    );
    expect(error.code).toBe('RATE_LIMIT_EXCEEDED');
    expect(describeError(error)).toBe('You are sending too fast. Try again in 12 s.');
    expect(isRetryable(error)).toBe(true);
  });

  it('explains a closed session and does not offer to retry it', () => {
    const error = errorFromResponse(
      409,
      { success: false, error: 'inactive', code: 'SESSION_INACTIVE', details: [] },
      null,
    );
    expect(describeError(error)).toMatch(/closed/);
    expect(isRetryable(error)).toBe(false);
  });

  it('treats an answer that is not an envelope as a bad response', () => {
    expect(errorFromResponse(502, '<html>', null).code).toBe('BAD_RESPONSE');
  });
});

describe('uploadFile', () => {
  afterEach(() => {
    vi.unstubAllGlobals();
  });

  it('sends id and session_id before the file, so a retry out of budget is still answered', () => {
    const sent: FormData[] = [];
    class FakeRequest {
      upload = {};
      open() {}
      setRequestHeader() {}
      send(body: FormData) {
        sent.push(body);
      }
      abort() {}
    }
    vi.stubGlobal('XMLHttpRequest', FakeRequest);
    const id = '22222222-2222-4222-8222-222222222222';
    uploadFile(
      'token',
      'voice',
      { id, session_id: sarah.id, duration: 2 },
      new Blob(['RIFF']),
      'voice_note.webm',
      () => {},
    );
    const names = [...(sent[0]?.keys() ?? [])];
    expect(names).toEqual(['id', 'session_id', 'duration', 'voice_note']);
    expect(sent[0]?.get('id')).toBe(id);
  });
});
