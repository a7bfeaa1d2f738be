import { waitUntil } from '@chat/testkit';
import { describe, expect, it } from 'vitest';
import { type ClientSocket, connectClient, nextEvent, openClient } from './support/sockets.js';
import { type TestUser, useTestApp } from './support/test-app.js';

/**
 * Issue 12, finding 10d: one user could hold any number of sockets (200 were accepted). With
 * SOCKETS_PER_USER at 3, the fourth authenticated socket of a user on the node is refused the
 * way a refused sign-in is (`auth_error`, then disconnect), and a closed socket frees its place.
 */

const LIMIT = 3;

const open: ClientSocket[] = [];

const t = useTestApp({ SOCKETS_PER_USER: String(LIMIT) }, { sockets: open });

async function connect(user: TestUser): Promise<ClientSocket> {
  const socket = await connectClient(t.baseUrl, user.token);
  open.push(socket);
  return socket;
}

/** Opens a socket and resolves with what the server answered it first, and whether it closed. */
async function attempt(
  user: TestUser,
): Promise<{ socket: ClientSocket; refusal: { code: string; message: string } | null }> {
  const socket = openClient(t.baseUrl, user.token);
  open.push(socket);
  const answer = await Promise.race([
    nextEvent(socket, 'authenticated').then(() => null),
    nextEvent(socket, 'auth_error'),
  ]);
  if (answer) {
    await new Promise<void>((resolve) =>
      socket.connected ? socket.once('disconnect', () => resolve()) : resolve(),
    );
  }
  return { socket, refusal: answer };
}

describe('SOCKETS_PER_USER: open sockets per user on a node', () => {
  it("a user's sockets past SOCKETS_PER_USER are refused with auth_error RATE_LIMIT_EXCEEDED and closed", async () => {
    const user = await t.factory.user('client');
    for (let i = 0; i < LIMIT; i += 1) await connect(user);

    const { socket, refusal } = await attempt(user);
    expect(refusal?.code).toBe('RATE_LIMIT_EXCEEDED');
    expect(refusal?.message).toMatch(/3 open connections/);
    expect(socket.connected).toBe(false);

    // Opened side by side, the extra sockets still get no more places than are left.
    const burst = await Promise.all([attempt(user), attempt(user), attempt(user)]);
    expect(burst.map((b) => b.refusal?.code)).toEqual([
      'RATE_LIMIT_EXCEEDED',
      'RATE_LIMIT_EXCEEDED',
      'RATE_LIMIT_EXCEEDED',
    ]);
  });

  it('sockets opened side by side take the places left and no more', async () => {
    const user = await t.factory.user('client');
    const results = await Promise.all(Array.from({ length: LIMIT + 2 }, () => attempt(user)));
    const accepted = results.filter((r) => r.refusal === null);
    expect(accepted).toHaveLength(LIMIT);
    for (const refused of results.filter((r) => r.refusal !== null)) {
      expect(refused.refusal?.code).toBe('RATE_LIMIT_EXCEEDED');
    }
  });

  it('a closed socket frees its place; other users are not counted against this one', async () => {
    const user = await t.factory.user('client');
    const sockets: ClientSocket[] = [];
    for (let i = 0; i < LIMIT; i += 1) sockets.push(await connect(user));
    expect((await attempt(user)).refusal?.code).toBe('RATE_LIMIT_EXCEEDED');

    // Someone else signs in as usual meanwhile.
    const other = await t.factory.user('reader');
    expect((await attempt(other)).refusal).toBeNull();

    const closing = sockets[0];
    if (!closing) throw new Error('no socket to close');
    const gone = new Promise<void>((resolve) => closing.once('disconnect', () => resolve()));
    closing.disconnect();
    await gone;
    // The server sees the close a moment after the client: sign-ins are tried until then.
    expect(await waitUntil(async () => (await attempt(user)).refusal === null, 3_000, 50)).toBe(
      true,
    );
    expect((await attempt(user)).refusal?.code).toBe('RATE_LIMIT_EXCEEDED');
  });

  it('a refused socket does not take a place itself', async () => {
    const user = await t.factory.user('client');
    const sockets: ClientSocket[] = [];
    for (let i = 0; i < LIMIT; i += 1) sockets.push(await connect(user));
    for (let i = 0; i < 5; i += 1) {
      expect((await attempt(user)).refusal?.code).toBe('RATE_LIMIT_EXCEEDED');
    }
    for (const socket of sockets) socket.disconnect();
    // All places are free again once the server saw the closes.
    let accepted = 0;
    const freed = await waitUntil(
      async () => {
        if ((await attempt(user)).refusal === null) accepted += 1;
        return accepted === LIMIT;
      },
      3_000,
      50,
    );
    expect(freed).toBe(true);
  });
});
