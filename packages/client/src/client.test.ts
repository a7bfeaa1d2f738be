import { afterEach, describe, expect, it, vi } from 'vitest';
import { createChatClient } from './client.js';
import type { ServerEvent } from './events.js';
import { SARAH } from './test/factories.js';
import { FakeSocket, fakeNetwork, settle } from './test/fakes.js';

function connect(token: string | (() => string | Promise<string>) = 'token') {
  const socket = new FakeSocket();
  const network = fakeNetwork();
  const client = createChatClient({ userId: SARAH, token, createSocket: socket.create, network });
  return { socket, network, client, connection: () => client.getState().connection };
}

const sarahUser = { id: SARAH, name: 'Sarah Johnson', avatar: null, role: 'client' as const };

afterEach(() => {
  vi.useRealTimers();
});

describe('ChatClient: the connection', () => {
  it('signs in with the token on the handshake and knows the user after `authenticated`', async () => {
    const { socket, client, connection } = connect();
    expect(connection()).toBe('connecting');
    await socket.open();
    expect(socket.auth).toEqual({ token: 'token' });
    expect(connection()).toBe('connected');
    socket.fire('authenticated', { user: sarahUser });
    expect(client.getState().user).toEqual(sarahUser);
  });

  it('closes the socket when the device goes offline and reconnects when it is back', async () => {
    const { socket, network, connection } = connect();
    await socket.open();
    network.set(false);
    expect(connection()).toBe('offline');
    expect(socket.connected).toBe(false);
    network.set(true);
    expect(connection()).toBe('connecting');
    expect(socket.connects).toBe(1);
  });

  it('hands every server event on with the time it came', async () => {
    const { socket, client } = connect();
    const seen: ServerEvent[] = [];
    client.onEvent((e) => seen.push(e));
    const data = { session_id: SARAH, status: 'closed' as const };
    socket.fire('session_updated', data);
    expect(seen).toEqual([{ type: 'session_updated', data, at: expect.any(Number) }]);
  });

  it('emits only while connected', async () => {
    const { socket, client } = connect();
    expect(client.emit('typing_start', { session_id: SARAH })).toBe(false);
    await socket.open();
    expect(client.emit('typing_start', { session_id: SARAH })).toBe(true);
    expect(socket.sent('typing_start')).toEqual([[{ session_id: SARAH }]]);
  });
});

describe('ChatClient: a refused sign-in', () => {
  it('a busy server is tried again after a growing, jittered delay', async () => {
    vi.useFakeTimers();
    const { socket, client, connection } = connect();
    await socket.open();
    socket.fire('auth_error', { message: 'busy', code: 'SERVICE_UNAVAILABLE' });
    expect(connection()).toBe('connecting');
    expect(socket.connected).toBe(false);
    // The first wait is 0.5 to 1 s, the second 1 to 2 s.
    vi.advanceTimersByTime(499);
    expect(socket.connects).toBe(0);
    vi.advanceTimersByTime(501);
    expect(socket.connects).toBe(1);
    await socket.open();
    socket.fire('auth_error', { message: 'busy', code: 'SERVICE_UNAVAILABLE' });
    vi.advanceTimersByTime(999);
    expect(socket.connects).toBe(1);
    vi.advanceTimersByTime(1_001);
    expect(socket.connects).toBe(2);
    expect(client.getState().authError).toBeNull();
  });

  it('a refused token is final', async () => {
    const { socket, client } = connect();
    await socket.open();
    socket.fire('auth_error', { message: 'Token expired', code: 'AUTHENTICATION_REQUIRED' });
    expect(client.getState().authError).toBe('Token expired');
    expect(socket.connects).toBe(0);
  });

  it('with a token function, signs in again once with a refreshed token, then gives up', async () => {
    vi.useFakeTimers();
    let token = 'old';
    const { socket, client } = connect(() => token);
    await socket.open();
    expect(socket.auth).toEqual({ token: 'old' });

    token = 'new';
    socket.fire('auth_error', { message: 'Token expired', code: 'AUTHENTICATION_REQUIRED' });
    await settle();
    vi.advanceTimersByTime(0);
    expect(socket.connects).toBe(1);
    await socket.open();
    expect(socket.auth).toEqual({ token: 'new' });
    expect(client.getState().authError).toBeNull();

    socket.fire('auth_error', { message: 'Token expired', code: 'AUTHENTICATION_REQUIRED' });
    await settle();
    expect(client.getState().authError).toBe('Token expired');
  });

  it('with a token function that has nothing newer, the refusal is final at once', async () => {
    const { socket, client } = connect(async () => 'same');
    await socket.open();
    socket.fire('auth_error', { message: 'Token expired', code: 'AUTHENTICATION_REQUIRED' });
    await settle();
    expect(client.getState().authError).toBe('Token expired');
    expect(socket.connects).toBe(0);
  });
});
