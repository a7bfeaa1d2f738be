import { ZDevUsersResponse } from '@chat/contracts';
import { describe, expect, it } from 'vitest';
import { describeError, errorFromResponse, isRetryable, toFailure } from './errors.js';
import { createRestClient, parseEnvelope, pathFor, xhrUpload } from './rest.js';
import { message, SESSION } from './test/factories.js';
import { fakeFetch, ok, refused } from './test/fakes.js';

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

  it('anything thrown that is no API error fails as BAD_RESPONSE with its own text', () => {
    expect(toFailure(new Error('Unexpected token <'), describeError)).toEqual({
      code: 'BAD_RESPONSE',
      message: 'Unexpected token <',
    });
  });
});

describe('requests', () => {
  it('asks the token function for every request, so a refreshed token is used at once', async () => {
    const { fetch, requests } = fakeFetch(() => ok({ messages: [message(1)], has_more: false }));
    let token = 'first';
    const rest = createRestClient({ baseUrl: 'https://chat.example/', token: () => token, fetch });
    await rest.listMessages({ session_id: SESSION, limit: 50 });
    token = 'second';
    await rest.listMessages({ session_id: SESSION, before_message_id: message(1).id });
    expect(requests.map((r) => [r.url, r.headers.Authorization])).toEqual([
      [`https://chat.example/api/chat/messages?session_id=${SESSION}&limit=50`, 'Bearer first'],
      [
        `https://chat.example/api/chat/messages?session_id=${SESSION}&before_message_id=${message(1).id}`,
        'Bearer second',
      ],
    ]);
  });

  it('reads a refusal as an ApiError with its code and Retry-After', async () => {
    const { fetch } = fakeFetch(() => refused(429, 'RATE_LIMIT_EXCEEDED', { 'Retry-After': '7' }));
    const rest = createRestClient({ token: 't', fetch });
    await expect(rest.sendMessage({ session_id: SESSION, content: 'hi' })).rejects.toMatchObject({
      code: 'RATE_LIMIT_EXCEEDED',
      status: 429,
      retryAfterSeconds: 7,
    });
  });

  it('a request that gets no answer fails as NETWORK_ERROR', async () => {
    const rest = createRestClient({
      token: 't',
      fetch: async () => {
        throw new TypeError('fetch failed');
      },
    });
    await expect(rest.getSession(SESSION)).rejects.toMatchObject({ code: 'NETWORK_ERROR' });
  });

  it('sends the development sign-in without a token', async () => {
    const { fetch, requests } = fakeFetch(() =>
      ok({ token: 'dev', expires_at: '2030-01-01T00:00:00.000Z', user: sarah }),
    );
    await createRestClient({ token: 'stale', fetch }).devSignIn(sarah.id);
    expect(requests[0]?.headers.Authorization).toBeUndefined();
    expect(requests[0]?.body).toEqual({ user_id: sarah.id });
  });
});

describe('upload', () => {
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
    const rest = createRestClient({
      token: 'token',
      upload: xhrUpload(FakeRequest as unknown as typeof XMLHttpRequest),
    });
    const id = '22222222-2222-4222-8222-222222222222';
    rest.upload(
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
